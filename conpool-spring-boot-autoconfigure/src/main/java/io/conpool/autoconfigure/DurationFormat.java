package io.conpool.autoconfigure;

import java.time.Duration;

/**
 * Prints durations the way they are written in {@code application.yml}: {@code 30s}, {@code 5m}, {@code 100ms},
 * {@code 1500ms}. The largest unit that represents the value exactly is used, so the text reads back to the same
 * duration.
 */
final class DurationFormat {

    private DurationFormat() {
    }

    /** The duration in the largest exact unit (d, h, m, s, ms, us, ns); {@code null} for {@code null}. */
    static String format(Duration duration) {
        if (duration == null) {
            return null;
        }
        long nanos;
        try {
            nanos = duration.toNanos();
        }
        catch (ArithmeticException ex) {
            return duration.toString();
        }
        long[] unitNanos = { 86_400_000_000_000L, 3_600_000_000_000L, 60_000_000_000L, 1_000_000_000L, 1_000_000L,
                1_000L };
        String[] units = { "d", "h", "m", "s", "ms", "us" };
        for (int i = 0; i < units.length; i++) {
            if (nanos % unitNanos[i] == 0) {
                return (nanos / unitNanos[i]) + units[i];
            }
        }
        return nanos + "ns";
    }
}
