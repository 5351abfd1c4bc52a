package io.conpool.autoconfigure.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import io.conpool.CircuitOpenException;
import io.conpool.ConnectionPool;
import io.conpool.ConnectionPoolListener;
import io.conpool.ConpoolException;
import io.conpool.Endpoint;
import io.conpool.PooledConnection;
import io.conpool.autoconfigure.ConpoolAutoConfiguration;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.RefusedPort;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.Search;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Meters registered by the auto-configuration in Boot's own meter registry (a simple one), against real loopback
 * servers: names and tags, values that follow the pool's stats, timers fed by the listener, run-time endpoints,
 * the bound on tagged endpoints, removal on clear and on removal, and the back-offs.
 */
@Timeout(60)
class ConpoolMetricsTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ConpoolAutoConfiguration.class, ConpoolMetricsAutoConfiguration.class,
                MetricsAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class,
                SimpleMetricsExportAutoConfiguration.class));

    private EchoServer server;

    @BeforeEach
    void start() {
        server = EchoServer.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void namedEndpointHasEveryMeterFromTheStart() {
        runner.withPropertyValues(cache()).run(context -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            for (String gauge : new String[] { "active", "idle", "pending", "max", "min" }) {
                assertThat(find(registry, "conpool.connections." + gauge, "cache").gauge()).as(gauge).isNotNull();
            }
            for (String counter : new String[] { "created", "hits", "misses", "errors", "timeouts", "rejected",
                    "leaks", "retried" }) {
                assertThat(find(registry, "conpool.connections." + counter, "cache").functionCounter()).as(counter)
                    .isNotNull();
            }
            assertThat(find(registry, "conpool.connections.closed", "cache").functionCounters()).hasSize(io.conpool.CloseReason.values().length);
            assertThat(find(registry, "conpool.connections.closed", "cache").tag("reason", "idle-timeout")
                .functionCounter()).isNotNull();
            for (String timer : new String[] { "acquire", "usage", "creation" }) {
                assertThat(find(registry, "conpool.connections." + timer, "cache").timer()).as(timer).isNotNull();
            }
            assertThat(find(registry, "conpool.circuit.state", "cache").tag("state", "closed").gauge().value())
                .isEqualTo(1);
            assertThat(find(registry, "conpool.circuit.state", "cache").tag("state", "open").gauge().value())
                .isEqualTo(0);
            assertThat(find(registry, "conpool.connections.max", "cache").gauge().value()).isEqualTo(3);
            assertThat(find(registry, "conpool.connections.max", "cache").tag("pool", "conpool").gauge()).isNotNull();
        });
    }

    @Test
    void valuesFollowTheStatsAndTimersCountEachEvent() {
        runner.withPropertyValues(cache()).run(context -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            ConnectionPool pool = context.getBean(ConnectionPool.class);
            Endpoint cache = pool.endpoint("cache").orElseThrow();
            try (PooledConnection a = pool.acquire(cache); PooledConnection b = pool.acquire(cache)) {
                assertThat(find(registry, "conpool.connections.active", "cache").gauge().value()).isEqualTo(2);
                assertThat(a).isNotSameAs(b);
            }
            // Gauges and counters share one stats snapshot per endpoint for a second (ConpoolMetrics): read again
            // within it, they still show the leases; after it, the pool as it is.
            assertThat(find(registry, "conpool.connections.active", "cache").gauge().value()).isEqualTo(2);
            eventually(() -> {
                assertThat(find(registry, "conpool.connections.active", "cache").gauge().value()).isEqualTo(0);
                assertThat(find(registry, "conpool.connections.idle", "cache").gauge().value()).isEqualTo(2);
            });
            pool.acquire(cache).close(); // a hit
            eventually(() -> {
                assertThat(find(registry, "conpool.connections.created", "cache").functionCounter().count())
                    .isEqualTo(2);
                assertThat(find(registry, "conpool.connections.misses", "cache").functionCounter().count())
                    .isEqualTo(2);
                assertThat(find(registry, "conpool.connections.hits", "cache").functionCounter().count()).isEqualTo(1);
            });
            // Timers are recorded as events happen: no snapshot, no delay.
            assertThat(find(registry, "conpool.connections.acquire", "cache").timer().count()).isEqualTo(3);
            assertThat(find(registry, "conpool.connections.usage", "cache").timer().count()).isEqualTo(3);
            assertThat(find(registry, "conpool.connections.creation", "cache").timer().count()).isEqualTo(2);
            pool.acquire(cache).invalidate();
            eventually(() -> assertThat(find(registry, "conpool.connections.closed", "cache")
                .tag("reason", "invalidated")
                .functionCounter()
                .count()).isEqualTo(1));
        });
    }

    @Test
    void endpointsMetAtRunTimeGetMetersUpToTheBoundThenShareOther() {
        try (EchoServer second = EchoServer.start()) {
            runner.withPropertyValues("conpool.metrics.max-tagged-endpoints=1").run(context -> {
                MeterRegistry registry = context.getBean(MeterRegistry.class);
                ConnectionPool pool = context.getBean(ConnectionPool.class);
                pool.acquire(server.endpoint()).close();
                pool.acquire(second.endpoint()).close();
                pool.acquire(second.endpoint()).close();
                String first = server.endpoint().toString();
                assertThat(find(registry, "conpool.connections.idle", first).gauge().value()).isEqualTo(1);
                assertThat(find(registry, "conpool.connections.acquire", first).timer().count()).isEqualTo(1);
                assertThat(find(registry, "conpool.connections.idle", second.endpoint().toString()).gauge()).isNull();
                assertThat(find(registry, "conpool.connections.idle", ConpoolMetrics.OTHER).gauge()).isNull();
                assertThat(find(registry, "conpool.connections.acquire", ConpoolMetrics.OTHER).timer().count())
                    .isEqualTo(2);
                assertThat(find(registry, "conpool.connections.created", ConpoolMetrics.OTHER).counter().count())
                    .isEqualTo(1);
                assertThat(find(registry, "conpool.connections.hits", ConpoolMetrics.OTHER).counter().count())
                    .isEqualTo(1);
            });
        }
    }

    @Test
    void clearedEndpointLosesItsMetersUntilItsNextUseAndNamedOnesKeepTheirs() {
        runner.withPropertyValues(cache()).run(context -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            ConnectionPool pool = context.getBean(ConnectionPool.class);
            try (EchoServer other = EchoServer.start()) {
                Endpoint runtime = other.endpoint();
                pool.acquire(runtime).close();
                assertThat(find(registry, "conpool.connections.idle", runtime.toString()).gauge()).isNotNull();
                pool.clearEndpoint(runtime);
                assertThat(Search.in(registry).tag("endpoint", runtime.toString()).meters()).isEmpty();
                pool.acquire(runtime).close();
                assertThat(find(registry, "conpool.connections.idle", runtime.toString()).gauge().value()).isEqualTo(1);
                pool.clearEndpoint(runtime);
            }
            Endpoint cache = pool.endpoint("cache").orElseThrow();
            pool.acquire(cache).close();
            pool.clearEndpoint(cache);
            assertThat(find(registry, "conpool.connections.idle", "cache").gauge().value()).isEqualTo(0);
            assertThat(find(registry, "conpool.connections.closed", "cache").tag("reason", "cleared")
                .functionCounter()
                .count()).isEqualTo(1);
        });
    }

    @Test
    void removedEndpointLosesItsMeters() {
        runner.withPropertyValues("conpool.max-idle-time=200ms", "conpool.validation-interval=100ms",
                "conpool.forget-unused-endpoints-after=300ms").run(context -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            ConnectionPool pool = context.getBean(ConnectionPool.class);
            Endpoint runtime = server.endpoint();
            pool.acquire(runtime).close();
            assertThat(find(registry, "conpool.connections.idle", runtime.toString()).gauge()).isNotNull();
            await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(Search.in(registry).tag("endpoint", runtime.toString()).meters())
                    .isEmpty());
            assertThat(pool.allStats()).isEmpty();
        });
    }

    @Test
    void connectFailuresAndTheCircuitShowInMeters() {
        int refused = RefusedPort.find();
        runner.withPropertyValues("conpool.endpoints.down.host=127.0.0.1", "conpool.endpoints.down.port=" + refused,
                "conpool.endpoints.down.connect-attempts=1", "conpool.endpoints.down.circuit-breaker.failure-threshold=1",
                "conpool.endpoints.down.circuit-breaker.open-duration=1m",
                "conpool.endpoints.down.circuit-breaker.max-open-duration=1m")
            .run(context -> {
                MeterRegistry registry = context.getBean(MeterRegistry.class);
                ConnectionPool pool = context.getBean(ConnectionPool.class);
                Endpoint down = pool.endpoint("down").orElseThrow();
                assertThatThrownBy(() -> pool.acquire(down)).isInstanceOf(ConpoolException.class);
                assertThatThrownBy(() -> pool.acquire(down)).isInstanceOf(CircuitOpenException.class);
                assertThat(find(registry, "conpool.connections.errors", "down").functionCounter().count()).isEqualTo(1);
                assertThat(find(registry, "conpool.connections.rejected", "down").functionCounter().count())
                    .isEqualTo(1);
                assertThat(find(registry, "conpool.circuit.state", "down").tag("state", "open").gauge().value())
                    .isEqualTo(1);
                assertThat(find(registry, "conpool.circuit.state", "down").tag("state", "closed").gauge().value())
                    .isEqualTo(0);
            });
    }

    @Test
    void applicationListenersAreRegisteredOnThePoolToo() {
        runner.withPropertyValues(cache()).withUserConfiguration(CountingListener.class).run(context -> {
            ConnectionPool pool = context.getBean(ConnectionPool.class);
            pool.acquire(pool.endpoint("cache").orElseThrow()).close();
            assertThat(context.getBean(CountingListener.class).acquired.get()).isEqualTo(1);
        });
    }

    @Test
    void backsOffWhenDisabledOrWithoutMicrometer() {
        runner.withPropertyValues(cache()).withPropertyValues("conpool.metrics.enabled=false").run(context -> {
            assertThat(context).hasSingleBean(ConnectionPool.class).doesNotHaveBean(ConpoolMetrics.class)
                .doesNotHaveBean(ConpoolMeterBinder.class);
            assertThat(Search.in(context.getBean(MeterRegistry.class)).name(n -> n.startsWith("conpool")).meters())
                .isEmpty();
        });
        new ApplicationContextRunner()
            .withConfiguration(
                    AutoConfigurations.of(ConpoolAutoConfiguration.class, ConpoolMetricsAutoConfiguration.class))
            .withClassLoader(new FilteredClassLoader(MeterRegistry.class))
            .run(context -> assertThat(context).hasNotFailed().hasSingleBean(ConnectionPool.class)
                .doesNotHaveBean(ConpoolMetrics.class));
        new ApplicationContextRunner()
            .withConfiguration(
                    AutoConfigurations.of(ConpoolAutoConfiguration.class, ConpoolMetricsAutoConfiguration.class))
            .withPropertyValues("conpool.enabled=false")
            .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(ConpoolMetrics.class));
    }

    private String[] cache() {
        return new String[] { "conpool.endpoints.cache.host=127.0.0.1",
                "conpool.endpoints.cache.port=" + server.port(), "conpool.endpoints.cache.max-connections=3" };
    }

    /** Within a few stats snapshots' time-to-live ({@link ConpoolMetrics#DEFAULT_STATS_TTL_MILLIS}). */
    private static void eventually(org.awaitility.core.ThrowingRunnable assertion) {
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).untilAsserted(assertion);
    }

    private static Search find(MeterRegistry registry, String name, String endpoint) {
        return registry.find(name).tag("endpoint", endpoint);
    }

    @Configuration(proxyBeanMethods = false)
    static class CountingListener {

        final AtomicInteger acquired = new AtomicInteger();

        @Bean
        ConnectionPoolListener counting() {
            return new ConnectionPoolListener() {
                @Override
                public void onAcquired(Endpoint endpoint, long waitNanos) {
                    acquired.incrementAndGet();
                }
            };
        }
    }
}
