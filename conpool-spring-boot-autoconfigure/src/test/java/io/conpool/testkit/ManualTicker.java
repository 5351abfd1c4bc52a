package io.conpool.testkit;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import io.conpool.Ticker;

/**
 * A {@link Ticker} that moves only when the test says so, for expiry rules without sleeping. Starts at an
 * arbitrary non-zero value (the pool must never rely on time starting at zero). Thread-safe.
 */
public final class ManualTicker implements Ticker {

    private final AtomicLong nanos = new AtomicLong(1_000_000_000_000L);

    @Override
    public long nanoTime() {
        return nanos.get();
    }

    /** Moves time forward. */
    public ManualTicker advance(Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("time never goes back: " + d);
        }
        nanos.addAndGet(d.toNanos());
        return this;
    }

    @Override
    public String toString() {
        return "ManualTicker[" + nanos.get() + " ns]";
    }
}
