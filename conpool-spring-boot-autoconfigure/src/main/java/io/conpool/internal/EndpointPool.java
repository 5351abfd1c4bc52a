package io.conpool.internal;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.conpool.AcquireInterruptedException;
import io.conpool.AcquireTimeoutException;
import io.conpool.CircuitState;
import io.conpool.ClearResult;
import io.conpool.CloseReason;
import io.conpool.ConnectTimeoutException;
import io.conpool.ConnectionPoolListener;
import io.conpool.ConpoolException;
import io.conpool.Endpoint;
import io.conpool.EndpointStats;
import io.conpool.HealthCheck;
import io.conpool.PendingAcquiresExceededException;
import io.conpool.PoolClosedException;
import io.conpool.PoolConfig;
import io.conpool.Ticker;

/**
 * The connections of one endpoint: a LIFO stack of idle connections, a FIFO queue of waiting callers, and a count of
 * slots ({@code idle + leased + opening <= maxConnections}), all under one short lock.
 *
 * <p>Fairness: a returned connection or a freed slot goes to the longest waiter first, never to the idle stack while
 * someone waits, so a newly arriving caller cannot overtake a waiting one. Validation, connecting and closing happen
 * outside the lock.
 */
final class EndpointPool {

    private static final Logger log = LoggerFactory.getLogger(EndpointPool.class);

    private static final Logger leakLog = LoggerFactory.getLogger("io.conpool.LeakDetection");

    private static final CloseReason[] REASONS = CloseReason.values();

    final Endpoint endpoint;

    final String name;

    final PoolConfig config;

    final Ticker ticker;

    private final ConnectionFactory factory;

    private final ConnectionPoolListener[] listeners;

    /** {@code listeners.length > 0}, kept here so the hot path does not touch the array when there are none. */
    private final boolean hasListeners;

    private final CircuitBreaker breaker;

    private final int maxConnections;

    private final int maxPending;

    private final long maxUses;

    private final long maxIdleNanos;

    private final long leakThresholdNanos;

    private final HealthCheck healthCheck;

    private final ReentrantLock lock = new ReentrantLock();

    // Guarded by lock.
    private final ArrayDeque<Connection> idle = new ArrayDeque<>();

    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();

    /** Every open connection of this endpoint, idle or leased (for leak checks, clear and shutdown). */
    private final Set<Connection> all = new HashSet<>();

    private int leased;

    private int opening;

    private int generation;

    private boolean closed;

    private boolean removed;

    private long lastActivityNanos;

    // Counters, updated without the lock.
    private final LongAdder created = new LongAdder();

    private final LongAdder reused = new LongAdder();

    private final LongAdder misses = new LongAdder();

    private final LongAdder errors = new LongAdder();

    private final LongAdder acquireTimeouts = new LongAdder();

    private final LongAdder rejected = new LongAdder();

    private final LongAdder leaks = new LongAdder();

    private final LongAdder listenerErrors = new LongAdder();

    private final AtomicLongArray closedByReason = new AtomicLongArray(REASONS.length);

    // Background warming state (maintenance thread only).
    volatile boolean warmInFlight;

    long nextWarmNanos;

    int warmFailures;

    long lastSweepNanos;

    private final DefaultConnectionPool pool;

    EndpointPool(Endpoint endpoint, String name, PoolConfig config, ConnectionFactory factory,
            ConnectionPoolListener[] listeners, Ticker ticker, DefaultConnectionPool pool) {
        this.pool = pool;
        this.endpoint = endpoint;
        this.name = name;
        this.config = config;
        this.factory = factory;
        this.listeners = listeners;
        this.hasListeners = listeners.length > 0;
        this.ticker = ticker;
        this.maxConnections = config.maxConnectionsPerEndpoint();
        this.maxPending = config.maxPendingAcquires().orElse(Integer.MAX_VALUE);
        this.maxUses = config.maxConnectionUses().orElse(Long.MAX_VALUE);
        this.maxIdleNanos = config.maxIdleTime().toNanos();
        this.leakThresholdNanos = config.leakDetectionThreshold().map(Duration::toNanos).orElse(0L);
        this.healthCheck = config.healthCheck().orElse(null);
        this.breaker = new CircuitBreaker(endpoint, config, ticker, this::circuitChanged);
        this.lastActivityNanos = ticker.nanoTime();
        this.nextWarmNanos = lastActivityNanos; // warming may start now (a ticker may read negative: no 0 default)
        if (endpoint.isTls() && !endpoint.tls().verifyHostname()) {
            log.warn("host name verification is OFF for {}: any certificate its trust material accepts will do, "
                    + "for any name", endpoint);
        }
    }

    // ---------------------------------------------------------------- acquire

    /**
     * Leases a connection within {@code timeoutNanos}. Returns {@code null} only if this endpoint pool was removed
     * from the pool's map concurrently (the caller looks it up again).
     */
    Lease acquire(long timeoutNanos) {
        long start = System.nanoTime();
        long deadline = start + timeoutNanos;
        boolean probe;
        try {
            probe = breaker.admit();
        }
        catch (ConpoolException ex) {
            rejected.increment();
            acquireFailed(ex);
            throw ex;
        }
        boolean success = false;
        try {
            Lease lease = obtain(start, deadline, timeoutNanos);
            if (lease != null && probe) {
                breaker.success();
            }
            success = lease != null;
            return lease;
        }
        catch (ConpoolException ex) {
            ConpoolException reported = ex;
            if (ex instanceof CallerDeadlineException) {
                // This caller's time ran out before or while connecting, within the connection timeout: its acquire
                // timed out; the endpoint did nothing wrong.
                acquireTimeouts.increment();
                int attempts = ((CallerDeadlineException) ex).attempts();
                reported = new AcquireTimeoutException(endpoint, Duration.ofNanos(timeoutNanos), attempts == 0
                        ? " (the time ran out before a connection could be opened)"
                        : " (the time ran out while opening a connection, attempt " + attempts + ")");
                reported.initCause(ex.getCause());
            }
            acquireFailed(reported);
            throw reported;
        }
        finally {
            if (probe && !success && breaker.state() == CircuitState.HALF_OPEN) {
                breaker.probeAbandoned();
            }
        }
    }

    private Lease obtain(long start, long deadline, long timeoutNanos) {
        Connection c = null;
        Waiter w = null;
        lock.lock();
        try {
            if (removed) {
                return null;
            }
            if (closed) {
                throw closedException();
            }
            c = idle.pollFirst();
            if (c != null) {
                c.leased = true;
                leased++;
            }
            else if (slotsInUse() < maxConnections) {
                opening++;
            }
            else if (waiters.size() >= maxPending) {
                rejected.increment();
                throw new PendingAcquiresExceededException(endpoint, maxPending);
            }
            else {
                w = new Waiter(deadline, VirtualThreads.isVirtual(Thread.currentThread()));
                waiters.addLast(w);
            }
        }
        finally {
            lock.unlock();
        }
        if (w != null) {
            if (w.watched && pool != null) {
                pool.watchDeadline(deadline);
            }
            Object grant = await(w, deadline, timeoutNanos);
            if (grant instanceof Connection) {
                c = (Connection) grant;
            }
        }
        Lease lease = c != null ? validateOrReplace(c, deadline) : openInSlot(deadline);
        if (hasListeners) {
            long waited = System.nanoTime() - start;
            for (ConnectionPoolListener l : listeners) {
                try {
                    l.onAcquired(endpoint, waited);
                }
                catch (RuntimeException ex) {
                    listenerFailed(ex);
                }
            }
        }
        return lease;
    }

    /** Parks until granted, or fails on timeout or interrupt (giving back a grant that raced in). */
    private Object await(Waiter w, long deadline, long timeoutNanos) {
        boolean interrupted = false;
        while (true) {
            Object grant = w.grant;
            if (grant != null) {
                return unwrap(grant);
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                break;
            }
            if (w.watched) {
                LockSupport.park(this); // no timer: the pool's deadline check unparks it (see Waiter.watched)
            }
            else {
                LockSupport.parkNanos(this, remaining);
            }
            if (Thread.interrupted()) {
                interrupted = true;
                break;
            }
        }
        Object raced;
        lock.lock();
        try {
            raced = w.grant;
            if (raced == null) {
                waiters.remove(w);
            }
        }
        finally {
            lock.unlock();
        }
        if (raced instanceof ConpoolException) {
            throw (ConpoolException) raced;
        }
        // A grant that raced with the deadline or the interrupt goes to the next waiter.
        if (raced instanceof Connection) {
            returnToPool((Connection) raced);
        }
        else if (raced == Waiter.SLOT) {
            lock.lock();
            try {
                opening--;
                passSlotLocked();
            }
            finally {
                lock.unlock();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
            throw new AcquireInterruptedException(endpoint, new InterruptedException());
        }
        acquireTimeouts.increment();
        throw new AcquireTimeoutException(endpoint, Duration.ofNanos(timeoutNanos),
                " (" + maxConnections + " connections in use, " + pendingNow() + " callers waiting)");
    }

    private static Object unwrap(Object grant) {
        if (grant instanceof ConpoolException) {
            throw (ConpoolException) grant;
        }
        return grant;
    }

    /**
     * Wakes the virtual-thread waiters whose deadline has passed (they park without a timer and, woken, time out
     * by themselves). Returns the earliest deadline of those still waiting, or {@link Long#MAX_VALUE} if none.
     */
    long wakeExpiredWatchedWaiters(long nowNanos) {
        long earliest = Long.MAX_VALUE;
        lock.lock();
        try {
            for (Waiter w : waiters) {
                if (!w.watched) {
                    continue;
                }
                if (nowNanos - w.deadline >= 0) {
                    LockSupport.unpark(w.thread);
                }
                else if (earliest == Long.MAX_VALUE || w.deadline - earliest < 0) {
                    earliest = w.deadline;
                }
            }
        }
        finally {
            lock.unlock();
        }
        return earliest;
    }

    /** Checks an idle connection; replaces it (same slot) until one passes or a new one is opened. */
    private Lease validateOrReplace(Connection c, long deadline) {
        while (c != null) {
            CloseReason bad = check(c, deadline);
            if (bad == null) {
                c.uses++;
                startLease(c);
                reused.increment();
                if (hasListeners) {
                    for (ConnectionPoolListener l : listeners) {
                        try {
                            l.onConnectionReused(endpoint);
                        }
                        catch (RuntimeException ex) {
                            listenerFailed(ex);
                        }
                    }
                }
                return new Lease(this, c, true);
            }
            Connection next;
            lock.lock();
            try {
                forgetLeasedLocked(c);
                next = idle.pollFirst();
                if (next != null) {
                    next.leased = true;
                    leased++;
                }
                else {
                    opening++;
                }
            }
            finally {
                lock.unlock();
            }
            destroy(c, bad);
            c = next;
        }
        return openInSlot(deadline);
    }

    /** Why an idle connection must not be handed out, or {@code null}. */
    private CloseReason check(Connection c, long deadline) {
        long now = ticker.nanoTime();
        CloseReason stale = staleness(c, now);
        if (stale != null) {
            return stale;
        }
        CloseReason dead = c.probe();
        if (dead != null) {
            return dead;
        }
        if (healthCheck != null) {
            return runHealthCheck(c, deadline);
        }
        return null;
    }

    /** The rules that need no I/O: cleared, retired address, lifetime, idle time. */
    private CloseReason staleness(Connection c, long now) {
        if (c.generation != generation) {
            return CloseReason.CLEARED;
        }
        if (c.retired) {
            return CloseReason.ADDRESS_RETIRED;
        }
        if (now - c.expiresAtNanos >= 0) {
            return CloseReason.LIFETIME_EXPIRED;
        }
        if (now - c.lastUsedNanos > maxIdleNanos) {
            return CloseReason.IDLE_TIMEOUT;
        }
        return null;
    }

    private CloseReason runHealthCheck(Connection c, long deadline) {
        // Bounded by its own timeout and by what is left of the acquire's deadline.
        long budgetMs = Math.max(1,
                Math.min(config.healthCheckTimeout().toMillis(), (deadline - System.nanoTime()) / 1_000_000));
        Lease probeLease = new Lease(this, c, true);
        try {
            int saved = c.socket.getSoTimeout();
            c.socket.setSoTimeout((int) budgetMs);
            boolean healthy = healthCheck.isHealthy(probeLease);
            c.socket.setSoTimeout(saved);
            if (healthy && c.leftoverOnReturn() == null) {
                return null;
            }
            return CloseReason.HEALTH_CHECK_FAILED;
        }
        catch (Exception ex) {
            if (!(ex instanceof java.io.IOException)) {
                listenerFailed(ex);
            }
            log.debug("health check of {} failed: {}", endpoint, ex.toString());
            return CloseReason.HEALTH_CHECK_FAILED;
        }
    }

    /** Opens a new connection in a slot this caller holds (counted in {@code opening}). */
    private Lease openInSlot(long deadline) {
        Connection c;
        try {
            c = factory.open(endpoint, config, currentGeneration(), deadline);
        }
        catch (ConpoolException ex) {
            // Count the failure first: if it opens the breaker, the waiters fail now instead of one of them being
            // handed this slot and trying a connect the breaker already forbids. A caller whose deadline passed
            // before or during an attempt (within its connection timeout) says nothing about the endpoint: no error,
            // no breaker failure.
            if (!(ex instanceof AcquireInterruptedException) && !(ex instanceof CallerDeadlineException)) {
                connectFailed(ex);
            }
            lock.lock();
            try {
                opening--;
                passSlotLocked();
            }
            finally {
                lock.unlock();
            }
            throw ex;
        }
        boolean lateClose;
        lock.lock();
        try {
            opening--;
            lateClose = closed;
            if (!lateClose) {
                c.leased = true;
                leased++;
                all.add(c);
            }
        }
        finally {
            lock.unlock();
        }
        created.increment();
        breaker.success();
        long connectNanos = ticker.nanoTime() - c.createdNanos;
        for (ConnectionPoolListener l : listeners) {
            try {
                l.onConnectionCreated(endpoint, connectNanos);
            }
            catch (RuntimeException ex) {
                listenerFailed(ex);
            }
        }
        if (lateClose) {
            destroy(c, CloseReason.POOL_CLOSED);
            lock.lock();
            try {
                passSlotLocked();
            }
            finally {
                lock.unlock();
            }
            throw closedException();
        }
        misses.increment();
        c.uses = 1;
        startLease(c);
        return new Lease(this, c, false);
    }

    private void startLease(Connection c) {
        if (leakThresholdNanos > 0) {
            c.leasedAtNanos = ticker.nanoTime();
            c.leasedBy = new Throwable("connection to " + endpoint + " leased here");
            c.leakReported = false;
        }
        else if (hasListeners) {
            c.leasedAtNanos = ticker.nanoTime();
        }
    }

    private void connectFailed(ConpoolException ex) {
        errors.increment();
        for (ConnectionPoolListener l : listeners) {
            try {
                l.onConnectFailed(endpoint, ex);
            }
            catch (RuntimeException e) {
                listenerFailed(e);
            }
        }
        if (breaker.failure(ex)) {
            failWaiters(breaker.openException());
        }
    }

    private void acquireFailed(ConpoolException ex) {
        for (ConnectionPoolListener l : listeners) {
            try {
                l.onAcquireFailed(endpoint, ex);
            }
            catch (RuntimeException e) {
                listenerFailed(e);
            }
        }
    }

    // ---------------------------------------------------------------- release

    /** Ends a lease: back to a waiter or the idle stack, or destroyed for {@code reason} (or what the check finds). */
    void release(Lease lease, CloseReason reason) {
        Connection c = lease.connection;
        long now = ticker.nanoTime();
        if (hasListeners) {
            long held = now - c.leasedAtNanos;
            for (ConnectionPoolListener l : listeners) {
                try {
                    l.onReleased(endpoint, held);
                }
                catch (RuntimeException ex) {
                    listenerFailed(ex);
                }
            }
        }
        c.leasedBy = null;
        if (reason == null) {
            reason = c.leftoverOnReturn();
        }
        if (reason == null) {
            if (c.uses >= maxUses) {
                reason = CloseReason.MAX_USES;
            }
            else if (now - c.expiresAtNanos >= 0) {
                reason = CloseReason.LIFETIME_EXPIRED;
            }
            else if (c.retired) {
                reason = CloseReason.ADDRESS_RETIRED;
            }
        }
        c.lastUsedNanos = now;
        if (reason == null) {
            returnToPool(c);
            return;
        }
        lock.lock();
        try {
            forgetLeasedLocked(c);
            lastActivityNanos = now;
            passSlotLocked();
        }
        finally {
            lock.unlock();
        }
        destroy(c, reason);
    }

    /** Gives a healthy leased connection to the longest waiter, or to the idle stack. */
    private void returnToPool(Connection c) {
        Waiter next;
        boolean destroy = false;
        lock.lock();
        try {
            lastActivityNanos = c.lastUsedNanos;
            if (c.generation != generation || closed) {
                forgetLeasedLocked(c);
                destroy = true;
                passSlotLocked();
                next = null;
            }
            else {
                next = waiters.pollFirst();
                if (next != null) {
                    next.grant = c; // stays leased: it moves to the waiter
                }
                else {
                    c.leased = false;
                    leased--;
                    idle.addFirst(c);
                }
            }
        }
        finally {
            lock.unlock();
        }
        if (next != null) {
            LockSupport.unpark(next.thread);
        }
        if (destroy) {
            destroy(c, closedOrCleared());
        }
    }

    private CloseReason closedOrCleared() {
        return closed ? CloseReason.POOL_CLOSED : CloseReason.CLEARED;
    }

    /** A slot was freed: hand it to the longest waiter, or let it go. Caller holds the lock. */
    private void passSlotLocked() {
        Waiter next = closed ? null : waiters.pollFirst();
        if (next != null) {
            opening++;
            next.grant = Waiter.SLOT;
            LockSupport.unpark(next.thread);
        }
    }

    private void destroy(Connection c, CloseReason reason) {
        if (!c.close()) {
            return; // already closed (force-closed at shutdown): counted then
        }
        closedByReason.incrementAndGet(reason.ordinal());
        for (ConnectionPoolListener l : listeners) {
            try {
                l.onConnectionClosed(endpoint, reason);
            }
            catch (RuntimeException ex) {
                listenerFailed(ex);
            }
        }
        if (log.isDebugEnabled()) {
            log.debug("closed connection to {} via {}: {}", endpoint, c.remote, reason.tag());
        }
    }

    // ---------------------------------------------------------------- management

    ClearResult clear() {
        List<Connection> toClose;
        int marked;
        lock.lock();
        try {
            generation++;
            toClose = drainIdleLocked();
            marked = leased;
        }
        finally {
            lock.unlock();
        }
        for (Connection c : toClose) {
            destroy(c, CloseReason.CLEARED);
        }
        for (ConnectionPoolListener l : listeners) {
            try {
                l.onEndpointCleared(endpoint);
            }
            catch (RuntimeException ex) {
                listenerFailed(ex);
            }
        }
        log.info("cleared {}: {} idle connections closed, {} leased ones will close when returned", endpoint,
                toClose.size(), marked);
        return new ClearResult(endpoint, toClose.size(), marked);
    }

    int closeIdle() {
        List<Connection> toClose;
        lock.lock();
        try {
            toClose = drainIdleLocked();
        }
        finally {
            lock.unlock();
        }
        for (Connection c : toClose) {
            destroy(c, CloseReason.IDLE_TRIMMED);
        }
        return toClose.size();
    }

    /** Opens up to {@code count} idle connections in free slots, in this thread. */
    int warm(int count) {
        int made = 0;
        while (made < count) {
            if (!reserveWarmSlot(Integer.MAX_VALUE)) {
                break;
            }
            addIdle(openForWarm());
            made++;
        }
        return made;
    }

    /** Reserves a slot for a new idle connection if one is free, nobody waits, and idle is below {@code target}. */
    boolean reserveWarmSlot(int target) {
        lock.lock();
        try {
            if (closed || removed || !waiters.isEmpty() || slotsInUse() >= maxConnections
                    || idle.size() + opening >= target) {
                return false;
            }
            opening++;
            return true;
        }
        finally {
            lock.unlock();
        }
    }

    /** Opens a connection in a reserved slot; on failure the slot is freed and the error counted and rethrown. */
    Connection openForWarm() {
        if (breaker.state() != CircuitState.CLOSED) {
            releaseReservedSlot();
            throw breaker.openException();
        }
        try {
            Connection c = factory.open(endpoint, config, currentGeneration(),
                    System.nanoTime() + config.connectionTimeout().toNanos() * config.connectAttempts()
                            + config.connectBackoff().toNanos() * (1L << Math.min(config.connectAttempts(), 20)));
            created.increment();
            breaker.success();
            long connectNanos = ticker.nanoTime() - c.createdNanos;
            for (ConnectionPoolListener l : listeners) {
                try {
                    l.onConnectionCreated(endpoint, connectNanos);
                }
                catch (RuntimeException ex) {
                    listenerFailed(ex);
                }
            }
            return c;
        }
        catch (ConpoolException ex) {
            ConpoolException failure = ex;
            if (ex instanceof CallerDeadlineException) {
                // Warming's deadline is the whole connect budget: running out of it is the endpoint's timeout.
                CallerDeadlineException late = (CallerDeadlineException) ex;
                failure = new ConnectTimeoutException(endpoint, late.attempts(), config.connectionTimeout(),
                        late.getCause());
            }
            if (!(failure instanceof AcquireInterruptedException)) {
                connectFailed(failure); // first, as in openInSlot: an opened breaker fails waiters before the slot moves
            }
            releaseReservedSlot();
            throw failure;
        }
    }

    private void releaseReservedSlot() {
        lock.lock();
        try {
            opening--;
            passSlotLocked();
        }
        finally {
            lock.unlock();
        }
    }

    /** Puts a freshly opened connection (whose slot is reserved) into the pool: to a waiter first. */
    void addIdle(Connection c) {
        lock.lock();
        try {
            opening--;
            c.leased = true;
            leased++;
            all.add(c);
        }
        finally {
            lock.unlock();
        }
        c.uses = 0;
        returnToPool(c);
    }

    /**
     * One pass of the background sweep: closes idle connections that are cleared, retired, expired, idle too long,
     * dead, or above {@code maxIdlePerEndpoint} (longest idle first); reports leaks. Examines every idle
     * connection. Returns how many more idle connections {@code minIdlePerEndpoint} wants.
     */
    int sweep(long now) {
        List<Connection> toClose = new ArrayList<>();
        List<CloseReason> reasons = new ArrayList<>();
        long coldNanos = config.validationInterval().toNanos();
        int deficit;
        lock.lock();
        try {
            Iterator<Connection> it = idle.descendingIterator(); // oldest first
            while (it.hasNext()) {
                Connection c = it.next();
                CloseReason bad = staleness(c, now);
                if (bad == null) {
                    bad = c.probe();
                }
                if (bad != null) {
                    it.remove();
                    toClose.add(c);
                    reasons.add(bad);
                }
                else if (now - c.lastUsedNanos >= coldNanos) {
                    // Unused for a whole interval: its 16 KB of stream buffers go (remade on the next lease), so
                    // thousands of idle endpoints cost little heap. Busy connections keep theirs.
                    c.shedBuffers();
                }
            }
            while (idle.size() > config.maxIdlePerEndpoint()) {
                toClose.add(idle.pollLast());
                reasons.add(CloseReason.IDLE_TRIMMED);
            }
            for (Connection c : toClose) {
                all.remove(c);
                passSlotLocked();
            }
            if (leakThresholdNanos > 0) {
                for (Connection c : all) {
                    if (c.leased && !c.leakReported && c.leasedBy != null && now - c.leasedAtNanos > leakThresholdNanos) {
                        c.leakReported = true;
                        leaks.increment();
                        leakLog.warn("connection to {} leased for {} ms without being returned (threshold {} ms); "
                                + "leased at:", endpoint, (now - c.leasedAtNanos) / 1_000_000,
                                leakThresholdNanos / 1_000_000, c.leasedBy);
                    }
                }
            }
            deficit = closed || !waiters.isEmpty() ? 0
                    : Math.min(config.minIdlePerEndpoint() - idle.size() - opening, maxConnections - slotsInUse());
        }
        finally {
            lock.unlock();
        }
        for (int i = 0; i < toClose.size(); i++) {
            destroy(toClose.get(i), reasons.get(i));
        }
        return Math.max(0, deficit);
    }

    /** Removes this pool if it is empty, unnamed and unused for {@code maxIdleTime}. */
    boolean removeIfUnused(long now) {
        lock.lock();
        try {
            if (name != null || closed || removed || !all.isEmpty() || opening > 0
                    || !waiters.isEmpty() || now - lastActivityNanos <= maxIdleNanos) {
                return false;
            }
            removed = true;
            return true;
        }
        finally {
            lock.unlock();
        }
    }

    /** Retires connections to addresses no longer in the DNS answer: idle ones now, leased ones on return. */
    void retireAddressesNotIn(Set<java.net.InetAddress> current) {
        List<Connection> toClose = new ArrayList<>();
        lock.lock();
        try {
            for (Connection c : all) {
                if (!current.contains(c.remote.getAddress())) {
                    c.retired = true;
                }
            }
            Iterator<Connection> it = idle.iterator();
            while (it.hasNext()) {
                Connection c = it.next();
                if (c.retired) {
                    it.remove();
                    all.remove(c);
                    toClose.add(c);
                    passSlotLocked();
                }
            }
        }
        finally {
            lock.unlock();
        }
        for (Connection c : toClose) {
            destroy(c, CloseReason.ADDRESS_RETIRED);
        }
    }

    /** Closes idle connections and fails waiters; leased ones close when returned. */
    void close() {
        List<Connection> toClose;
        List<Waiter> woken;
        lock.lock();
        try {
            closed = true;
            toClose = drainIdleLocked();
            woken = new ArrayList<>(waiters);
            waiters.clear();
            PoolClosedException ex = closedException();
            for (Waiter w : woken) {
                w.grant = ex;
            }
        }
        finally {
            lock.unlock();
        }
        for (Waiter w : woken) {
            LockSupport.unpark(w.thread);
        }
        for (Connection c : toClose) {
            destroy(c, CloseReason.POOL_CLOSED);
        }
    }

    /** Closes the sockets of connections still leased (end of the shutdown grace period). Returns how many. */
    int forceCloseLeased() {
        List<Connection> out;
        lock.lock();
        try {
            out = new ArrayList<>();
            for (Connection c : all) {
                if (c.leased) {
                    out.add(c);
                }
            }
        }
        finally {
            lock.unlock();
        }
        for (Connection c : out) {
            c.abortChannel(); // its lessee may be stuck in I/O: a TLS close would wait for it
            destroy(c, CloseReason.POOL_CLOSED);
        }
        return out.size();
    }

    void resetCircuit() {
        breaker.reset();
    }

    private void failWaiters(ConpoolException ex) {
        List<Waiter> woken;
        lock.lock();
        try {
            woken = new ArrayList<>(waiters);
            waiters.clear();
            for (Waiter w : woken) {
                w.grant = ex;
            }
        }
        finally {
            lock.unlock();
        }
        for (Waiter w : woken) {
            LockSupport.unpark(w.thread);
        }
        rejected.add(woken.size());
    }

    // ---------------------------------------------------------------- stats

    int leasedCount() {
        lock.lock();
        try {
            return leased;
        }
        finally {
            lock.unlock();
        }
    }

    EndpointStats stats() {
        int active;
        int idleNow;
        int pending;
        lock.lock();
        try {
            active = leased;
            idleNow = idle.size();
            pending = waiters.size();
        }
        finally {
            lock.unlock();
        }
        Map<CloseReason, Long> byReason = new EnumMap<>(CloseReason.class);
        long closedTotal = 0;
        for (CloseReason r : REASONS) {
            long n = closedByReason.get(r.ordinal());
            byReason.put(r, n);
            closedTotal += n;
        }
        return new EndpointStats(endpoint, name, active, idleNow, pending, maxConnections, created.sum(),
                reused.sum(), misses.sum(), closedTotal, byReason, errors.sum(), acquireTimeouts.sum(),
                rejected.sum(), leaks.sum(), listenerErrors.sum(), breaker.state());
    }

    static EndpointStats emptyStats(Endpoint endpoint, String name, PoolConfig config) {
        Map<CloseReason, Long> byReason = new EnumMap<>(CloseReason.class);
        for (CloseReason r : REASONS) {
            byReason.put(r, 0L);
        }
        return new EndpointStats(endpoint, name, 0, 0, 0, config.maxConnectionsPerEndpoint(), 0, 0, 0, 0, byReason, 0,
                0, 0, 0, 0, CircuitState.CLOSED);
    }

    private int slotsInUse() {
        return idle.size() + leased + opening;
    }

    /** A leased connection is about to be destroyed. Caller holds the lock. */
    private void forgetLeasedLocked(Connection c) {
        c.leased = false;
        leased--;
        all.remove(c);
    }

    /** Takes every idle connection out, handing their slots on. Caller holds the lock. */
    private List<Connection> drainIdleLocked() {
        List<Connection> drained = new ArrayList<>(idle);
        idle.clear();
        for (Connection c : drained) {
            all.remove(c);
            passSlotLocked();
        }
        return drained;
    }

    private int pendingNow() {
        lock.lock();
        try {
            return waiters.size();
        }
        finally {
            lock.unlock();
        }
    }

    private int currentGeneration() {
        lock.lock();
        try {
            return generation;
        }
        finally {
            lock.unlock();
        }
    }

    private PoolClosedException closedException() {
        return new PoolClosedException("acquiring a connection to " + endpoint + ": the pool is closed");
    }

    void listenerFailed(Throwable ex) {
        listenerErrors.increment();
        log.warn("a conpool listener or health check for {} threw; ignored", endpoint, ex);
    }

    private void circuitChanged(CircuitState from, CircuitState to) {
        for (ConnectionPoolListener l : listeners) {
            try {
                l.onCircuitStateChanged(endpoint, from, to);
            }
            catch (RuntimeException ex) {
                listenerFailed(ex);
            }
        }
    }

    DefaultConnectionPool pool() {
        return pool;
    }
}
