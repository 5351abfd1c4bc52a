package io.conpool;

import java.util.Locale;

/** Why the pool closed a connection. Every close is counted under exactly one reason. */
public enum CloseReason {

    /** Idle longer than {@code maxIdleTime}. */
    IDLE_TIMEOUT,
    /** Older than {@code maxConnectionLifetime} (with its jitter). */
    LIFETIME_EXPIRED,
    /** Leased {@code maxConnectionUses} times. */
    MAX_USES,
    /** The peer closed or reset the connection while it was idle. */
    PEER_CLOSED,
    /** Unexpected bytes were waiting, or the caller left bytes unread or unflushed. */
    DIRTY,
    /** The health check said no, threw, or timed out. */
    HEALTH_CHECK_FAILED,
    /** An I/O error happened on the connection's streams during a lease, or the caller closed the socket. */
    BROKEN,
    /** The caller called {@link PooledConnection#invalidate()}. */
    INVALIDATED,
    /** The work given to {@code withConnection} threw. */
    WORK_FAILED,
    /** {@code clearEndpoint} was called. */
    CLEARED,
    /**
     * Above {@code maxIdlePerEndpoint}, closed by {@code closeIdleConnections}, or closed to make room for a newly
     * opened one ({@code acquireNew}, a retry) at the endpoint's maximum.
     */
    IDLE_TRIMMED,
    /** Its address dropped out of the host's DNS answer. */
    ADDRESS_RETIRED,
    /** The pool was closed. */
    POOL_CLOSED,
    /**
     * Closed while idle, or on return, so that a caller of another endpoint could open one under
     * {@code maxTotalConnections}.
     */
    TOTAL_LIMIT,
    /**
     * The endpoint's TLS material (trust or client key) was replaced, e.g. a certificate rotated
     * ({@link ConnectionPool#tlsMaterialChanged}): connections shaken hands with the old material close.
     */
    TLS_MATERIAL_CHANGED,
    /**
     * The endpoint's {@link ProtocolHandler#init} failed on a connection just opened (the connection counts as created
     * and closed, and the connect attempt as failed).
     */
    PROTOCOL_INIT_FAILED,
    /**
     * The endpoint's {@link ProtocolHandler} refused the connection's protocol state for the next caller:
     * {@code onRelease} answered {@code false} or threw (e.g. an unfinished Redis {@code MULTI}, an HTTP response that
     * said {@code Connection: close}), or {@code onAcquire} threw.
     */
    PROTOCOL_RESET_FAILED;

    /** Lower-case, dash-separated form used as a metric tag and in JSON, e.g. {@code idle-timeout}. */
    public String tag() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
