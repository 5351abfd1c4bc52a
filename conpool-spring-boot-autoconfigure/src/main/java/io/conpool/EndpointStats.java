package io.conpool;

import java.util.Map;

/**
 * A snapshot of one endpoint's connections and counters. Gauges ({@code active}, {@code idle}, {@code pending})
 * are read together under the endpoint's lock; counters count since the endpoint was first used.
 *
 * <p>At any quiescent moment (no acquire or release in flight) {@code created - closed == active + idle}.
 *
 * @param endpoint the endpoint
 * @param name its configured name, or {@code null} if it was not registered by name
 * @param active connections leased to callers now
 * @param idle connections waiting in the pool now
 * @param pending callers waiting for a connection now
 * @param maxConnections the endpoint's connection limit
 * @param created connections opened successfully
 * @param reused acquires served by an idle connection (hits)
 * @param misses acquires that had to open a connection
 * @param closed connections closed, all reasons together
 * @param closedByReason connections closed, per reason (every reason present, zero if none)
 * @param errors failed attempts to open a connection (DNS, connect, TLS), counted once per failed acquire
 * @param acquireTimeouts acquires that gave up waiting
 * @param rejected acquires turned away at once: too many waiters or an open circuit
 * @param retried idempotent work run a second time on a new connection after an I/O error on a reused one
 * @param leaksDetected leases held past the leak detection threshold
 * @param listenerErrors listener hooks or health checks that threw
 * @param circuitState the breaker's state now
 */
public record EndpointStats(Endpoint endpoint, String name, int active, int idle, int pending, int maxConnections,
        long created, long reused, long misses, long closed, Map<CloseReason, Long> closedByReason, long errors,
        long acquireTimeouts, long rejected, long retried, long leaksDetected, long listenerErrors,
        CircuitState circuitState) {

    public EndpointStats {
        closedByReason = Map.copyOf(closedByReason);
    }

    /** Reuses divided by all acquires that got a connection; 0 before the first. */
    public double hitRate() {
        long total = reused + misses;
        return total == 0 ? 0 : (double) reused / total;
    }

    /** Connections closed for that reason. */
    public long closed(CloseReason reason) {
        return closedByReason.getOrDefault(reason, 0L);
    }
}
