package io.conpool.benchmarks;

/**
 * A log-linear histogram of non-negative nanosecond values: 32 sub-buckets per power of two (about 3 % precision),
 * up to 2^40 ns. One per recording thread (no synchronization); merged after the run.
 */
final class Histogram {

    private static final int SUB_BITS = 5;

    private static final int SUB = 1 << SUB_BITS;

    private static final int MAX_EXP = 40;

    private final int[] counts = new int[(MAX_EXP + 1) * SUB];

    private long total;

    private double sum;

    private long max;

    void record(long value) {
        if (value < 0) {
            value = 0;
        }
        counts[index(value)]++;
        total++;
        sum += value;
        if (value > max) {
            max = value;
        }
    }

    void add(Histogram other) {
        for (int i = 0; i < counts.length; i++) {
            counts[i] += other.counts[i];
        }
        total += other.total;
        sum += other.sum;
        max = Math.max(max, other.max);
    }

    long count() {
        return total;
    }

    double mean() {
        return total == 0 ? Double.NaN : sum / total;
    }

    long max() {
        return max;
    }

    /** The value at quantile {@code q} (0..1): the midpoint of the bucket holding it. */
    double percentile(double q) {
        if (total == 0) {
            return Double.NaN;
        }
        long rank = (long) Math.ceil(q * total);
        if (rank < 1) {
            rank = 1;
        }
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return Math.min(midpoint(i), max);
            }
        }
        return max;
    }

    private static int index(long v) {
        if (v < SUB) {
            return (int) v;
        }
        int exp = 63 - Long.numberOfLeadingZeros(v); // >= SUB_BITS
        if (exp > MAX_EXP) {
            return bucketCount() - 1;
        }
        int sub = (int) (v >>> (exp - SUB_BITS)) & (SUB - 1);
        return (exp - SUB_BITS + 1) * SUB + sub;
    }

    private static int bucketCount() {
        return (MAX_EXP + 1) * SUB;
    }

    private static double midpoint(int index) {
        if (index < SUB) {
            return index;
        }
        int exp = index / SUB - 1 + SUB_BITS;
        int sub = index % SUB;
        double low = (double) (SUB + sub) * (1L << (exp - SUB_BITS));
        double width = 1L << (exp - SUB_BITS);
        return low + width / 2;
    }
}
