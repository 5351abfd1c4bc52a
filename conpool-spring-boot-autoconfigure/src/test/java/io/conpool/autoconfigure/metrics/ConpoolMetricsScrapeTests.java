package io.conpool.autoconfigure.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import io.conpool.ClearResult;
import io.conpool.ConnectionPool;
import io.conpool.ConnectionWork;
import io.conpool.Endpoint;
import io.conpool.EndpointStats;
import io.conpool.PoolConfig;
import io.conpool.PooledConnection;
import io.conpool.Ticker;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.ManualTicker;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A scrape takes one stats snapshot per endpoint, however many meters the endpoint has (issue 13, point 6). The
 * pool is a real one over loopback servers; {@link CountingPool} wraps it through the public interface and counts
 * the calls to {@link ConnectionPool#stats(Endpoint)} per endpoint, so these tests do not depend on the engine.
 */
@Timeout(60)
class ConpoolMetricsScrapeTests {

    private static final Duration TTL = Duration.ofSeconds(1);

    private final ManualTicker ticker = new ManualTicker();

    private EchoServer first;

    private EchoServer second;

    private ConnectionPool real;

    private CountingPool pool;

    private Endpoint a;

    private Endpoint b;

    @BeforeEach
    void start() {
        first = EchoServer.start();
        second = EchoServer.start();
        a = first.endpoint();
        b = second.endpoint();
        real = ConnectionPool.builder()
            .config(PoolConfig.builder().maxConnectionsPerEndpoint(4).maxIdlePerEndpoint(4).build())
            .endpoint("a", a)
            .endpoint("b", b)
            .name("scrapetest")
            .build();
        pool = new CountingPool(real);
    }

    @AfterEach
    void stop() {
        real.close();
        first.close();
        second.close();
    }

    @Test
    void aPrometheusScrapeTakesOneSnapshotPerEndpoint() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new ConpoolMetrics(10, TTL, ticker).bindTo(registry, pool, "conpool");
        pool.calls.clear();

        String text = registry.scrape();

        assertThat(text).contains("conpool_connections_active{endpoint=\"a\"", "conpool_connections_closed_total{");
        assertThat(pool.calls()).containsOnlyKeys(a, b);
        assertThat(pool.calls().get(a)).isEqualTo(1);
        assertThat(pool.calls().get(b)).isEqualTo(1);
    }

    @Test
    void readingEveryMeterTakesOneSnapshotPerEndpointAndRefreshesAfterTheTimeToLive() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new ConpoolMetrics(10, TTL, ticker).bindTo(registry, pool, "conpool");
        pool.calls.clear();

        int meters = readAll(registry);
        assertThat(meters).as("meters of two endpoints").isGreaterThan(50);
        assertThat(pool.calls()).isEqualTo(Map.of(a, 1, b, 1));

        // Within the time-to-live the snapshot is reused, even after the pool changed.
        PooledConnection lease = pool.acquire(a);
        readAll(registry);
        assertThat(gauge(registry, "conpool.connections.active", "a")).isEqualTo(0);
        assertThat(pool.calls()).isEqualTo(Map.of(a, 1, b, 1));

        // Once it has passed, the next read takes a new one, and the values are the pool's now.
        ticker.advance(TTL);
        readAll(registry);
        assertThat(pool.calls()).isEqualTo(Map.of(a, 2, b, 2));
        assertThat(gauge(registry, "conpool.connections.active", "a")).isEqualTo(1);
        assertThat(counter(registry, "conpool.connections.created", "a")).isEqualTo(1);
        assertThat(counter(registry, "conpool.connections.misses", "a")).isEqualTo(1);

        lease.close();
        ticker.advance(TTL.minusMillis(1));
        assertThat(gauge(registry, "conpool.connections.idle", "a")).as("still the old snapshot").isEqualTo(0);
        ticker.advance(Duration.ofMillis(1));
        assertThat(gauge(registry, "conpool.connections.idle", "a")).isEqualTo(1);
        assertThat(gauge(registry, "conpool.connections.active", "a")).isEqualTo(0);
        assertThat(pool.calls().get(a)).isEqualTo(3);
    }

    @Test
    void aTimeToLiveOfZeroReadsThePoolForEveryMeter() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new ConpoolMetrics(10, Duration.ZERO, ticker).bindTo(registry, pool, "conpool");
        pool.calls.clear();

        readAll(registry);

        // Every gauge and counter of the endpoint but conpool.connections.min (read from the config): the cost the
        // cache saves, and a check that the counting above sees every call.
        long statsMeters = registry.getMeters()
            .stream()
            .filter(m -> "a".equals(m.getId().getTag("endpoint")))
            .filter(m -> m.getId().getType() == Meter.Type.GAUGE || m.getId().getType() == Meter.Type.COUNTER)
            .filter(m -> !m.getId().getName().equals("conpool.connections.min"))
            .count();
        assertThat(statsMeters).isGreaterThan(20);
        assertThat(pool.calls().get(a)).isEqualTo((int) statsMeters);
    }

    @Test
    void theDefaultTimeToLiveIsOneSecondLikeHikariCp() {
        assertThat(new ConpoolMetrics(10).statsTimeToLive()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void clearedEndpointsStartWithAFreshSnapshot() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ConpoolMetrics metrics = new ConpoolMetrics(10, TTL, ticker);
        ConnectionPool listened = ConnectionPool.builder().endpoint("a", a).listener(metrics).name("scrapetest2").build();
        try {
            CountingPool counting = new CountingPool(listened);
            metrics.bindTo(registry, counting, "conpool");
            listened.acquire(a).close();
            assertThat(gauge(registry, "conpool.connections.idle", "a")).isEqualTo(1);
            listened.clearEndpoint(a); // the named endpoint's meters are registered again, with an empty cache
            assertThat(gauge(registry, "conpool.connections.idle", "a")).isEqualTo(0);
            assertThat(counter(registry, "conpool.connections.closed", "a", "cleared")).isEqualTo(1);
        }
        finally {
            listened.close();
        }
    }

    /**
     * Scrapers racing each other and a load never see a counter go backwards: with a short real time-to-live,
     * snapshots expire all the time, and concurrent refreshes publish only one snapshot per expiry.
     */
    @Test
    void countersNeverGoBackwardsUnderConcurrentScrapes() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ConpoolMetrics metrics = new ConpoolMetrics(10, Duration.ofNanos(50_000), Ticker.SYSTEM);
        metrics.bindTo(registry, pool, "conpool");
        FunctionCounter hits = registry.get("conpool.connections.hits").tag("endpoint", "a").functionCounter();
        FunctionCounter misses = registry.get("conpool.connections.misses").tag("endpoint", "a").functionCounter();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> backwards = new AtomicReference<>();
        AtomicInteger reads = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        CountDownLatch started = new CountDownLatch(5);
        for (int i = 0; i < 2; i++) {
            threads.add(start("testkit-load-" + i, () -> {
                started.countDown();
                while (!stop.get()) {
                    real.acquire(a).close();
                }
            }));
        }
        for (int i = 0; i < 3; i++) {
            threads.add(start("testkit-scrape-" + i, () -> {
                started.countDown();
                double lastHits = 0;
                double lastMisses = 0;
                while (!stop.get()) {
                    double h = hits.count();
                    double m = misses.count();
                    if (h < lastHits || m < lastMisses) {
                        backwards.compareAndSet(null, "hits " + lastHits + " -> " + h + ", misses " + lastMisses
                                + " -> " + m);
                    }
                    lastHits = h;
                    lastMisses = m;
                    reads.incrementAndGet();
                }
            }));
        }
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        Thread.sleep(700);
        stop.set(true);
        for (Thread t : threads) {
            t.join(10_000);
        }
        assertThat(backwards.get()).isNull();
        assertThat(reads.get()).isGreaterThan(100);
        assertThat(hits.count()).isGreaterThan(0);
    }

    private static Thread start(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Reads every measurement of every meter, as a registry's scrape does; returns the number of meters. */
    private static int readAll(MeterRegistry registry) {
        int n = 0;
        for (Meter meter : registry.getMeters()) {
            for (Measurement m : meter.measure()) {
                m.getValue();
            }
            n++;
        }
        return n;
    }

    private static double gauge(MeterRegistry registry, String name, String endpoint) {
        return registry.get(name).tag("endpoint", endpoint).gauge().value();
    }

    private static double counter(MeterRegistry registry, String name, String endpoint) {
        return registry.get(name).tag("endpoint", endpoint).functionCounter().count();
    }

    private static double counter(MeterRegistry registry, String name, String endpoint, String reason) {
        return registry.get(name).tag("endpoint", endpoint).tag("reason", reason).functionCounter().count();
    }

    /** Delegates to a real pool and counts {@link #stats(Endpoint)} calls per endpoint. */
    static final class CountingPool implements ConnectionPool {

        final ConnectionPool delegate;

        final Map<Endpoint, AtomicInteger> calls = new ConcurrentHashMap<>();

        CountingPool(ConnectionPool delegate) {
            this.delegate = delegate;
        }

        Map<Endpoint, Integer> calls() {
            Map<Endpoint, Integer> out = new java.util.HashMap<>();
            calls.forEach((e, n) -> out.put(e, n.get()));
            return out;
        }

        @Override
        public EndpointStats stats(Endpoint endpoint) {
            calls.computeIfAbsent(endpoint, e -> new AtomicInteger()).incrementAndGet();
            return delegate.stats(endpoint);
        }

        @Override
        public PooledConnection acquire(Endpoint endpoint) {
            return delegate.acquire(endpoint);
        }

        @Override
        public PooledConnection acquire(Endpoint endpoint, Duration timeout) {
            return delegate.acquire(endpoint, timeout);
        }

        @Override
        public <T, E extends Exception> T withConnection(Endpoint endpoint, ConnectionWork<T, E> work) throws E {
            return delegate.withConnection(endpoint, work);
        }

        @Override
        public PooledConnection acquireNew(Endpoint endpoint) {
            return delegate.acquireNew(endpoint);
        }

        @Override
        public PooledConnection acquireNew(Endpoint endpoint, Duration timeout) {
            return delegate.acquireNew(endpoint, timeout);
        }

        @Override
        public <T, E extends Exception> T withConnection(Endpoint endpoint, io.conpool.Idempotence idempotence,
                ConnectionWork<T, E> work) throws E {
            return delegate.withConnection(endpoint, idempotence, work);
        }

        @Override
        public io.conpool.ClearResult tlsMaterialChanged(Endpoint endpoint) {
            return delegate.tlsMaterialChanged(endpoint);
        }

        @Override
        public void release(PooledConnection connection) {
            delegate.release(connection);
        }

        @Override
        public Optional<Endpoint> endpoint(String name) {
            return delegate.endpoint(name);
        }

        @Override
        public Map<String, Endpoint> namedEndpoints() {
            return delegate.namedEndpoints();
        }

        @Override
        public PoolConfig config(Endpoint endpoint) {
            return delegate.config(endpoint);
        }

        @Override
        public List<EndpointStats> allStats() {
            return delegate.allStats();
        }

        @Override
        public ClearResult clearEndpoint(Endpoint endpoint) {
            return delegate.clearEndpoint(endpoint);
        }

        @Override
        public int closeIdleConnections(Endpoint endpoint) {
            return delegate.closeIdleConnections(endpoint);
        }

        @Override
        public int warm(Endpoint endpoint, int count) {
            return delegate.warm(endpoint, count);
        }

        @Override
        public void resetCircuit(Endpoint endpoint) {
            delegate.resetCircuit(endpoint);
        }

        @Override
        public boolean isClosed() {
            return delegate.isClosed();
        }

        @Override
        public void close() {
            delegate.close();
        }

        @Override
        public int close(Duration gracePeriod) {
            return delegate.close(gracePeriod);
        }
    }
}
