package io.conpool.demo.load;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** Bounds of the load generator, bound from {@code demo.load.*}. Requests beyond them are refused, not clamped. */
@ConfigurationProperties(prefix = "demo.load")
public class LoadProperties {

    /** Most workers in one run; also the size of the generator's thread pool. */
    private int maxConcurrency = 64;

    /** Most operations in one run. */
    private int maxCount = 100_000;

    /** Longest time an operation may hold its connection (simulated work). */
    private Duration maxHold = Duration.ofSeconds(1);

    /** A run stops starting operations after this long; the summary says so. */
    private Duration maxDuration = Duration.ofSeconds(60);

    /**
     * Checks every value, naming the property and the value in the message.
     *
     * @throws IllegalArgumentException for the first bad value
     */
    public void validate() {
        if (maxConcurrency < 1 || maxConcurrency > 1024) {
            throw new IllegalArgumentException("demo.load.max-concurrency must be 1-1024, was " + maxConcurrency);
        }
        if (maxCount < 1) {
            throw new IllegalArgumentException("demo.load.max-count must be at least 1, was " + maxCount);
        }
        if (maxHold == null || maxHold.isNegative()) {
            throw new IllegalArgumentException("demo.load.max-hold must be zero or positive, was " + maxHold);
        }
        if (maxDuration == null || maxDuration.isNegative() || maxDuration.isZero()) {
            throw new IllegalArgumentException("demo.load.max-duration must be positive, was " + maxDuration);
        }
    }

    public int getMaxConcurrency() {
        return maxConcurrency;
    }

    public void setMaxConcurrency(int maxConcurrency) {
        this.maxConcurrency = maxConcurrency;
    }

    public int getMaxCount() {
        return maxCount;
    }

    public void setMaxCount(int maxCount) {
        this.maxCount = maxCount;
    }

    public Duration getMaxHold() {
        return maxHold;
    }

    public void setMaxHold(Duration maxHold) {
        this.maxHold = maxHold;
    }

    public Duration getMaxDuration() {
        return maxDuration;
    }

    public void setMaxDuration(Duration maxDuration) {
        this.maxDuration = maxDuration;
    }
}
