package io.conpool.benchmarks;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.PoolConfig;
import io.conpool.PooledConnection;
import io.conpool.Ticker;
import io.conpool.autoconfigure.metrics.ConpoolMetrics;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * One metrics scrape of a pool with 100 named endpoints (issue 13, point 6), with conpool's meters bound through
 * {@link ConpoolMetrics} exactly as the Spring Boot starter binds them: {@code prometheus} renders the text
 * exposition format ({@code PrometheusMeterRegistry.scrape()}, what {@code /actuator/prometheus} does); {@code simple}
 * reads every measurement of every meter ({@code SimpleMeterRegistry}, what a push registry does when it
 * publishes).
 *
 * <p>{@code cache}: {@code none} gives each gauge and counter its own stats snapshot (a time-to-live of zero: the
 * behaviour before the snapshot cache); {@code 1s} is the default, one snapshot per endpoint per scrape. The meters'
 * clock is moved forward by more than the time-to-live before each scrape, so every scrape finds every snapshot
 * expired, as real scrapes (seconds apart) do: the cached case is measured at its worst, never served from an
 * earlier iteration's snapshots.
 *
 * <p>Every endpoint has done one exchange over a real loopback connection (one idle connection, counters and timers
 * with values), so the scrape formats what a live application would show. Only conpool's public API is used.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ScrapeBenchmark {

    static final int ENDPOINTS = 100;

    @Param({"prometheus", "simple"})
    public String registry;

    @Param({"none", "1s"})
    public String cache;

    private LoopbackServer server;

    private ConnectionPool pool;

    private MeterRegistry meters;

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);

    private long step;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Fixture s = build(registry, cache, clock, null);
        server = s.server;
        pool = s.pool;
        meters = s.registry;
        step = s.ttl.toNanos() + 1;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        meters.close();
        pool.close();
        server.close();
    }

    @Benchmark
    public Object scrape() {
        clock.addAndGet(step); // every snapshot has expired, as between two real scrapes
        return scrape(meters);
    }

    /** One scrape: the Prometheus text, or every measurement of every meter read. */
    static Object scrape(MeterRegistry registry) {
        if (registry instanceof PrometheusMeterRegistry prometheus) {
            return prometheus.scrape();
        }
        double sum = 0;
        for (Meter meter : registry.getMeters()) {
            for (Measurement m : meter.measure()) {
                sum += m.getValue();
            }
        }
        return sum;
    }

    record Fixture(LoopbackServer server, ConnectionPool pool, MeterRegistry registry, Duration ttl) {
    }

    /**
     * Builds the pool, its 100 endpoints and the registry. With {@code statsCalls} set, the meters see the pool
     * through a proxy that counts {@code stats(Endpoint)} calls (for the snapshots-per-scrape figure; not used while
     * timing).
     */
    static Fixture build(String registryKind, String cacheKind, AtomicLong clock, AtomicLong statsCalls)
            throws Exception {
        List<InetAddress> addresses = new ArrayList<>();
        for (int i = 0; i < ENDPOINTS; i++) {
            addresses.add(InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) (1 + i)}));
        }
        LoopbackServer server = LoopbackServer.start(addresses, null, true);
        Duration ttl = switch (cacheKind) {
            case "none" -> Duration.ZERO;
            case "1s" -> Duration.ofMillis(ConpoolMetrics.DEFAULT_STATS_TTL_MILLIS);
            default -> throw new IllegalArgumentException("cache " + cacheKind);
        };
        Ticker ticker = clock::get;
        ConpoolMetrics metrics = new ConpoolMetrics(ENDPOINTS, ttl, ticker);
        ConnectionPool.Builder builder = ConnectionPool.builder()
                .config(PoolConfig.builder().maxConnectionsPerEndpoint(8).build())
                .listener(metrics)
                .name("scrape");
        List<Endpoint> endpoints = new ArrayList<>();
        for (int i = 0; i < ENDPOINTS; i++) {
            var address = server.addresses().get(i);
            Endpoint e = Endpoint.of(address.getAddress().getHostAddress(), address.getPort());
            endpoints.add(e);
            builder.endpoint(String.format("endpoint-%03d", i), e);
        }
        ConnectionPool pool = builder.build();
        MeterRegistry registry = switch (registryKind) {
            case "prometheus" -> new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            case "simple" -> new SimpleMeterRegistry();
            default -> throw new IllegalArgumentException("registry " + registryKind);
        };
        metrics.bindTo(registry, statsCalls == null ? pool : counting(pool, statsCalls), "conpool");
        byte[] request = new byte[LoopbackServer.MESSAGE_BYTES];
        byte[] reply = new byte[LoopbackServer.MESSAGE_BYTES];
        for (Endpoint e : endpoints) {
            try (PooledConnection c = pool.acquire(e)) {
                c.out().write(request);
                c.out().flush();
                BenchSocket.readFully(c.in(), reply);
            }
        }
        return new Fixture(server, pool, registry, ttl);
    }

    /** The pool seen through its interface, counting calls to {@code stats(Endpoint)}. */
    private static ConnectionPool counting(ConnectionPool pool, AtomicLong statsCalls) {
        return (ConnectionPool) Proxy.newProxyInstance(ConnectionPool.class.getClassLoader(),
                new Class<?>[] {ConnectionPool.class}, (proxy, method, args) -> {
                    if (method.getName().equals("stats") && method.getParameterCount() == 1) {
                        statsCalls.incrementAndGet();
                    }
                    try {
                        return method.invoke(pool, args);
                    }
                    catch (InvocationTargetException ex) {
                        throw ex.getCause();
                    }
                });
    }

    /** Stats snapshots one scrape takes, all endpoints together (each snapshot expired first, as in the benchmark). */
    static long statsCallsPerScrape(String registryKind, String cacheKind) throws Exception {
        AtomicLong clock = new AtomicLong(1_000_000_000L);
        AtomicLong calls = new AtomicLong();
        Fixture s = build(registryKind, cacheKind, clock, calls);
        try {
            scrape(s.registry); // a first scrape, unmeasured, like the benchmark's warm-up
            clock.addAndGet(s.ttl.toNanos() + 1);
            calls.set(0);
            scrape(s.registry);
            return calls.get();
        }
        finally {
            s.registry.close();
            s.pool.close();
            s.server.close();
        }
    }
}
