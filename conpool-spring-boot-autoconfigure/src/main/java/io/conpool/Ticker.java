package io.conpool;

/**
 * Source of monotonic time in nanoseconds, for every time-based rule (idle time, lifetime, leak threshold, circuit
 * breaker, DNS TTL). Tests inject one to move time without sleeping; waits still use real time.
 */
@FunctionalInterface
public interface Ticker {

    /** {@link System#nanoTime()}. */
    Ticker SYSTEM = System::nanoTime;

    long nanoTime();
}
