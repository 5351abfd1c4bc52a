package io.conpool.internal;

import io.conpool.CloseReason;

/**
 * What a call into commons-pool2 carries to the {@link SocketFactory} it calls back on the same thread:
 * commons-pool2's factory methods take only the key and the object, but opening a connection must respect the
 * caller's deadline, and a close needs its reason. One mutable instance per thread, filled before the call and
 * emptied after it ({@link #enter}/{@link #exit}), so the borrow path allocates nothing for it.
 */
final class CallContext {

    private static final ThreadLocal<CallContext> CURRENT = ThreadLocal.withInitial(CallContext::new);

    /** {@link System#nanoTime()} by which the call must be done, once known (see {@link #deadline()}). */
    private long deadline;

    /** Whether {@link #deadline} has been fixed: the clock is read only when a deadline is first needed. */
    private boolean deadlineKnown;

    /** The caller's whole acquire timeout (for messages). */
    long timeoutNanos;

    /** Opening for warming (min idle, {@code warm()}): running out of time is the endpoint's connect timeout. */
    boolean warming;

    /** Never open a connection in this call (taking an idle one to close it, to make room under the total cap). */
    boolean noCreate;

    /** Skip the reuse rules on borrow (the connection is taken only to be closed). */
    boolean skipValidation;

    /**
     * A background health check's borrow: the health check runs only on connections not checked within the interval,
     * each with its own full timeout (there is no caller's deadline).
     */
    boolean background;

    /** The endpoint a connection is opened for (set by every caller that may make the factory open one). */
    EndpointPool owner;

    /**
     * Marks the connection this call opens ({@code acquireNew}): set on it by the factory, so that the borrow that
     * follows can tell it from an idle one. A new object per such call, never reused.
     */
    Object claim;

    /** A connection made elsewhere, to be pooled as it is instead of dialing (the benchmarks' socketless ones). */
    Connection adopt;

    /** Why connections closed by this call close, when the connection itself carries no reason (clear, close...). */
    CloseReason closeReason;

    /** Connections destroyed during this call (what a clear closed). */
    int destroyed;

    boolean active;

    private CallContext() {
    }

    static CallContext current() {
        return CURRENT.get();
    }

    /** Fills the calling thread's context for one call into commons-pool2, with a deadline known already. */
    static CallContext enter(long deadline, long timeoutNanos, CloseReason closeReason) {
        CallContext c = enterLazily(timeoutNanos, closeReason);
        c.deadline = deadline;
        c.deadlineKnown = true;
        return c;
    }

    /**
     * Fills the calling thread's context for a call that must end within {@code timeoutNanos}, counted from the
     * first moment the deadline matters ({@link #deadline()}): a borrow that finds a permit and an idle connection
     * at once never reads the clock for it. (What runs before that moment is a few hundred nanoseconds of
     * bookkeeping; on a virtual machine a clock read may cost as much.)
     */
    static CallContext enterLazily(long timeoutNanos, CloseReason closeReason) {
        CallContext c = CURRENT.get();
        c.deadlineKnown = false;
        c.timeoutNanos = timeoutNanos;
        c.destroyed = 0;
        c.closeReason = closeReason;
        c.active = true;
        return c;
    }

    /** The call's deadline ({@link System#nanoTime()}), fixed the first time it is asked for. */
    long deadline() {
        if (!deadlineKnown) {
            deadline = System.nanoTime() + timeoutNanos;
            deadlineKnown = true;
        }
        return deadline;
    }

    void exit() {
        active = false;
        warming = false;
        noCreate = false;
        skipValidation = false;
        background = false;
        closeReason = null;
        owner = null;
        adopt = null;
        claim = null;
    }
}
