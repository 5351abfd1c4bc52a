package io.conpool;

import java.io.IOException;

/**
 * What a protocol needs at the edges of a pooled connection's life, with per-connection state {@code S}: a handshake
 * right after connecting (Redis {@code AUTH} and {@code SELECT}, a PostgreSQL startup message), a look at each lease
 * as it starts and ends (is the session still in a state the next caller may inherit?), a protocol-level health
 * check, and a goodbye before the socket closes ({@code QUIT}, PostgreSQL {@code Terminate}). Set one per endpoint
 * with {@link PoolConfig.Builder#protocolHandler}; {@link RedisProtocol} is built in.
 *
 * <p>Each call gets the connection as a {@link PooledConnection} whose {@link PooledConnection#in() in()} and
 * {@link PooledConnection#out() out()} are the connection's own buffered streams, valid for the call only. A call
 * must leave the connection clean: read every byte its requests produced and flush what it wrote; bytes left over
 * count as a failure of the call. While the pool's own calls run ({@code init}, {@code onRelease},
 * {@code isHealthy}, {@code onClose}) the socket has a read timeout, so a peer that stops answering cannot hold them
 * up: {@code init} has what is left of the connect attempt ({@code connectionTimeout}, within the caller's acquire
 * deadline), {@code onRelease} and {@code isHealthy} have {@code healthCheckTimeout} (at borrow also bounded by the
 * acquire deadline), {@code onClose} a short goodbye timeout (at most {@code healthCheckTimeout} and 250 ms).
 *
 * <p>A handler is shared by every connection of the endpoints it is configured for and is called from many threads
 * at once, each call on a different connection; keep per-connection data in {@code S}. Calls on one connection never
 * overlap. A connection whose {@code init} failed is closed without {@code onClose}.
 *
 * @param <S> the per-connection state, made by {@link #init}; {@link PooledConnection#protocolState(Class)} hands it
 *        to the caller of each lease
 */
public interface ProtocolHandler<S> {

    /**
     * Runs once per connection, right after the TCP connect and the TLS handshake, before anyone leases it. A throw
     * fails this connect attempt like a refused connect would: the socket is closed (counted as created and then closed
     * with {@link CloseReason#PROTOCOL_INIT_FAILED}), the attempt is retried per {@code connectAttempts}, and if every
     * attempt fails the acquire fails with a {@link ConnectException} that the circuit breaker counts. Never put a
     * secret into the message of what it throws.
     *
     * @return the connection's state ({@code null} is allowed)
     */
    S init(PooledConnection connection) throws IOException;

    /**
     * A lease starts, on the caller's thread, after the pool's checks, for a new connection as for a reused one.
     * Nothing is sent by the pool around it and it has no read timeout of its own. A throw destroys the connection
     * ({@link CloseReason#PROTOCOL_RESET_FAILED}) and reaches the caller of {@code acquire} (an {@link IOException}
     * wrapped in {@link java.io.UncheckedIOException}).
     */
    default void onAcquire(S state, PooledConnection connection) throws IOException {
    }

    /**
     * A lease ends and the connection is otherwise fit for reuse (the caller left nothing unread or unflushed, hit no
     * I/O error, and the connection is within its limits): may the next caller have it? Reset what must be reset, or
     * answer {@code false} to have it destroyed ({@link CloseReason#PROTOCOL_RESET_FAILED}), as a throw does too. Runs
     * on the thread that returns the connection, with {@code healthCheckTimeout} as the read timeout.
     */
    default boolean onRelease(S state, PooledConnection connection) throws IOException {
        return true;
    }

    /**
     * Whether an idle connection may be handed out: run where a {@link HealthCheck} runs (before an idle connection is
     * reused, and by the background health checks when {@code healthCheckInterval} is set), after the configured
     * {@code HealthCheck} if there is one. {@code false} or a throw closes it
     * ({@link CloseReason#HEALTH_CHECK_FAILED}); the caller gets another one.
     */
    default boolean isHealthy(S state, PooledConnection connection) throws IOException {
        return true;
    }

    /**
     * A best-effort goodbye before the pool closes the socket of a connection that is still in a clean state (closed
     * for idleness, age, uses, a clear, a trim, the pool's close), never one that broke, failed a check or was in
     * the middle of a caller's work. Bounded by a short read timeout; whatever it throws is ignored (logged at debug).
     * During the pool's {@code close()} all goodbyes together get at most one second (or the grace period, if
     * shorter); after that sockets close without one.
     */
    default void onClose(S state, PooledConnection connection) throws IOException {
    }
}
