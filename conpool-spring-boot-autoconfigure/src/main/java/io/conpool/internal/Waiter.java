package io.conpool.internal;

/**
 * A caller queued at a {@link Gate}. The releasing thread hands it exactly one grant, under the gate's lock:
 * {@link #SLOT} (a permit) or a {@link io.conpool.ConpoolException} to throw (pool closed, circuit opened).
 */
final class Waiter {

    /** Grant meaning "a permit is yours". */
    static final Object SLOT = new Object();

    /** Grant meaning "no permit, but look again" ({@link Gate#nudge}). */
    static final Object NUDGE = new Object();

    final Thread thread = Thread.currentThread();

    /** {@link System#nanoTime()} by which the caller gives up. */
    final long deadline;

    /**
     * The caller is a virtual thread: it parks without a timer and the pool's deadline check wakes it when its
     * deadline passes. (On JDK 25 every timed park of a virtual thread schedules, and on an early wake-up cancels,
     * a timer task, which wakes the timer thread each time: about 15 us of CPU per wait measured here, when a
     * saturated pool hands a connection over tens of thousands of times a second.)
     */
    final boolean watched;

    volatile Object grant;

    /** Who the waiter waits for, so {@link Gate#nudge} can find it; {@code null} if nobody needs to. */
    Object tag;

    /** Set by the waiter itself when it saw its grant before its deadline passed or an interrupt came. */
    boolean grantedInTime;

    Waiter(long deadline, boolean watched) {
        this.deadline = deadline;
        this.watched = watched;
    }
}
