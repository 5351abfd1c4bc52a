package io.conpool.internal;

/**
 * A caller queued for a connection. The releasing thread hands it exactly one grant, under the endpoint's lock:
 * a {@link Connection} (already counted as leased), {@link #SLOT} (permission to open one), or a
 * {@link io.conpool.ConpoolException} to throw (pool closed, circuit opened).
 */
final class Waiter {

    /** Grant meaning "a slot is yours: open a connection in it". */
    static final Object SLOT = new Object();

    final Thread thread = Thread.currentThread();

    volatile Object grant;
}
