package io.conpool.demo.load;

import java.util.Arrays;

/**
 * Percentiles of a set of latencies, in microseconds (nearest-rank: p99 is a latency some operation really had).
 *
 * @param samples how many latencies
 * @param p50Micros median
 * @param p99Micros 99th percentile
 * @param maxMicros largest
 */
public record LatencySummary(int samples, double p50Micros, double p99Micros, double maxMicros) {

    /** Summarizes the first {@code size} values of {@code nanos}; sorts them in place. */
    static LatencySummary ofNanos(long[] nanos, int size) {
        if (size == 0) {
            return new LatencySummary(0, 0, 0, 0);
        }
        Arrays.sort(nanos, 0, size);
        return new LatencySummary(size, micros(nanos[rank(0.50, size)]), micros(nanos[rank(0.99, size)]),
                micros(nanos[size - 1]));
    }

    private static int rank(double quantile, int size) {
        return Math.max(0, (int) Math.ceil(quantile * size) - 1);
    }

    private static double micros(long nanos) {
        return Math.round(nanos / 100.0) / 10.0;
    }
}
