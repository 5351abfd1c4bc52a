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

    /** {@link System#nanoTime()} by which a connection must be open; only meaningful while {@link #active}. */
    long deadline;

    /** The caller's whole acquire timeout (for messages). */
    long timeoutNanos;

    /** Opening for warming (min idle, {@code warm()}): running out of time is the endpoint's connect timeout. */
    boolean warming;

    /** Never open a connection in this call (taking an idle one to close it, to make room under the total cap). */
    boolean noCreate;

    /** Skip the reuse rules on borrow (the connection is taken only to be closed). */
    boolean skipValidation;

    /** The endpoint a connection is opened for (set by every caller that may make the factory open one). */
    EndpointPool owner;

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

    /** Fills the calling thread's context for one call into commons-pool2. */
    static CallContext enter(long deadline, long timeoutNanos, CloseReason closeReason) {
        CallContext c = CURRENT.get();
        c.deadline = deadline;
        c.timeoutNanos = timeoutNanos;
        c.destroyed = 0;
        c.closeReason = closeReason;
        c.active = true;
        return c;
    }

    void exit() {
        active = false;
        warming = false;
        noCreate = false;
        skipValidation = false;
        closeReason = null;
        owner = null;
        adopt = null;
    }
}
