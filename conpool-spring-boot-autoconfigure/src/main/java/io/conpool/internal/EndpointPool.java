package io.conpool.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.apache.commons.pool2.impl.GenericKeyedObjectPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.conpool.AcquireInterruptedException;
import io.conpool.AcquireTimeoutException;
import io.conpool.CircuitState;
import io.conpool.ClearResult;
import io.conpool.CloseReason;
import io.conpool.ConnectTimeoutException;
import io.conpool.ConnectionPoolObserver;
import io.conpool.ConpoolException;
import io.conpool.Endpoint;
import io.conpool.EndpointStats;
import io.conpool.PendingAcquiresExceededException;
import io.conpool.PoolClosedException;
import io.conpool.PoolConfig;
import io.conpool.Ticker;

/**
 * One endpoint of the pool: its settings, its {@link Gate} (who may hold a connection, who waits), its circuit
 * breaker, its {@link ReuseRules}, its {@link EndpointCounters}, and the orchestration of a lease around them:
 * breaker admit → gate permit → borrow from commons-pool2 (which validates an idle connection or has the
 * {@link SocketFactory} open one) → lease; and back: return to commons-pool2 (which applies the return rules) →
 * permit given back.
 *
 * <p>commons-pool2 keeps the idle connections and counts them; this class keeps none. It tracks its
 * open connections only to count them against {@code maxConnections} while they open, to report leaked leases and
 * to close leased sockets at the end of a shutdown's grace period.
 */
final class EndpointPool {

    private static final Logger log = LoggerFactory.getLogger(EndpointPool.class);

    private static final Logger leakLog = LoggerFactory.getLogger("io.conpool.LeakDetection");

    /** Added to {@link #leases} when a lease starts: one more lease, one more change. */
    private static final long LEASE_STARTED = (1L << 32) + 1;

    /** Added to {@link #leases} when a lease ends: one lease less, one more change. */
    private static final long LEASE_ENDED = (1L << 32) - 1;

    /** How long a borrower holding a permit pauses before looking again when a close is still finishing. */
    private static final long NO_ROOM_PAUSE_NANOS = 20_000;

    final Endpoint endpoint;

    final String name;

    final PoolConfig config;

    final Ticker ticker;

    final EndpointCounters counters = new EndpointCounters();

    final ReuseRules rules;

    /** Calls into the endpoint's protocol handler; {@code null} without one (the lease path checks only that). */
    final ProtocolCalls protocol;

    /** The protocol handler's {@code init} as the dialer calls it; {@code null} without a handler. */
    final Dialer.Init protocolInit;

    /** Callers of this endpoint waiting for a permit of the pool's {@link TotalLimit}. */
    final AtomicInteger waitingForTotal = new AtomicInteger();

    private final DefaultConnectionPool pool;

    private final GenericKeyedObjectPool<Endpoint, Connection> connections;

    private final Listeners listeners;

    /** {@code null} when the pool has no observer. */
    final Observers observers;

    private final TotalLimit total;

    private final Gate gate;

    private final CircuitBreaker breaker;

    private final int maxConnections;

    private final long leakThresholdNanos;

    /**
     * Connections leased now (low half: the stats' {@code active}) and how many times a lease started or ended (high
     * half), changed together by one atomic add. commons-pool2's own active count includes connections on their way
     * in or out, and neither it nor this can be read at the same instant as its idle count; a snapshot reads this
     * before and after the idle count and tries again if a lease started or ended between (see {@link #stats()}),
     * so active + idle never adds up to more than is open.
     */
    private final AtomicLong leases = new AtomicLong();

    /** Its open connections, counted against {@code maxConnections} while they open. */
    private final OpenConnections open;


    /**
     * Retirement generation: connections made before the last {@link #retire} (a clear, a TLS material change) close
     * when next seen, for {@link #retiredReason}.
     */
    private volatile int generation;

    /**
     * Why connections of an older generation close: the reason of the last {@link #retire}. A connection older than
     * several retirements closes for the last one, which is as true of it as the first.
     */
    private volatile CloseReason retiredReason = CloseReason.CLEARED;

    private volatile boolean closed;

    private volatile long lastActivityNanos;

    // Background state, touched by the maintenance threads only.
    volatile boolean warmInFlight;

    long nextWarmNanos;

    int warmFailures;

    long lastSweepNanos;

    /** This endpoint is due in the sweep under way: the sweep's full rules apply to its idle connections. */
    volatile boolean sweeping;

    /** A background health check of this endpoint is queued or running on the worker. */
    volatile boolean healthCheckInFlight;

    long lastHealthCheckNanos;

    EndpointPool(Endpoint endpoint, String name, PoolConfig config, DefaultConnectionPool pool) {
        this.pool = pool;
        this.endpoint = endpoint;
        this.name = name;
        this.config = config;
        this.ticker = pool.ticker();
        this.connections = pool.connections();
        this.listeners = pool.listeners();
        this.observers = pool.observers();
        this.total = pool.totalLimit();
        this.maxConnections = config.maxConnectionsPerEndpoint();
        this.open = new OpenConnections(maxConnections);
        this.leakThresholdNanos = config.leakDetectionThreshold().map(Duration::toNanos).orElse(0L);
        this.gate = new Gate(maxConnections, config.maxPendingAcquires().orElse(Integer.MAX_VALUE));
        this.breaker = new CircuitBreaker(endpoint, config, ticker, this::circuitChanged);
        this.protocol = config.protocolHandler().map(h -> new ProtocolCalls(this, h)).orElse(null);
        this.protocolInit = protocol == null ? null : protocol::init;
        this.rules = new ReuseRules(this, config);
        this.lastActivityNanos = ticker.nanoTime();
        this.nextWarmNanos = lastActivityNanos; // warming may start now (a ticker may read negative: no 0 default)
        if (endpoint.isTls() && !endpoint.tls().verifyHostname()) {
            log.warn("host name verification is OFF for {}: any certificate its trust material accepts will do, "
                    + "for any name", endpoint);
        }
    }

    // ---------------------------------------------------------------- acquire

    /**
     * Leases a connection within {@code timeoutNanos}, a newly opened one if {@code fresh}. Returns {@code null} only if
     * this endpoint was forgotten concurrently (the caller looks it up again).
     */
    Lease acquire(long timeoutNanos, boolean fresh) {
        long start = listeners.any() ? System.nanoTime() : 0; // the clock is read on the fast path only for them
        boolean probe;
        try {
            probe = breaker.admit();
        }
        catch (ConpoolException ex) {
            counters.rejected.increment();
            acquireFailed(ex);
            throw ex;
        }
        CallContext call = listeners.any() ? CallContext.enter(start + timeoutNanos, timeoutNanos, null)
                : CallContext.enterLazily(timeoutNanos, null);
        call.owner = this;
        boolean success = false;
        try {
            if (!takePermit(call)) {
                return null;
            }
            Lease lease;
            try {
                lease = fresh ? borrowNew(call) : borrow(call);
            }
            catch (RuntimeException | Error ex) {
                gate.release();
                throw ex;
            }
            if (protocol != null) {
                protocol.acquired(lease); // a throw has ended the lease (permit given back) and reaches the caller
            }
            if (probe) {
                breaker.success();
            }
            success = true;
            if (listeners.any()) {
                long waited = System.nanoTime() - start;
                listeners.fire(endpoint, counters, l -> l.onAcquired(endpoint, waited));
            }
            return lease;
        }
        catch (ConpoolException ex) {
            ConpoolException reported = ex;
            if (ex instanceof CallerDeadlineException) {
                // This caller's time ran out before or while connecting, within the connection timeout: its acquire
                // timed out; the endpoint did nothing wrong.
                int attempts = ((CallerDeadlineException) ex).attempts();
                reported = new AcquireTimeoutException(endpoint, Duration.ofNanos(timeoutNanos), attempts == 0
                        ? " (the time ran out before a connection could be opened)"
                        : " (the time ran out while opening a connection, attempt " + attempts + ")");
                reported.initCause(ex.getCause());
            }
            if (reported instanceof AcquireTimeoutException) {
                counters.acquireTimeouts.increment();
            }
            acquireFailed(reported);
            throw reported;
        }
        finally {
            call.exit();
            if (probe && !success && breaker.state() == CircuitState.HALF_OPEN) {
                breaker.probeAbandoned();
            }
        }
    }

    /** Waits in line for a permit; {@code false} if the endpoint was forgotten meanwhile. */
    private boolean takePermit(CallContext call) {
        if (gate.tryAcquire()) {
            return true;
        }
        if (observers == null) {
            return waited(gate.acquire(call.deadline(), pool.deadlineWatch), call);
        }
        Observers.Observed wait = observers.start(ConnectionPoolObserver.Phase.WAIT, endpoint);
        boolean granted;
        try {
            granted = waited(gate.acquire(call.deadline(), pool.deadlineWatch), call);
        }
        catch (RuntimeException | Error ex) {
            wait.failed(ex);
            throw ex;
        }
        wait.succeeded(false);
        return granted;
    }

    /** What a wait in line came to: a permit, a forgotten endpoint ({@code false}), or the caller's exception. */
    private boolean waited(Gate.Outcome outcome, CallContext call) {
        switch (outcome) {
            case GRANTED:
                return true;
            case RETIRED:
                return false;
            case REJECTED:
                counters.rejected.increment();
                throw new PendingAcquiresExceededException(endpoint, config.maxPendingAcquires().orElse(0));
            case INTERRUPTED:
                throw new AcquireInterruptedException(endpoint, new InterruptedException());
            default:
                throw new AcquireTimeoutException(endpoint, Duration.ofNanos(call.timeoutNanos),
                        " (" + maxConnections + " connections in use, " + gate.waiting() + " callers waiting)");
        }
    }

    /**
     * With a permit held: takes an idle connection that passes the reuse rules, or has a new one opened, from
     * commons-pool2. Only a close still finishing (or the sweep examining the last idle connection) can leave no
     * room for a moment; the borrower then looks again, within its deadline.
     */
    private Lease borrow(CallContext call) {
        while (true) {
            Connection c;
            try {
                c = connections.borrowObject(endpoint);
            }
            catch (SocketFactory.NoRoom | NoSuchElementException ex) {
                pauseBeforeLookingAgain(call.deadline());
                continue;
            }
            catch (IllegalStateException ex) {
                throw closedException(); // commons-pool2 is closed: so is the pool
            }
            catch (RuntimeException ex) {
                throw ex;
            }
            catch (Exception ex) {
                throw new IllegalStateException("commons-pool2 failed a borrow from " + endpoint, ex);
            }
            if (closed) {
                c.fresh = false;
                c.closeReason = CloseReason.POOL_CLOSED;
                connections.returnObject(endpoint, c);
                throw closedException();
            }
            return startLease(c);
        }
    }

    /**
     * With a permit held: has commons-pool2 open a connection with {@code addObject} (it joins the idle stack at the
     * head, marked with this call's claim) and borrows it at once. commons-pool2 creates only when it finds nothing
     * idle, hence this detour; every connection stays in commons-pool2. If another borrower took the new connection in
     * between, this call opens another. At the endpoint's maximum (some connections idle: this call holds a permit, so
     * not all are leased) one idle connection closes to make room.
     */
    private Lease borrowNew(CallContext call) {
        Object claim = new Object();
        call.claim = claim;
        try {
            while (true) {
                if (closed) {
                    throw closedException();
                }
                try {
                    connections.addObject(endpoint);
                }
                catch (SocketFactory.NoRoom ex) {
                    if (!closeOneIdle(call)) {
                        pauseBeforeLookingAgain(call.deadline()); // a close is still finishing
                    }
                    continue;
                }
                catch (IllegalStateException ex) {
                    throw closedException();
                }
                catch (RuntimeException ex) {
                    throw ex;
                }
                catch (Exception ex) {
                    throw new IllegalStateException("commons-pool2 failed to add a connection to " + endpoint, ex);
                }
                Connection c = takeClaimed(call, claim);
                if (c != null) {
                    c.fresh = true; // leased as the new connection it is
                    return startLease(c);
                }
                // another borrower took it (and got a fresh connection out of it): open another
            }
        }
        finally {
            call.claim = null;
        }
    }

    /**
     * Borrows idle connections, unchecked, until it meets the one carrying {@code claim}; puts the others back where
     * they were, untouched (no lease began, so no return rule applies). Usually the first one is it: it was just added
     * at the head, unless a connection was returned meanwhile.
     */
    private Connection takeClaimed(CallContext call, Object claim) {
        List<Connection> others = null;
        call.skipValidation = true;
        try {
            while (true) {
                Connection c = takeIdle(call);
                if (c == null || c.claim == claim) {
                    return c;
                }
                if (others == null) {
                    others = new ArrayList<>(2);
                }
                others.add(c);
            }
        }
        finally {
            call.skipValidation = false;
            if (others != null) {
                for (int i = others.size() - 1; i >= 0; i--) { // last taken first: the stack keeps its order
                    Connection o = others.get(i);
                    o.fresh = true;
                    connections.returnObject(endpoint, o);
                }
            }
        }
    }

    /** Borrows the idle connection at the head, opening none; {@code null} if none is idle. */
    private Connection takeIdle(CallContext call) {
        call.noCreate = true;
        try {
            return connections.borrowObject(endpoint);
        }
        catch (SocketFactory.NoRoom | NoSuchElementException ex) {
            return null;
        }
        catch (IllegalStateException ex) {
            throw closedException();
        }
        catch (RuntimeException ex) {
            throw ex;
        }
        catch (Exception ex) {
            throw new IllegalStateException("commons-pool2 failed a borrow from " + endpoint, ex);
        }
        finally {
            call.noCreate = false;
        }
    }

    /** Closes one idle connection of this endpoint (taken unchecked) to make room; whether there was one. */
    private boolean closeOneIdle(CallContext call) {
        call.skipValidation = true;
        Connection c;
        try {
            c = takeIdle(call);
        }
        finally {
            call.skipValidation = false;
        }
        if (c == null) {
            return false;
        }
        c.closeReason = CloseReason.IDLE_TRIMMED;
        connections.returnObject(endpoint, c);
        return true;
    }

    /**
     * Idempotent work failed on a reused connection before reading from it, and runs again on a new one: counted and
     * logged.
     */
    void retried(Throwable cause) {
        counters.retried.increment();
        log.debug("retrying idempotent work on a new connection to {} after an I/O error on a reused one: {}",
                endpoint, cause.toString());
    }

    private void pauseBeforeLookingAgain(long deadline) {
        if (closed) {
            throw closedException();
        }
        if (deadline - System.nanoTime() <= 0) {
            throw new CallerDeadlineException(endpoint, 0, null);
        }
        LockSupport.parkNanos(this, NO_ROOM_PAUSE_NANOS);
        if (Thread.interrupted()) {
            Thread.currentThread().interrupt();
            throw new AcquireInterruptedException(endpoint, new InterruptedException());
        }
    }

    private Lease startLease(Connection c) {
        boolean reused = !c.fresh;
        c.fresh = false;
        if (reused) {
            c.uses++;
            counters.reused.increment();
            if (listeners.any()) {
                listeners.fire(endpoint, counters, l -> l.onConnectionReused(endpoint));
            }
        }
        else {
            c.uses = 1;
            counters.misses.increment();
        }
        if (leakThresholdNanos > 0) {
            c.leasedAtNanos = ticker.nanoTime();
            c.leasedBy = new Throwable("connection to " + endpoint + " leased here");
            c.leakReported = false;
        }
        else if (listeners.any()) {
            c.leasedAtNanos = ticker.nanoTime();
        }
        c.markLeased(true);
        leases.addAndGet(LEASE_STARTED);
        return new Lease(this, c, reused);
    }

    // ---------------------------------------------------------------- the socket factory's calls

    /** Counts one more connection opening if the endpoint is below {@code maxConnections}. */
    boolean reserveOpen() {
        return open.reserve();
    }

    void unreserveOpen() {
        open.unreserve();
    }

    /** A connection was opened (its room reserved). */
    void opened(Connection c) {
        open.add(c);
        counters.created.increment();
        breaker.success();
        if (listeners.any()) {
            long connectNanos = ticker.nanoTime() - c.createdNanos;
            listeners.fire(endpoint, counters, l -> l.onConnectionCreated(endpoint, connectNanos));
        }
    }

    /**
     * Opening failed: counts it against the endpoint unless the caller's own deadline or interrupt cut it short, and
     * returns what to throw. For warming, whose deadline is the whole connect budget, running out of time is the
     * endpoint's connect timeout.
     */
    ConpoolException openFailed(ConpoolException ex, boolean warming) {
        ConpoolException failure = ex;
        if (warming && ex instanceof CallerDeadlineException) {
            CallerDeadlineException late = (CallerDeadlineException) ex;
            failure = new ConnectTimeoutException(endpoint, late.attempts(), config.connectionTimeout(),
                    late.getCause());
        }
        if (!(failure instanceof AcquireInterruptedException) && !(failure instanceof CallerDeadlineException)
                && !(failure instanceof AcquireTimeoutException)) {
            connectFailed(failure);
        }
        return failure;
    }

    private void connectFailed(ConpoolException ex) {
        counters.errors.increment();
        if (listeners.any()) {
            listeners.fire(endpoint, counters, l -> l.onConnectFailed(endpoint, ex));
        }
        if (breaker.failure(ex)) {
            counters.rejected.add(gate.failWaiters(breaker.openException()));
        }
    }

    /**
     * The protocol handler's {@code init} failed on a connection the dialer opened: it is closed and counted as created
     * and then closed, so {@code created - closed == active + idle} holds. It never joined the pool, so nothing else
     * (the open connections, the breaker) knows of it.
     */
    void protocolInitFailed(Connection c) {
        counters.created.increment();
        if (listeners.any()) {
            long connectNanos = ticker.nanoTime() - c.createdNanos;
            listeners.fire(endpoint, counters, l -> l.onConnectionCreated(endpoint, connectNanos));
        }
        closeCounted(c, CloseReason.PROTOCOL_INIT_FAILED);
    }

    /**
     * A connection is destroyed: says goodbye if the endpoint speaks a protocol and the connection is clean, closes
     * its socket (counted under {@code reason}, once) and stops counting it as open. Returns {@code true} only for the
     * call that stopped counting it.
     */
    boolean destroyed(Connection c, CloseReason reason) {
        if (protocol != null) {
            protocol.goodbye(c, reason, pool.goodbyeDeadline());
        }
        closeCounted(c, reason);
        if (!c.forget()) {
            return false;
        }
        open.remove(c);
        lastActivityNanos = ticker.nanoTime();
        return true;
    }

    private void closeCounted(Connection c, CloseReason reason) {
        if (!c.close()) {
            return; // already closed (force-closed at shutdown): counted then
        }
        counters.closed(reason);
        if (listeners.any()) {
            listeners.fire(endpoint, counters, l -> l.onConnectionClosed(endpoint, reason));
        }
        if (log.isDebugEnabled()) {
            log.debug("closed connection to {} via {}: {}", endpoint, c.remote, reason.tag());
        }
    }

    // ---------------------------------------------------------------- release

    /** Ends a lease: back to commons-pool2 (which keeps or destroys it), then the permit to the next in line. */
    void release(Lease lease, CloseReason reason) {
        Connection c = lease.connection;
        long now = ticker.nanoTime();
        if (listeners.any()) {
            long held = now - c.leasedAtNanos;
            listeners.fire(endpoint, counters, l -> l.onReleased(endpoint, held));
        }
        c.leasedBy = null;
        c.markLeased(false);
        leases.addAndGet(LEASE_ENDED);
        c.lastUsedNanos = now;
        lastActivityNanos = now;
        if (reason != null) {
            c.closeReason = reason;
        }
        else if (total != null && total.handOver(this, gate.waiting())) {
            c.closeReason = CloseReason.TOTAL_LIMIT; // another endpoint's caller waits for the room it takes
        }
        try {
            connections.returnObject(endpoint, c);
            if (total != null) {
                total.nudgeAfterReturn(this);
            }
        }
        finally {
            gate.release();
        }
    }

    // ---------------------------------------------------------------- management

    ClearResult clear() {
        ClearResult result = retire(CloseReason.CLEARED);
        if (listeners.any()) {
            listeners.fire(endpoint, counters, l -> l.onEndpointCleared(endpoint));
        }
        log.info("cleared {}: {} idle connections closed, {} leased ones will close when returned", endpoint,
                result.idleClosed(), result.leasedMarked());
        return result;
    }

    /**
     * Retires every connection open now, for {@code reason}: idle ones close at once, leased ones when returned, and
     * those being opened meanwhile (made in the old generation) when first seen.
     */
    ClearResult retire(CloseReason reason) {
        bumpGeneration(reason);
        int closedNow = destroyIdle(reason);
        return new ClearResult(endpoint, closedNow, leasedCount());
    }

    private synchronized void bumpGeneration(CloseReason reason) {
        retiredReason = reason; // before the generation: a reader that sees the new generation sees this reason
        generation++;
    }

    int generation() {
        return generation;
    }

    CloseReason retiredReason() {
        return retiredReason;
    }

    int closeIdle() {
        return destroyIdle(CloseReason.IDLE_TRIMMED);
    }

    private int destroyIdle(CloseReason reason) {
        CallContext call = CallContext.enter(System.nanoTime(), 0, reason);
        try {
            connections.clear(endpoint, false);
            return call.destroyed;
        }
        finally {
            call.exit();
        }
    }

    /** Opens up to {@code count} idle connections with free permits, in this thread. */
    int warm(int count) {
        int made = 0;
        while (made < count && addIdleIfRoom(Integer.MAX_VALUE)) {
            made++;
        }
        return made;
    }

    /**
     * Opens one idle connection if a permit is free, nobody waits, and idle is below {@code target}. Returns whether
     * it did; a failure to open is counted and thrown.
     */
    boolean addIdleIfRoom(int target) {
        if (closed || gate.waiting() > 0 || connections.getNumIdle(endpoint) >= target || !gate.tryAcquire()) {
            return false;
        }
        boolean probe = false;
        boolean added = false;
        try {
            // Open: fails here. Half-open: this connect is the one probe (a recovered endpoint closes its breaker
            // without waiting for a caller).
            probe = breaker.admit();
            long budget = config.connectionTimeout().toNanos() * config.connectAttempts()
                    + config.connectBackoff().toNanos() * (1L << Math.min(config.connectAttempts(), 20));
            CallContext call = CallContext.enter(System.nanoTime() + budget, budget, null);
            call.owner = this;
            call.warming = true;
            try {
                connections.addObject(endpoint);
                added = true;
                return true;
            }
            catch (SocketFactory.NoRoom ex) {
                return false;
            }
            catch (IllegalStateException ex) {
                return false; // closed meanwhile
            }
            catch (RuntimeException ex) {
                throw ex;
            }
            catch (Exception ex) {
                throw new IllegalStateException("commons-pool2 failed to add a connection to " + endpoint, ex);
            }
            finally {
                call.exit();
            }
        }
        finally {
            if (probe && !added && breaker.state() == CircuitState.HALF_OPEN) {
                breaker.probeAbandoned(); // nothing was tried (no room): leave the probe to the next one
            }
            gate.release();
        }
    }

    /** Whether background health checks are on: an interval is set and something protocol-level is checked. */
    boolean checksInBackground() {
        return rules.healthCheckIntervalNanos > 0 && rules.hasHealthCheck();
    }

    /**
     * The background health check, on the maintenance worker (it may wait up to {@code healthCheckTimeout} per
     * connection, so it never runs inside commons-pool2's {@code evict()}): borrows the idle connections one after
     * another, each with a free permit of its own (never one a caller waits for, never while callers wait), which
     * runs the reuse rules with the health check on those not checked within the interval; a failure closes the
     * connection there and then. The borrowed ones are held until the pass ends, so each is seen once, then go back
     * untouched in their order. A caller who arrives meanwhile ends the pass. Returns how many were looked at.
     */
    int checkIdleHealth() {
        List<Connection> held = new ArrayList<>();
        CallContext call = CallContext.enter(System.nanoTime(), 0, null);
        call.owner = this;
        call.noCreate = true;
        call.background = true;
        try {
            int idle = connections.getNumIdle(endpoint);
            while (held.size() < idle && !closed && gate.waiting() == 0 && gate.tryAcquire()) {
                Connection c;
                try {
                    c = connections.borrowObject(endpoint);
                }
                catch (Exception ex) {
                    gate.release(); // none idle any more (or the pool closed): the pass is over
                    break;
                }
                held.add(c);
            }
            return held.size();
        }
        finally {
            call.exit();
            for (int i = held.size() - 1; i >= 0; i--) { // last taken first: the idle stack keeps its order
                Connection c = held.get(i);
                c.fresh = true; // no lease began: no return rule applies
                try {
                    connections.returnObject(endpoint, c);
                }
                finally {
                    gate.release();
                }
            }
        }
    }

    CircuitState circuitState() {
        return breaker.state();
    }

    /** Reports leases held longer than the leak detection threshold (once each). */
    void reportLeaks(long now) {
        if (leakThresholdNanos <= 0) {
            return;
        }
        for (Connection c : open.newlyLeaked(now, leakThresholdNanos)) {
            leakLog.warn("connection to {} leased for {} ms without being returned (threshold {} ms); leased at:",
                    endpoint, (now - c.leasedAtNanos) / 1_000_000, leakThresholdNanos / 1_000_000, c.leasedBy);
            counters.leaks.increment(); // after the report: a reader who sees the count finds the report
        }
    }

    /** How many more idle connections {@code minIdlePerEndpoint} wants that free permits allow. */
    int idleDeficit() {
        if (closed || gate.waiting() > 0) {
            return 0;
        }
        return Math.max(0, Math.min(config.minIdlePerEndpoint() - connections.getNumIdle(endpoint), gate.available()));
    }

    /**
     * Retires this endpoint if it is unnamed, has nothing open and no caller, and was unused for the pool's
     * {@code forgetUnusedEndpointsAfter}.
     */
    boolean retireIfUnused(long now) {
        if (name != null || closed || !open.isEmpty() || now - lastActivityNanos <= pool.forgetUnusedAfterNanos) {
            return false;
        }
        return gate.retireIfUnused(maxConnections);
    }

    /** Retires connections to addresses no longer in the DNS answer; the caller then has idle ones examined. */
    boolean retireAddressesNotIn(Set<java.net.InetAddress> current) {
        return open.retireAddressesNotIn(current);
    }

    /** Fails waiters and later acquires; idle connections close with commons-pool2, leased ones when returned. */
    void close() {
        closed = true;
        gate.close(closedException());
    }

    boolean isClosed() {
        return closed;
    }

    /** Closes the sockets of connections still leased (end of the shutdown grace period). Returns how many. */
    int forceCloseLeased() {
        List<Connection> leased = open.leased();
        for (Connection c : leased) {
            c.abortChannel(); // its lessee may be stuck in I/O: a TLS close would wait for it
            closeCounted(c, CloseReason.POOL_CLOSED);
        }
        return leased.size();
    }

    void resetCircuit() {
        breaker.reset();
    }

    long wakeExpiredWaiters(long nowNanos) {
        return gate.wakeExpired(nowNanos);
    }

    // ---------------------------------------------------------------- stats

    int leasedCount() {
        return (int) leases.get();
    }

    int idleCount() {
        return connections.getNumIdle(endpoint);
    }

    int waiting() {
        return gate.waiting();
    }

    EndpointStats stats() {
        long before;
        int idle;
        int tries = 0;
        do {
            before = leases.get();
            idle = connections.getNumIdle(endpoint);
        }
        while (leases.get() != before && ++tries < 10_000);
        return counters.snapshot(endpoint, name, (int) before, idle, gate.waiting(), maxConnections, breaker.state());
    }

    private PoolClosedException closedException() {
        return new PoolClosedException("acquiring a connection to " + endpoint + ": the pool is closed");
    }

    private void acquireFailed(ConpoolException ex) {
        if (listeners.any()) {
            listeners.fire(endpoint, counters, l -> l.onAcquireFailed(endpoint, ex));
        }
    }

    private void circuitChanged(CircuitState from, CircuitState to) {
        if (listeners.any()) {
            listeners.fire(endpoint, counters, l -> l.onCircuitStateChanged(endpoint, from, to));
        }
    }

    long lastActivityNanos() {
        return lastActivityNanos;
    }

    DefaultConnectionPool pool() {
        return pool;
    }
}
