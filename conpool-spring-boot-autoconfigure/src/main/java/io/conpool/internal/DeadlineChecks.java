package io.conpool.internal;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The deadline checks for waiters that park without a timer (virtual threads, see {@link Waiter#watched}): at most one
 * check is scheduled on the sweeper thread, for the earliest deadline of any waiter, in every endpoint's gate and the
 * pool's total gate. With one acquire timeout for all, later waiters have later deadlines and schedule nothing.
 */
final class DeadlineChecks implements Gate.DeadlineWatch {

    private final DefaultConnectionPool pool;

    private final Maintenance maintenance;

    /** When the next check is due ({@link System#nanoTime()}), or {@link Long#MAX_VALUE} if none is scheduled. */
    private final AtomicLong next = new AtomicLong(Long.MAX_VALUE);

    DeadlineChecks(DefaultConnectionPool pool, Maintenance maintenance) {
        this.pool = pool;
        this.maintenance = maintenance;
    }

    /** A virtual thread with this deadline waits (untimed) in some gate: makes sure a check runs by then. */
    @Override
    public void watch(long deadline) {
        long due;
        while ((due = next.get()) == Long.MAX_VALUE || deadline - due < 0) {
            if (next.compareAndSet(due, deadline)) {
                maintenance.schedule(this::check, deadline - System.nanoTime());
                return;
            }
        }
    }

    /**
     * Wakes the waiters past their deadline, then schedules the next check for the earliest deadline left. A waiter
     * queued during the scan either is seen by it or finds no check due and schedules one.
     */
    private void check() {
        next.set(Long.MAX_VALUE);
        long now = System.nanoTime();
        long earliest = Long.MAX_VALUE;
        for (EndpointPool p : pool.endpointPools()) {
            earliest = earlier(earliest, p.wakeExpiredWaiters(now));
        }
        TotalLimit total = pool.totalLimit();
        if (total != null) {
            earliest = earlier(earliest, total.gate().wakeExpired(now));
        }
        if (earliest != Long.MAX_VALUE) {
            watch(earliest);
        }
    }

    private static long earlier(long a, long b) {
        return b != Long.MAX_VALUE && (a == Long.MAX_VALUE || b - a < 0) ? b : a;
    }
}
