package io.conpool.autoconfigure.health;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.conpool.CircuitState;
import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.EndpointStats;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * Health of one named endpoint, computed from its stats and its last connect outcomes; it never dials.
 *
 * <ul>
 * <li>DOWN while the circuit breaker is open or half-open (acquires fail fast), or when the last attempt to open a
 * connection failed within {@code conpool.health.error-window} and none succeeded since.</li>
 * <li>{@code conpool.health.exhausted-status} (UP unless configured) when every connection is leased and callers
 * wait.</li>
 * <li>UP otherwise.</li>
 * </ul>
 *
 * <p>Details carry counts and states only, never the host name: health is exposed more widely than
 * {@code /actuator/conpool}.
 */
class EndpointHealthIndicator implements HealthIndicator {

    private final ConnectionPool pool;

    private final Endpoint endpoint;

    private final ConnectOutcomes outcomes;

    private final long errorWindowNanos;

    private final Status exhaustedStatus;

    EndpointHealthIndicator(ConnectionPool pool, Endpoint endpoint, ConnectOutcomes outcomes, Duration errorWindow,
            Status exhaustedStatus) {
        this.pool = pool;
        this.endpoint = endpoint;
        this.outcomes = outcomes;
        this.errorWindowNanos = errorWindow.toNanos();
        this.exhaustedStatus = exhaustedStatus;
    }

    @Override
    public Health health() {
        EndpointStats stats = pool.stats(endpoint);
        boolean exhausted = stats.pending() > 0 && stats.active() >= stats.maxConnections();
        ConnectOutcomes.Outcome outcome = outcomes != null ? outcomes.get(endpoint) : null;
        long now = System.nanoTime();
        Health.Builder health;
        if (stats.circuitState() != CircuitState.CLOSED) {
            health = Health.down().withDetail("reason", stats.circuitState() == CircuitState.OPEN
                    ? "circuit breaker open: acquires fail fast after repeated connect failures"
                    : "circuit breaker half-open: one probe connect is being tried");
        }
        else if (outcome != null && outcome.failingRecently(now, errorWindowNanos)) {
            health = Health.down().withDetail("reason", "the last connect failed ("
                    + outcome.lastFailureType + ", "
                    + TimeUnit.NANOSECONDS.toSeconds(now - outcome.lastFailureNanos) + " s ago) and none succeeded since");
        }
        else if (exhausted) {
            health = Health.status(exhaustedStatus).withDetail("reason",
                    "exhausted: all " + stats.maxConnections() + " connections are leased and " + stats.pending()
                            + " callers wait");
        }
        else {
            health = Health.up();
        }
        return health.withDetail("circuit", stats.circuitState())
            .withDetail("active", stats.active())
            .withDetail("idle", stats.idle())
            .withDetail("pending", stats.pending())
            .withDetail("maxConnections", stats.maxConnections())
            .withDetail("exhausted", exhausted)
            .withDetail("errors", stats.errors())
            .withDetail("acquireTimeouts", stats.acquireTimeouts())
            .withDetail("rejected", stats.rejected())
            .build();
    }
}
