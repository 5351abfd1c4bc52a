package io.conpool.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import io.conpool.ConpoolException;

/**
 * The only place a caller of conpool waits: a first-come-first-served count of permits with a deadline. One gate per
 * endpoint holds that endpoint's {@code maxConnections} permits (a permit is the right to hold one connection); a
 * second, pool-wide gate holds {@code maxTotalConnections} when that is set (a permit per open connection).
 *
 * <p>Fast path: one compare-and-set on a single word that packs the free permits (high half) and the number of
 * waiters (low half). A free permit is taken without a lock only when nobody waits, so an arriving caller never
 * overtakes a waiting one; a released permit goes to the longest waiter, under the lock. Because both numbers change
 * together, "a permit is free" and "someone waits" can never be true at once for longer than a hand-over.
 *
 * <p>Waiting is interrupt-safe and bounded by the caller's deadline; a grant that races with a timeout or an
 * interrupt is passed on, never lost. A virtual thread parks without a timer (see {@link #wakeExpired}); a platform
 * thread parks with one.
 */
final class Gate {

    /** What {@link #acquire} reports when it did not get a permit. */
    enum Outcome {
        GRANTED, TIMED_OUT, INTERRUPTED, REJECTED, RETIRED,
        /** Woken by {@link #nudge}: what it waits for may be there another way; look again. */
        NUDGED
    }

    private static final long CLOSED = Long.MIN_VALUE;

    private static final long ONE_PERMIT = 1L << 32;

    private static final long WAITERS = 0xFFFF_FFFFL;

    private final int maxPending;

    /** (free permits &lt;&lt; 32) | waiters, or {@link #CLOSED}. Waiters change only under {@link #lock}. */
    private final AtomicLong state;

    private final ReentrantLock lock = new ReentrantLock();

    // Guarded by lock: as many entries as the waiters half of state.
    private final ArrayDeque<Waiter> queue = new ArrayDeque<>();

    /** Why the gate closed ({@code null}: retired, the caller should look its endpoint up again). */
    private volatile ConpoolException closedBecause;

    Gate(int permits, int maxPending) {
        this.state = new AtomicLong(permits * ONE_PERMIT);
        this.maxPending = maxPending;
    }

    /** Takes a permit if one is free and nobody waits; never waits. */
    boolean tryAcquire() {
        long s;
        while ((s = state.get()) != CLOSED && (s & WAITERS) == 0 && s >= ONE_PERMIT) {
            if (state.compareAndSet(s, s - ONE_PERMIT)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Takes a permit, waiting in line until {@code deadline} ({@link System#nanoTime()}) if none is free.
     *
     * @param onQueued called (outside the lock) when this caller queues with a timer-free park, with its deadline,
     *                 so the pool schedules a deadline check; may be {@code null}
     * @throws ConpoolException the gate was closed, or its waiters failed, with this exception
     */
    Outcome acquire(long deadline, DeadlineWatch onQueued) {
        return acquire(deadline, onQueued, null);
    }

    /**
     * As {@link #acquire(long, DeadlineWatch)}, for a waiter marked with {@code tag}, which {@link #nudge} can wake
     * without a permit.
     */
    Outcome acquire(long deadline, DeadlineWatch onQueued, Object tag) {
        if (tryAcquire()) {
            return Outcome.GRANTED;
        }
        Waiter w;
        lock.lock();
        try {
            while (true) {
                long s = state.get();
                if (s == CLOSED) {
                    return closedOutcome();
                }
                if ((s & WAITERS) == 0 && s >= ONE_PERMIT) {
                    if (state.compareAndSet(s, s - ONE_PERMIT)) {
                        return Outcome.GRANTED;
                    }
                    continue;
                }
                if ((s & WAITERS) >= maxPending) {
                    return Outcome.REJECTED;
                }
                if (state.compareAndSet(s, s + 1)) {
                    break;
                }
            }
            w = new Waiter(deadline, VirtualThreads.isVirtual(Thread.currentThread()));
            w.tag = tag;
            queue.addLast(w);
        }
        finally {
            lock.unlock();
        }
        if (w.watched && onQueued != null) {
            onQueued.watch(deadline);
        }
        return await(w, deadline);
    }

    private Outcome await(Waiter w, long deadline) {
        boolean interrupted = false;
        while (true) {
            if (w.grant != null) {
                w.grantedInTime = true;
                break;
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
        Object grant = w.grant;
        if (grant == null) {
            lock.lock();
            try {
                grant = w.grant;
                if (grant == null && queue.remove(w)) {
                    state.addAndGet(-1);
                }
            }
            finally {
                lock.unlock();
            }
        }
        if (grant instanceof ConpoolException) {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            throw (ConpoolException) grant;
        }
        if (grant == Waiter.NUDGE) {
            if (interrupted) {
                Thread.currentThread().interrupt();
                return Outcome.INTERRUPTED;
            }
            return Outcome.NUDGED;
        }
        if (grant == Waiter.SLOT) {
            if (w.grantedInTime) {
                return Outcome.GRANTED;
            }
            release(); // granted just as the deadline or the interrupt landed: the next in line gets it
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
            return Outcome.INTERRUPTED;
        }
        return Outcome.TIMED_OUT;
    }

    /** Gives a permit back: to the longest waiter if there is one, else to the free count. */
    void release() {
        while (true) {
            long s = state.get();
            if (s == CLOSED) {
                return;
            }
            if ((s & WAITERS) == 0) {
                if (state.compareAndSet(s, s + ONE_PERMIT)) {
                    return;
                }
                continue;
            }
            Waiter next;
            lock.lock();
            try {
                s = state.get();
                if (s == CLOSED || (s & WAITERS) == 0) {
                    continue; // the waiters left (timed out, failed) meanwhile: decide again
                }
                next = queue.pollFirst();
                state.addAndGet(-1); // the permit moves to the waiter; the free count stays
                next.grant = Waiter.SLOT;
            }
            finally {
                lock.unlock();
            }
            LockSupport.unpark(next.thread);
            return;
        }
    }

    /**
     * Wakes the longest-waiting caller marked with {@code tag}, without a permit ({@link Outcome#NUDGED}); returns
     * whether there was one.
     */
    boolean nudge(Object tag) {
        Waiter found = null;
        lock.lock();
        try {
            for (java.util.Iterator<Waiter> it = queue.iterator(); it.hasNext();) {
                Waiter w = it.next();
                if (w.tag == tag) {
                    it.remove();
                    state.addAndGet(-1);
                    w.grant = Waiter.NUDGE;
                    found = w;
                    break;
                }
            }
        }
        finally {
            lock.unlock();
        }
        if (found != null) {
            LockSupport.unpark(found.thread);
        }
        return found != null;
    }

    /** Fails every current waiter with {@code failure}; the gate stays open (the circuit opened, say). */
    int failWaiters(ConpoolException failure) {
        List<Waiter> woken = drain(failure, false);
        return woken.size();
    }

    /** Closes the gate for good: waiters and later callers fail with {@code failure}; permits given back are dropped. */
    void close(ConpoolException failure) {
        closedBecause = failure;
        drain(failure, true);
    }

    /**
     * Retires an unused gate (every permit free, nobody waiting) so that callers who still hold a reference look
     * their endpoint up again ({@link Outcome#RETIRED}). Returns whether it was retired.
     */
    boolean retireIfUnused(int permits) {
        return state.compareAndSet(permits * ONE_PERMIT, CLOSED);
    }

    private List<Waiter> drain(ConpoolException failure, boolean close) {
        List<Waiter> woken;
        lock.lock();
        try {
            woken = new ArrayList<>(queue);
            queue.clear();
            for (Waiter w : woken) {
                w.grant = failure;
            }
            while (true) {
                long s = state.get();
                long next = close ? CLOSED : s - (s & WAITERS);
                if (s == CLOSED || state.compareAndSet(s, next)) {
                    break;
                }
            }
        }
        finally {
            lock.unlock();
        }
        for (Waiter w : woken) {
            LockSupport.unpark(w.thread);
        }
        return woken;
    }

    private Outcome closedOutcome() {
        ConpoolException why = closedBecause;
        if (why != null) {
            throw why;
        }
        return Outcome.RETIRED;
    }

    /** Callers waiting now. */
    int waiting() {
        long s = state.get();
        return s == CLOSED ? 0 : (int) (s & WAITERS);
    }

    /** Permits free now. */
    int available() {
        long s = state.get();
        return s == CLOSED ? 0 : (int) (s >>> 32);
    }

    /**
     * Wakes the virtual-thread waiters whose deadline has passed (they park without a timer and, woken, time out by
     * themselves). Returns the earliest deadline of those still waiting, or {@link Long#MAX_VALUE} if none.
     */
    long wakeExpired(long nowNanos) {
        long earliest = Long.MAX_VALUE;
        if (waiting() == 0) {
            return earliest;
        }
        lock.lock();
        try {
            for (Waiter w : queue) {
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

    /** Told when a virtual thread queues with a timer-free park, so a deadline check runs by its deadline. */
    @FunctionalInterface
    interface DeadlineWatch {

        void watch(long deadline);
    }
}
