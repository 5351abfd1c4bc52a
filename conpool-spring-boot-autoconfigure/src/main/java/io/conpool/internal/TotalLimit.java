package io.conpool.internal;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.commons.pool2.impl.GenericKeyedObjectPool;

import io.conpool.AcquireInterruptedException;
import io.conpool.AcquireTimeoutException;
import io.conpool.CloseReason;
import io.conpool.Endpoint;
import io.conpool.ConnectionPoolObserver;

/**
 * {@code maxTotalConnections}: a cap on the connections open across every endpoint of the pool, one {@link Gate}
 * permit per open connection (taken by the factory before it dials, given back when the connection is destroyed).
 *
 * <p>When the cap is reached, a caller that must open a connection first makes room: it closes one idle connection
 * of another endpoint, the one unused the longest, as commons-pool2's own {@code clearOldest} does (but one, not
 * 15%). If none is idle it waits, first come first served, until a connection anywhere closes. Connections returned
 * meanwhile serve those waiting: one returned to an endpoint whose own callers wait for the total wakes them to take
 * it ({@link Gate#nudge}); one returned to an endpoint nobody else waits for is closed so that its permit goes to the
 * longest waiter of another endpoint. An endpoint whose callers keep it busy keeps its connections; the wait is
 * bounded by each caller's deadline like any other.
 */
final class TotalLimit {

    private final int max;

    private final Gate gate;

    TotalLimit(int max) {
        this.max = max;
        this.gate = new Gate(max, Integer.MAX_VALUE);
    }

    Gate gate() {
        return gate;
    }

    /** Takes a permit for one more open connection if one is free now; never waits. */
    boolean tryReserve() {
        return gate.tryAcquire();
    }

    /**
     * Takes a permit for one more connection of {@code endpoint}, making room or waiting until {@code deadline}.
     * Returns {@code false} if woken because a connection of the endpoint came back idle (the caller looks again).
     */
    boolean reserve(EndpointPool endpoint, CallContext call, Gate.DeadlineWatch watch) {
        if (gate.tryAcquire()) {
            return true;
        }
        closeOneIdleElsewhere(endpoint);
        if (endpoint.observers == null) {
            return waited(endpoint, call, watch);
        }
        Observers.Observed wait = endpoint.observers.start(ConnectionPoolObserver.Phase.WAIT, endpoint.endpoint);
        boolean granted;
        try {
            granted = waited(endpoint, call, watch);
        }
        catch (RuntimeException | Error ex) {
            wait.failed(ex);
            throw ex;
        }
        wait.succeeded(false);
        return granted;
    }

    private boolean waited(EndpointPool endpoint, CallContext call, Gate.DeadlineWatch watch) {
        endpoint.waitingForTotal.incrementAndGet();
        Gate.Outcome outcome;
        try {
            outcome = gate.acquire(call.deadline(), watch, endpoint);
        }
        finally {
            endpoint.waitingForTotal.decrementAndGet();
        }
        switch (outcome) {
            case GRANTED:
                return true;
            case NUDGED:
                return false;
            case INTERRUPTED:
                throw new AcquireInterruptedException(endpoint.endpoint, new InterruptedException());
            default:
                throw new AcquireTimeoutException(endpoint.endpoint, Duration.ofNanos(call.timeoutNanos),
                        " (all " + max + " connections of the pool's max-total-connections are open, "
                                + gate.waiting() + " callers waiting for one)");
        }
    }

    /** A connection closed: its permit goes to the longest waiter. */
    void release() {
        gate.release();
    }

    /**
     * What to do with a healthy connection returned to {@code endpoint}: {@code true} if it must close so that a
     * caller of another endpoint, waiting for the total, can open one. Nudges a caller of this endpoint that waits
     * for the total, so it takes the connection once it is idle.
     */
    boolean handOver(EndpointPool endpoint, int endpointWaiters) {
        int total = gate.waiting();
        if (total == 0) {
            return false;
        }
        AtomicInteger own = endpoint.waitingForTotal;
        if (own.get() > 0) {
            return false; // nudged after the return (see EndpointPool.release)
        }
        return endpointWaiters == 0;
    }

    void nudgeAfterReturn(EndpointPool endpoint) {
        if (endpoint.waitingForTotal.get() > 0) {
            gate.nudge(endpoint);
        }
    }

    /**
     * Makes room under {@code maxTotalConnections} for {@code requester}: closes one idle connection of the endpoint
     * unused the longest among those nobody waits for. Called by the factory, on the requester's thread, inside its
     * own call into commons-pool2 (hence the borrow without opening or checking). Returns whether one closed.
     */
    private static boolean closeOneIdleElsewhere(EndpointPool requester) {
        DefaultConnectionPool pool = requester.pool();
        GenericKeyedObjectPool<Endpoint, Connection> connections = pool.connections();
        EndpointPool victim = null;
        for (EndpointPool p : pool.endpointPools()) {
            if (p != requester && p.waiting() == 0 && p.idleCount() > 0
                    && (victim == null || p.lastActivityNanos() - victim.lastActivityNanos() < 0)) {
                victim = p;
            }
        }
        if (victim == null) {
            return false;
        }
        CallContext call = CallContext.current();
        boolean noCreate = call.noCreate;
        boolean skipValidation = call.skipValidation;
        call.noCreate = true; // take an idle one or nothing
        call.skipValidation = true; // it is taken only to be closed
        try {
            Connection c = connections.borrowObject(victim.endpoint);
            c.closeReason = CloseReason.TOTAL_LIMIT;
            connections.returnObject(victim.endpoint, c);
            return true;
        }
        catch (Exception ex) {
            return false; // none idle any more, or the pool closed: the requester waits
        }
        finally {
            call.noCreate = noCreate;
            call.skipValidation = skipValidation;
        }
    }
}
