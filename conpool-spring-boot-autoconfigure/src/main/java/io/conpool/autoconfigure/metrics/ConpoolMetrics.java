package io.conpool.autoconfigure.metrics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToDoubleFunction;

import io.conpool.CircuitState;
import io.conpool.CloseReason;
import io.conpool.ConnectionPool;
import io.conpool.ConnectionPoolListener;
import io.conpool.ConpoolException;
import io.conpool.Endpoint;
import io.conpool.EndpointStats;
import io.conpool.Ticker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The pool's Micrometer meters, in the shape of {@code hikaricp.connections.*}, tagged {@code pool} and
 * {@code endpoint} (the endpoint's name, else {@code host:port}, prefixed {@code tls:} for TLS):
 *
 * <ul>
 * <li>gauges {@code conpool.connections.active|idle|pending|max|min} and {@code conpool.circuit.state} (one per
 * {@code state} tag, 1 for the current state), read from the pool's stats when scraped;</li>
 * <li>counters {@code conpool.connections.created|closed|hits|misses|errors|timeouts|rejected|leaks|retried}
 * ({@code closed} tagged {@code reason}), read from the same stats, so they agree with {@code /actuator/conpool};</li>
 * <li>timers {@code conpool.connections.acquire} (wait, including validation and connect),
 * {@code conpool.connections.usage} (lease duration) and {@code conpool.connections.creation} (connect plus
 * handshake), recorded by this listener on the caller's thread.</li>
 * </ul>
 *
 * <p>Registered on the pool as a {@link ConnectionPoolListener} when the pool is built, and bound to a registry
 * later by {@link ConpoolMeterBinder}; events before that are dropped. Endpoints met at run time get meters on their
 * first event. Named endpoints always have their own tag; at most {@code maxTaggedEndpoints} other endpoints do, and
 * the events of any further ones are recorded under {@code endpoint=other} (timers and counters; gauges of an
 * aggregate would not mean anything). Meters of a cleared or removed endpoint are removed (a named endpoint's come
 * back at once, since it stays configured; another endpoint's on its next event).
 *
 * <p>The hot path (acquire, release) costs one map lookup and one timer record; no allocation of its own.
 *
 * <p>A scrape reads some thirty meters per endpoint, and each of them used to take its own {@link EndpointStats}
 * snapshot (the endpoint's lock, a map of close reasons, a copy of it). Instead, the gauges and counters of one
 * endpoint share a snapshot that is reused for {@code statsTimeToLive} (default {@value #DEFAULT_STATS_TTL_MILLIS} ms,
 * as HikariCP's {@code PoolStats} does): a scrape takes one snapshot per endpoint, and its meters agree with each
 * other. The price is that a gauge read twice within the time-to-live shows the first reading; monitoring systems
 * scrape every several seconds, so they always see a fresh snapshot. {@code /actuator/conpool} reads the pool
 * directly and is not cached.
 */
public class ConpoolMetrics implements ConnectionPoolListener {

    /** Tag value for endpoints beyond the bound. */
    public static final String OTHER = "other";

    /** How long one endpoint's stats snapshot serves its meters unless told otherwise, in milliseconds. */
    public static final long DEFAULT_STATS_TTL_MILLIS = 1000;

    private static final Log logger = LogFactory.getLog(ConpoolMetrics.class);

    private final int maxTaggedEndpoints;

    private final long statsTtlNanos;

    private final Ticker ticker;

    private volatile Binding[] bindings = new Binding[0];

    /**
     * Meters whose gauges and counters reuse an endpoint's stats snapshot for
     * {@value #DEFAULT_STATS_TTL_MILLIS} ms.
     *
     * @param maxTaggedEndpoints most endpoints without a name that get their own tag value
     */
    public ConpoolMetrics(int maxTaggedEndpoints) {
        this(maxTaggedEndpoints, Duration.ofMillis(DEFAULT_STATS_TTL_MILLIS), Ticker.SYSTEM);
    }

    /**
     * @param maxTaggedEndpoints most endpoints without a name that get their own tag value
     * @param statsTimeToLive how long one stats snapshot of an endpoint serves all of its gauges and counters;
     * {@link Duration#ZERO} takes a snapshot for every meter read (no caching)
     * @param ticker the clock that ages the snapshots (tests move it by hand)
     */
    public ConpoolMetrics(int maxTaggedEndpoints, Duration statsTimeToLive, Ticker ticker) {
        if (maxTaggedEndpoints < 0) {
            throw new IllegalArgumentException("maxTaggedEndpoints (" + maxTaggedEndpoints + ") must be 0 or more");
        }
        if (statsTimeToLive == null || statsTimeToLive.isNegative()) {
            throw new IllegalArgumentException("statsTimeToLive (" + statsTimeToLive + ") must be 0 or more");
        }
        this.maxTaggedEndpoints = maxTaggedEndpoints;
        this.statsTtlNanos = statsTimeToLive.toNanos();
        this.ticker = java.util.Objects.requireNonNull(ticker, "ticker");
    }

    /** How long one stats snapshot of an endpoint serves its meters. */
    public Duration statsTimeToLive() {
        return Duration.ofNanos(statsTtlNanos);
    }

    /** Registers the meters of every endpoint the pool knows in the registry, and of every endpoint met later. */
    public synchronized void bindTo(MeterRegistry registry, ConnectionPool pool, String poolName) {
        for (Binding b : bindings) {
            if (b.registry == registry) {
                return;
            }
        }
        Binding binding = new Binding(registry, pool, poolName);
        for (EndpointStats stats : pool.allStats()) {
            binding.meters(stats.endpoint());
        }
        Binding[] next = java.util.Arrays.copyOf(bindings, bindings.length + 1);
        next[bindings.length] = binding;
        bindings = next;
    }

    // ------------------------------------------------------------------ listener (caller threads)

    @Override
    public void onAcquired(Endpoint endpoint, long waitNanos) {
        for (Binding b : bindings) {
            b.meters(endpoint).acquire.record(waitNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void onReleased(Endpoint endpoint, long leaseNanos) {
        for (Binding b : bindings) {
            b.meters(endpoint).usage.record(leaseNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void onConnectionCreated(Endpoint endpoint, long connectNanos) {
        for (Binding b : bindings) {
            EndpointMeters m = b.meters(endpoint);
            m.creation.record(connectNanos, TimeUnit.NANOSECONDS);
            if (m.events != null) {
                m.events.created.increment();
            }
        }
    }

    @Override
    public void onConnectionReused(Endpoint endpoint) {
        for (Binding b : bindings) {
            EndpointMeters m = b.meters(endpoint);
            if (m.events != null) {
                m.events.hits.increment();
            }
        }
    }

    @Override
    public void onConnectionClosed(Endpoint endpoint, CloseReason reason) {
        for (Binding b : bindings) {
            EndpointMeters m = b.meters(endpoint);
            if (m.events != null) {
                m.events.closed.get(reason).increment();
            }
        }
    }

    @Override
    public void onConnectFailed(Endpoint endpoint, ConpoolException error) {
        for (Binding b : bindings) {
            EndpointMeters m = b.meters(endpoint);
            if (m.events != null) {
                m.events.errors.increment();
            }
        }
    }

    @Override
    public void onEndpointCleared(Endpoint endpoint) {
        for (Binding b : bindings) {
            b.remove(endpoint, true);
        }
    }

    @Override
    public void onEndpointRemoved(Endpoint endpoint) {
        for (Binding b : bindings) {
            b.remove(endpoint, false);
        }
    }

    /** The meters of one registry. */
    private final class Binding {

        final MeterRegistry registry;

        final ConnectionPool pool;

        final String poolName;

        final ConcurrentHashMap<Endpoint, EndpointMeters> byEndpoint = new ConcurrentHashMap<>();

        /** Tag values in use, to keep two endpoints that print alike (a TLS variant, say) from sharing meters. */
        final Map<String, Endpoint> tagOwners = new HashMap<>();

        int taggedUnnamed;

        EndpointMeters other;

        boolean warnedOverflow;

        Binding(MeterRegistry registry, ConnectionPool pool, String poolName) {
            this.registry = registry;
            this.pool = pool;
            this.poolName = poolName;
        }

        long statsTtlNanos() {
            return statsTtlNanos;
        }

        Ticker ticker() {
            return ticker;
        }

        EndpointMeters meters(Endpoint endpoint) {
            EndpointMeters m = byEndpoint.get(endpoint);
            return m != null ? m : register(endpoint);
        }

        synchronized EndpointMeters register(Endpoint endpoint) {
            EndpointMeters m = byEndpoint.get(endpoint);
            if (m != null) {
                return m;
            }
            String name = nameOf(endpoint);
            String tag = name != null ? name : endpoint.toString();
            boolean taken = tagOwners.containsKey(tag) && !tagOwners.get(tag).equals(endpoint);
            if (!taken && (name != null || taggedUnnamed < maxTaggedEndpoints)) {
                m = new EndpointMeters(endpoint, tag, name != null, this);
                tagOwners.put(tag, endpoint);
                if (name == null) {
                    taggedUnnamed++;
                }
            }
            else {
                if (other == null) {
                    other = new EndpointMeters(null, OTHER, false, this);
                }
                if (!warnedOverflow) {
                    warnedOverflow = true;
                    logger.info("conpool metrics: more than " + maxTaggedEndpoints
                            + " endpoints without a name; further ones are tagged endpoint=" + OTHER
                            + " (conpool.metrics.max-tagged-endpoints)");
                }
                m = other;
            }
            byEndpoint.put(endpoint, m);
            return m;
        }

        synchronized void remove(Endpoint endpoint, boolean cleared) {
            EndpointMeters m = byEndpoint.remove(endpoint);
            if (m == null || m == other) {
                return;
            }
            m.removeFrom(registry);
            tagOwners.remove(m.tag);
            if (!m.named) {
                taggedUnnamed--;
            }
            else if (cleared) {
                register(endpoint); // a named endpoint stays configured: its gauges should stay visible
            }
        }

        private String nameOf(Endpoint endpoint) {
            for (Map.Entry<String, Endpoint> e : pool.namedEndpoints().entrySet()) {
                if (e.getValue().equals(endpoint)) {
                    return e.getKey();
                }
            }
            return null;
        }
    }

    /** Meters of one tag value. */
    private static final class EndpointMeters {

        final String tag;

        final boolean named;

        final Timer acquire;

        final Timer usage;

        final Timer creation;

        /** Counters fed by events, only for the {@code other} aggregate; tagged endpoints count from stats. */
        final EventCounters events;

        /** The snapshot every gauge and counter of this endpoint reads; {@code null} for the {@code other} aggregate. */
        final StatsCache stats;

        final List<Meter> all = new ArrayList<>();

        EndpointMeters(Endpoint endpoint, String tag, boolean named, Binding b) {
            this.tag = tag;
            this.named = named;
            Tags tags = Tags.of("pool", b.poolName, "endpoint", tag);
            MeterRegistry r = b.registry;
            acquire = add(Timer.builder("conpool.connections.acquire")
                .description("Time to get a connection: waiting, validating and connecting")
                .tags(tags)
                .register(r));
            usage = add(Timer.builder("conpool.connections.usage")
                .description("Time a connection was leased")
                .tags(tags)
                .register(r));
            creation = add(Timer.builder("conpool.connections.creation")
                .description("Time to open a connection: TCP connect and TLS handshake")
                .tags(tags)
                .register(r));
            if (endpoint == null) {
                events = new EventCounters(tags, r, this);
                stats = null;
                return;
            }
            events = null;
            ConnectionPool pool = b.pool;
            stats = new StatsCache(pool, endpoint, b.statsTtlNanos(), b.ticker());
            gauge("conpool.connections.active", "Connections leased now", tags, r, stats, EndpointStats::active);
            gauge("conpool.connections.idle", "Connections idle in the pool now", tags, r, stats, EndpointStats::idle);
            gauge("conpool.connections.pending", "Callers waiting for a connection now", tags, r, stats,
                    EndpointStats::pending);
            gauge("conpool.connections.max", "Most connections to the endpoint", tags, r, stats,
                    EndpointStats::maxConnections);
            add(Gauge.builder("conpool.connections.min", pool, p -> p.config(endpoint).minIdlePerEndpoint())
                .description("Idle connections kept open")
                .tags(tags)
                .strongReference(true)
                .register(r));
            counter("conpool.connections.created", "Connections opened", tags, r, stats, EndpointStats::created);
            counter("conpool.connections.hits", "Acquires served by an idle connection", tags, r, stats,
                    EndpointStats::reused);
            counter("conpool.connections.misses", "Acquires that had to open a connection", tags, r, stats,
                    EndpointStats::misses);
            counter("conpool.connections.errors", "Failed attempts to open a connection (DNS, connect, TLS)", tags,
                    r, stats, EndpointStats::errors);
            counter("conpool.connections.timeouts", "Acquires that gave up waiting", tags, r, stats,
                    EndpointStats::acquireTimeouts);
            counter("conpool.connections.rejected", "Acquires turned away at once (too many waiters, open circuit)",
                    tags, r, stats, EndpointStats::rejected);
            counter("conpool.connections.leaks", "Leases held past the leak detection threshold", tags, r, stats,
                    EndpointStats::leaksDetected);
            counter("conpool.connections.retried",
                    "Idempotent work run again on a new connection after an I/O error on a reused one", tags, r, stats,
                    EndpointStats::retried);
            for (CloseReason reason : CloseReason.values()) {
                counter("conpool.connections.closed", "Connections closed, by reason", tags.and("reason", reason.tag()),
                        r, stats, s -> s.closed(reason));
            }
            for (CircuitState state : CircuitState.values()) {
                add(Gauge.builder("conpool.circuit.state", stats, c -> c.get().circuitState() == state ? 1 : 0)
                    .description("Circuit breaker state: 1 for the current state, 0 for the others")
                    .tags(tags.and("state", state.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-')))
                    .strongReference(true)
                    .register(r));
            }
        }

        private void gauge(String name, String description, Tags tags, MeterRegistry r, StatsCache stats,
                ToDoubleFunction<EndpointStats> value) {
            add(Gauge.builder(name, stats, c -> value.applyAsDouble(c.get()))
                .description(description)
                .tags(tags)
                .strongReference(true)
                .register(r));
        }

        /** Micrometer holds a function counter's object weakly: {@link #stats} keeps it alive with these meters. */
        private void counter(String name, String description, Tags tags, MeterRegistry r, StatsCache stats,
                ToDoubleFunction<EndpointStats> value) {
            add(FunctionCounter.builder(name, stats, c -> value.applyAsDouble(c.get()))
                .description(description)
                .tags(tags)
                .register(r));
        }

        <M extends Meter> M add(M meter) {
            all.add(meter);
            return meter;
        }

        void removeFrom(MeterRegistry registry) {
            for (Meter meter : all) {
                registry.remove(meter);
            }
        }
    }

    /**
     * One endpoint's latest stats snapshot, shared by all of its gauges and counters and taken again once it is
     * older than the time-to-live. Reading it is a volatile read and a clock read; there is no lock, so a scrape
     * never waits for another one, and the pool's hot path never sees the metrics at all.
     *
     * <p>Counters must never go backwards while their meter exists. Two scrapes may find the snapshot expired at the
     * same time and both take a new one; only the first to publish wins (compare-and-set against the snapshot it found
     * expired), the other uses the winner's. Each published snapshot was therefore taken after the one before it was
     * published, so the values readers see only move forward. A new {@code StatsCache} (an endpoint's meters
     * registered again after a clear) starts empty.
     */
    static final class StatsCache {

        private final ConnectionPool pool;

        private final Endpoint endpoint;

        private final long ttlNanos;

        private final Ticker ticker;

        private final AtomicReference<Snapshot> latest = new AtomicReference<>();

        StatsCache(ConnectionPool pool, Endpoint endpoint, long ttlNanos, Ticker ticker) {
            this.pool = pool;
            this.endpoint = endpoint;
            this.ttlNanos = ttlNanos;
            this.ticker = ticker;
        }

        EndpointStats get() {
            Snapshot current = latest.get();
            long now = ticker.nanoTime();
            // Subtraction, not comparison of absolute values: nanoTime may wrap. A snapshot taken by another thread
            // after this one read the clock gives a negative age: fresh.
            if (current != null && now - current.takenAt < ttlNanos) {
                return current.stats;
            }
            Snapshot fresh = new Snapshot(pool.stats(endpoint), now);
            if (latest.compareAndSet(current, fresh)) {
                return fresh.stats;
            }
            return latest.get().stats;
        }

        private record Snapshot(EndpointStats stats, long takenAt) {
        }
    }

    /** Event-fed counters of the {@code other} aggregate. */
    private static final class EventCounters {

        final Counter created;

        final Counter hits;

        final Counter errors;

        final Map<CloseReason, Counter> closed = new EnumMap<>(CloseReason.class);

        EventCounters(Tags tags, MeterRegistry r, EndpointMeters owner) {
            created = owner.add(Counter.builder("conpool.connections.created").tags(tags).register(r));
            hits = owner.add(Counter.builder("conpool.connections.hits").tags(tags).register(r));
            errors = owner.add(Counter.builder("conpool.connections.errors").tags(tags).register(r));
            for (CloseReason reason : CloseReason.values()) {
                closed.put(reason, owner.add(
                        Counter.builder("conpool.connections.closed").tags(tags.and("reason", reason.tag())).register(r)));
            }
        }
    }
}
