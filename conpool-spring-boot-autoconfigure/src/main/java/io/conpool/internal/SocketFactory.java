package io.conpool.internal;

import org.apache.commons.pool2.DestroyMode;
import org.apache.commons.pool2.KeyedPooledObjectFactory;
import org.apache.commons.pool2.PooledObject;

import io.conpool.CloseReason;
import io.conpool.ConpoolException;
import io.conpool.Endpoint;

/**
 * The socket factory commons-pool2 keeps conpool's connections with, one per pool, keyed by {@link Endpoint}:
 * <ul>
 * <li>{@code makeObject}: within the caller's deadline (from its {@link CallContext}), takes room under the
 * endpoint's and the pool's caps, then DNS → connect with attempts and backoff → TLS handshake → the protocol
 * handler's {@code init} ({@link Dialer});
 * the outcome feeds the endpoint's counters, listeners and circuit breaker;</li>
 * <li>{@code validateObject} (on borrow): the endpoint's {@link ReuseRules} for an idle connection: expiry, the
 * liveness probe, the health check; a connection opened by this very borrow is not checked again;</li>
 * <li>{@code passivateObject} (on return): the return rules; a connection that must not be reused makes it throw,
 * which is how commons-pool2 is told to destroy it;</li>
 * <li>{@code destroyObject}: closes the socket once, counted under the reason decided before, and gives back its
 * room under the caps.</li>
 * </ul>
 * It never waits for a connection to come back: that is the {@link Gate}'s job, in front of commons-pool2.
 */
final class SocketFactory implements KeyedPooledObjectFactory<Endpoint, Connection> {

    private final DefaultConnectionPool pool;

    private final Dialer dialer;

    private final TotalLimit total;

    SocketFactory(DefaultConnectionPool pool, Dialer dialer, TotalLimit total) {
        this.pool = pool;
        this.dialer = dialer;
        this.total = total;
    }

    @Override
    public PooledObject<Connection> makeObject(Endpoint key) {
        CallContext call = CallContext.current();
        EndpointPool owner = call.active && call.owner != null ? call.owner : pool.poolFor(key);
        if (!call.active || call.noCreate || !owner.reserveOpen()) {
            // At the endpoint's cap for a moment (an idle connection is being examined by the sweep, or a close is
            // finishing): the borrower holding a permit tries again; or this call must not open anything.
            throw NoRoom.INSTANCE;
        }
        boolean totalTaken = false;
        try {
            if (total != null) {
                totalTaken = call.warming || call.adopt != null ? total.tryReserve()
                        : total.reserve(owner, call, pool.deadlineWatch);
                if (!totalTaken) {
                    throw NoRoom.INSTANCE; // warming never waits; a nudged caller looks at the idle ones again
                }
            }
            Connection c = call.adopt != null ? call.adopt
                    : dialer.open(key, owner.config, owner.generation(), call.deadline(), owner.protocolInit);
            c.owner = owner;
            c.fresh = true;
            c.claim = call.claim;
            owner.opened(c);
            return new ConnectionEntry(c);
        }
        catch (RuntimeException ex) {
            if (totalTaken) {
                total.release();
            }
            owner.unreserveOpen();
            if (ex instanceof ConpoolException) {
                throw owner.openFailed((ConpoolException) ex, call.warming);
            }
            throw ex;
        }
    }

    @Override
    public boolean validateObject(Endpoint key, PooledObject<Connection> p) {
        Connection c = p.getObject();
        CallContext call = CallContext.current();
        if (c.fresh || call.skipValidation || (c.claim != null && c.claim == call.claim)) {
            return true; // opened by this call (borrow, or acquireNew's addObject just before): nothing to check
        }
        long now = ((ConnectionEntry) p).borrowedAtNanos(); // read by commons-pool2's allocate() a moment ago
        CloseReason bad = c.owner.rules.onBorrow(c, now, call);
        if (bad != null) {
            c.closeReason = bad;
            return false;
        }
        return true;
    }

    @Override
    public void activateObject(Endpoint key, PooledObject<Connection> p) {
        // nothing: a lease starts in EndpointPool, after the borrow
    }

    @Override
    public void passivateObject(Endpoint key, PooledObject<Connection> p) {
        Connection c = p.getObject();
        if (c.fresh) {
            c.fresh = false; // opened to be idle (warming): nothing to check
            return;
        }
        CloseReason bad = c.owner.rules.onReturn(c, c.lastUsedNanos);
        if (bad != null) {
            c.closeReason = bad;
            throw NotReusable.INSTANCE;
        }
    }

    @Override
    public void destroyObject(Endpoint key, PooledObject<Connection> p) {
        destroyObject(key, p, DestroyMode.NORMAL);
    }

    @Override
    public void destroyObject(Endpoint key, PooledObject<Connection> p, DestroyMode mode) {
        Connection c = p.getObject();
        CallContext call = CallContext.current();
        if (call.active) {
            call.destroyed++;
        }
        CloseReason reason = c.closeReason;
        if (reason == null) {
            reason = call.active && call.closeReason != null ? call.closeReason
                    : c.owner.isClosed() ? CloseReason.POOL_CLOSED : CloseReason.CLEARED;
        }
        if (c.owner.destroyed(c, reason) && total != null) {
            total.release();
        }
    }

    /** Thrown by {@code passivateObject}: commons-pool2 then destroys the connection (the reason is on it). */
    static final class NotReusable extends RuntimeException {

        private static final long serialVersionUID = 1L;

        static final NotReusable INSTANCE = new NotReusable();

        private NotReusable() {
            super("not reusable", null, false, false);
        }
    }

    /** Thrown by {@code makeObject} when it must not open a connection now; the borrower looks again. */
    static final class NoRoom extends RuntimeException {

        private static final long serialVersionUID = 1L;

        static final NoRoom INSTANCE = new NoRoom();

        private NoRoom() {
            super("no room for another connection right now", null, false, false);
        }
    }
}
