package io.conpool.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.conpool.CloseReason;
import io.conpool.ProtocolHandler;

/**
 * Every call into one endpoint's {@link ProtocolHandler}, in one place: the read timeout each call runs with, the
 * view of the connection it is given, and what its failure means (a failed connect attempt, a connection that may not
 * be reused, a failed health check, nothing at all for the goodbye). An endpoint without a handler has no instance of
 * this class, so the lease path pays a {@code null} check for it and nothing more.
 */
final class ProtocolCalls {

    private static final Logger log = LoggerFactory.getLogger(ProtocolCalls.class);

    /** Upper bound of a goodbye's read timeout: it is best effort, and may run on the sweeper thread. */
    static final long GOODBYE_TIMEOUT_MILLIS = 250;

    /**
     * The reasons that leave a connection's protocol state known and clean, so a goodbye makes sense. Not after an
     * I/O error, unread bytes, a failed check or a caller's failed work: a goodbye could land in the middle of a
     * half-sent command.
     */
    private static final Set<CloseReason> GOODBYE_REASONS = EnumSet.of(CloseReason.IDLE_TIMEOUT,
            CloseReason.LIFETIME_EXPIRED, CloseReason.MAX_USES, CloseReason.CLEARED, CloseReason.IDLE_TRIMMED,
            CloseReason.ADDRESS_RETIRED, CloseReason.POOL_CLOSED, CloseReason.TOTAL_LIMIT);

    private final EndpointPool owner;

    private final ProtocolHandler<Object> handler;

    private final int checkTimeoutMillis;

    private final int goodbyeTimeoutMillis;

    @SuppressWarnings("unchecked")
    ProtocolCalls(EndpointPool owner, ProtocolHandler<?> handler) {
        this.owner = owner;
        this.handler = (ProtocolHandler<Object>) handler;
        long check = owner.config.healthCheckTimeout().toMillis();
        this.checkTimeoutMillis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, check));
        this.goodbyeTimeoutMillis = (int) Math.max(1, Math.min(check, GOODBYE_TIMEOUT_MILLIS));
    }

    /**
     * {@link ProtocolHandler#init} on a connection just opened, within the attempt's deadline. On failure the socket is
     * closed here, counted as created and closed ({@code created - closed == active + idle} holds), and the failure is
     * thrown as an {@link IOException} so the dialer treats it as a failed attempt (a timeout as a timeout).
     */
    void init(Connection c, long deadlineNanos) throws IOException {
        Lease view = new Lease(owner, c, false);
        try {
            long millis = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
            if (millis <= 0) {
                throw new SocketTimeoutException("no time left for the protocol handshake");
            }
            c.socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, millis));
            c.protocolState = handler.init(view);
            if (c.leftoverOnReturn() != null) {
                throw new IOException("the protocol handler's init left bytes unread or unflushed");
            }
            if (c.optionsTouched && !c.restoreOptions()) { // it took the socket: the first lessee gets the pool's options
                throw new IOException("the socket refused the pool's options after the protocol handler's init");
            }
            c.socket.setSoTimeout(0);
        }
        catch (IOException | RuntimeException | Error ex) {
            owner.protocolInitFailed(c);
            if (ex instanceof Error) {
                throw (Error) ex;
            }
            if (ex instanceof IOException) {
                throw (IOException) ex;
            }
            // A handler's own exception (an unexpected reply, say) is a failed attempt like an I/O error: retried.
            throw new IOException("protocol handshake failed: " + ex, ex);
        }
        finally {
            view.detach();
        }
    }

    /** {@link ProtocolHandler#onAcquire} on the caller's own lease; a throw destroys the connection and is rethrown. */
    void acquired(Lease lease) {
        try {
            handler.onAcquire(lease.connection.protocolState, lease);
        }
        catch (IOException ex) {
            lease.end(CloseReason.PROTOCOL_RESET_FAILED, "destroy");
            throw new UncheckedIOException("protocol handler's onAcquire failed for " + owner.endpoint, ex);
        }
        catch (RuntimeException | Error ex) {
            lease.end(CloseReason.PROTOCOL_RESET_FAILED, "destroy");
            throw ex;
        }
    }

    /**
     * {@link ProtocolHandler#onRelease} on a returned connection that every other return rule let through; returns
     * why it may not be reused, or {@code null}.
     */
    CloseReason released(Connection c) {
        Lease view = new Lease(owner, c, true);
        try {
            c.socket.setSoTimeout(checkTimeoutMillis);
            boolean reusable = handler.onRelease(c.protocolState, view);
            c.socket.setSoTimeout(0);
            if (!reusable || (c.optionsTouched && !c.restoreOptions())) {
                return CloseReason.PROTOCOL_RESET_FAILED;
            }
            return c.leftoverOnReturn() == null ? null : CloseReason.PROTOCOL_RESET_FAILED;
        }
        catch (Exception ex) {
            if (!(ex instanceof IOException)) {
                Listeners.failed(owner.endpoint, owner.counters, ex);
            }
            log.debug("protocol handler refused a returned connection to {}: {}", owner.endpoint, ex.toString());
            return CloseReason.PROTOCOL_RESET_FAILED;
        }
        finally {
            view.detach();
        }
    }

    /** {@link ProtocolHandler#isHealthy}, on the health check's view, with the health check's read timeout set. */
    boolean isHealthy(Connection c, Lease view) throws IOException {
        return handler.isHealthy(c.protocolState, view);
    }

    /**
     * {@link ProtocolHandler#onClose} before the socket of a connection closed for {@code reason} closes, if that
     * reason leaves it clean and it still probes alive; within {@code untilNanos} if that is sooner than the goodbye
     * timeout ({@code 0}: no such bound). Never throws.
     */
    void goodbye(Connection c, CloseReason reason, long untilNanos) {
        if (!GOODBYE_REASONS.contains(reason) || c.isClosed() || !c.claimGoodbye() || c.probe() != null) {
            return;
        }
        long millis = goodbyeTimeoutMillis;
        if (untilNanos != 0) {
            millis = Math.min(millis, TimeUnit.NANOSECONDS.toMillis(untilNanos - System.nanoTime()));
            if (millis <= 0) {
                return; // the pool's close spent its goodbye budget: close without one
            }
        }
        Lease view = new Lease(owner, c, true);
        try {
            c.socket.setSoTimeout((int) millis);
            handler.onClose(c.protocolState, view);
            c.out().flush();
        }
        catch (Exception ex) {
            log.debug("goodbye to {} failed (closing anyway): {}", owner.endpoint, ex.toString());
        }
        finally {
            view.detach();
        }
    }
}
