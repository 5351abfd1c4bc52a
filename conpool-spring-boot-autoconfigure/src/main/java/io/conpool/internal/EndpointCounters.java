package io.conpool.internal;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

import io.conpool.CircuitState;
import io.conpool.CloseReason;
import io.conpool.Endpoint;
import io.conpool.EndpointStats;

/**
 * The running totals of one endpoint (created, reused, closed by reason, errors...), updated without locks, and the
 * {@link EndpointStats} snapshot built from them. The gauges of the snapshot (active, idle, pending) are read from
 * where they live: commons-pool2 counts the connections, the {@link Gate} counts the waiters.
 */
final class EndpointCounters {

    private static final CloseReason[] REASONS = CloseReason.values();

    final LongAdder created = new LongAdder();

    final LongAdder reused = new LongAdder();

    final LongAdder misses = new LongAdder();

    final LongAdder errors = new LongAdder();

    final LongAdder acquireTimeouts = new LongAdder();

    final LongAdder rejected = new LongAdder();

    final LongAdder retried = new LongAdder();

    final LongAdder leaks = new LongAdder();

    final LongAdder listenerErrors = new LongAdder();

    private final AtomicLongArray closedByReason = new AtomicLongArray(REASONS.length);

    void closed(CloseReason reason) {
        closedByReason.incrementAndGet(reason.ordinal());
    }

    EndpointStats snapshot(Endpoint endpoint, String name, int active, int idle, int pending, int maxConnections,
            CircuitState circuit) {
        Map<CloseReason, Long> byReason = new EnumMap<>(CloseReason.class);
        long closedTotal = 0;
        for (CloseReason r : REASONS) {
            long n = closedByReason.get(r.ordinal());
            byReason.put(r, n);
            closedTotal += n;
        }
        return new EndpointStats(endpoint, name, active, idle, pending, maxConnections, created.sum(), reused.sum(),
                misses.sum(), closedTotal, byReason, errors.sum(), acquireTimeouts.sum(), rejected.sum(), retried.sum(), leaks.sum(),
                listenerErrors.sum(), circuit);
    }

    /** The stats of an endpoint the pool has not seen used. */
    static EndpointStats empty(Endpoint endpoint, String name, int maxConnections) {
        return new EndpointCounters().snapshot(endpoint, name, 0, 0, 0, maxConnections, CircuitState.CLOSED);
    }
}
