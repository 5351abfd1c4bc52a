package io.conpool.testkit;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * A lock-free log-linear histogram of durations in nanoseconds (16 sub-buckets per power of two: a percentile is
 * reported within about 6 %), for soak figures such as acquire p50/p99. Fixed memory, whatever the run length.
 */
public final class LatencyHistogram {

    private static final int SUB_BITS = 4;

    private static final int SUB = 1 << SUB_BITS;

    private final AtomicLongArray counts = new AtomicLongArray(64 * SUB);

    private final LongAdder total = new LongAdder();

    private final LongAccumulator max = new LongAccumulator(Math::max, 0);

    /** Records one duration (negative values count as 0). */
    public void record(long nanos) {
        long v = Math.max(0, nanos);
        counts.incrementAndGet(index(v));
        total.increment();
        max.accumulate(v);
    }

    public long count() {
        return total.sum();
    }

    public long maxNanos() {
        return max.get();
    }

    /** The value below which {@code percentile} % of the recorded values fall (upper bound of its bucket). */
    public long percentileNanos(double percentile) {
        long n = total.sum();
        if (n == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(percentile / 100.0 * n);
        long seen = 0;
        for (int i = 0; i < counts.length(); i++) {
            seen += counts.get(i);
            if (seen >= Math.max(1, rank)) {
                return Math.min(upperBound(i), max.get());
            }
        }
        return max.get();
    }

    private static int index(long v) {
        if (v < SUB) {
            return (int) v;
        }
        int exp = 63 - Long.numberOfLeadingZeros(v); // >= SUB_BITS
        int sub = (int) (v >>> (exp - SUB_BITS)) & (SUB - 1);
        return (exp - SUB_BITS + 1) * SUB + sub;
    }

    private static long upperBound(int index) {
        if (index < SUB) {
            return index;
        }
        int exp = index / SUB + SUB_BITS - 1;
        int sub = index % SUB;
        return ((long) (SUB + sub + 1) << (exp - SUB_BITS)) - 1;
    }
}
