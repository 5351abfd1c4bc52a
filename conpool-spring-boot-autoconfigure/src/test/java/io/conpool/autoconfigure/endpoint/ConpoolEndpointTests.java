package io.conpool.autoconfigure.endpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import io.conpool.CircuitState;
import io.conpool.ConnectionPool;
import io.conpool.ConpoolException;
import io.conpool.Endpoint;
import io.conpool.HealthCheck;
import io.conpool.PooledConnection;
import io.conpool.autoconfigure.ConpoolAutoConfiguration;
import io.conpool.autoconfigure.endpoint.ConpoolEndpoint.CircuitReset;
import io.conpool.autoconfigure.endpoint.ConpoolEndpoint.Cleared;
import io.conpool.autoconfigure.endpoint.ConpoolEndpoint.EndpointDescriptor;
import io.conpool.autoconfigure.endpoint.ConpoolEndpoint.PoolDescriptor;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.RefusedPort;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The endpoint's operations invoked directly on the auto-configured bean (the HTTP side is in
 * {@link ConpoolEndpointWebTests}), and the conditions of its auto-configuration.
 */
@Timeout(60)
class ConpoolEndpointTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ConpoolAutoConfiguration.class, ConpoolEndpointAutoConfiguration.class))
        .withPropertyValues("management.endpoints.web.exposure.include=conpool");

    private EchoServer server;

    @BeforeEach
    void start() {
        server = EchoServer.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** The protocol by name (built-in or bean); its settings, a password above all, never. */
    @Test
    void showsTheProtocolByNameAndNeverItsPassword() {
        runner.withPropertyValues(cache())
            .withPropertyValues("conpool.endpoints.cache.protocol=redis",
                    "conpool.endpoints.cache.redis.password=never-shown-4711", "conpool.endpoints.cache.redis.database=5",
                    "conpool.endpoints.own.host=127.0.0.1", "conpool.endpoints.own.port=6390",
                    "conpool.endpoints.own.protocol=myProtocol")
            .withBean("myProtocol", io.conpool.ProtocolHandler.class, () -> c -> null)
            .run(context -> {
                ConpoolEndpoint endpoint = context.getBean(ConpoolEndpoint.class);
                PoolDescriptor all = endpoint.pool();
                assertThat(all.endpoints().get(0).config()).containsEntry("protocol", "redis");
                assertThat(all.endpoints().get(1).config()).containsEntry("protocol", "myProtocol");
                // Everything the endpoint answers (records all the way down, so toString shows every value).
                assertThat(all.toString()).contains("protocol=redis").doesNotContain("never-shown")
                    .doesNotContain("password");
            });
    }

    @Test
    @SuppressWarnings("unchecked") // the nested circuitBreaker entry of the config map
    void describesEveryEndpointWithStatsConfigAndTotals() {
        try (EchoServer runtime = EchoServer.start()) {
            runner.withPropertyValues(cache())
                .withPropertyValues("conpool.endpoints.cache.health-check=myCheck",
                        "conpool.endpoints.cache.max-connection-uses=100", "conpool.endpoints.cache.min-idle=0",
                        "conpool.endpoints.cache.leak-detection-threshold=90s")
                .withBean("myCheck", HealthCheck.class, () -> c -> true)
                .run(context -> {
                    ConnectionPool pool = context.getBean(ConnectionPool.class);
                    ConpoolEndpoint endpoint = context.getBean(ConpoolEndpoint.class);
                    pool.acquire(pool.endpoint("cache").orElseThrow()).close();
                    PooledConnection held = pool.acquire(runtime.endpoint());
                    PoolDescriptor all = endpoint.pool();
                    assertThat(all.pool()).isEqualTo("conpool");
                    assertThat(all.closed()).isFalse();
                    assertThat(all.endpoints()).extracting(EndpointDescriptor::name).containsExactly("cache", null);
                    EndpointDescriptor cache = all.endpoints().get(0);
                    assertThat(cache.host()).isEqualTo("127.0.0.1");
                    assertThat(cache.port()).isEqualTo(server.port());
                    assertThat(cache.tls()).isNull();
                    assertThat(cache.circuitState()).isEqualTo(CircuitState.CLOSED);
                    assertThat(cache.stats().idle()).isEqualTo(1);
                    assertThat(cache.stats().closedByReason()).hasSize(io.conpool.CloseReason.values().length).containsEntry("cleared", 0L);
                    assertThat(cache.config().get("maxConnections")).isEqualTo(4);
                    assertThat(cache.config().get("maxIdle")).isEqualTo(4);
                    assertThat(cache.config().get("healthCheck")).isEqualTo("myCheck");
                    assertThat(cache.config().get("maxConnectionUses")).isEqualTo(100L);
                    assertThat(cache.config().get("leakDetectionThreshold")).isEqualTo("90s");
                    assertThat(cache.config().get("acquireTimeout")).isEqualTo("30s");
                    assertThat((Map<String, Object>) cache.config().get("circuitBreaker")).containsEntry("enabled", true);
                    EndpointDescriptor other = all.endpoints().get(1);
                    assertThat(other.endpoint()).isEqualTo(runtime.endpoint().toString());
                    assertThat(other.stats().active()).isEqualTo(1);
                    assertThat(other.config().get("maxConnections")).isEqualTo(10);
                    assertThat(other.config().get("maxConnectionUses")).isNull();
                    assertThat(all.totals().endpoints()).isEqualTo(2);
                    assertThat(all.totals().active()).isEqualTo(1);
                    assertThat(all.totals().idle()).isEqualTo(1);
                    assertThat(all.totals().created()).isEqualTo(2);
                    held.close();
                });
        }
    }

    @Test
    void findsByNameHostPortOrTlsFormAndNeverCreatesEntriesForUnknownOnes() {
        runner.withPropertyValues(cache()).run(context -> {
            ConnectionPool pool = context.getBean(ConnectionPool.class);
            ConpoolEndpoint endpoint = context.getBean(ConpoolEndpoint.class);
            Endpoint cache = pool.endpoint("cache").orElseThrow();
            assertThat(endpoint.endpoint("cache").name()).isEqualTo("cache");
            assertThat(endpoint.endpoint("127.0.0.1:" + server.port()).name()).isEqualTo("cache");
            assertThat(endpoint.endpoint("LOCALHOST:1")).isNull();
            int known = pool.allStats().size();
            for (String unknown : List.of("nope", "127.0.0.1:1", "tls:127.0.0.1:" + server.port(), "[::1]:6379",
                    "::1", "a:b:c", "http://x:1", "", " ", "host:99999", "tls:")) {
                assertThat(endpoint.endpoint(unknown)).as(unknown).isNull();
                assertThat(endpoint.clear(unknown, null)).as(unknown).isNull();
                assertThat(endpoint.clear(unknown, true)).as(unknown).isNull();
            }
            assertThat(pool.allStats()).hasSize(known);
            assertThat(pool.stats(cache).created()).isZero();
        });
    }

    @Test
    void clearClosesIdleAndMarksLeased() {
        runner.withPropertyValues(cache()).run(context -> {
            ConnectionPool pool = context.getBean(ConnectionPool.class);
            ConpoolEndpoint endpoint = context.getBean(ConpoolEndpoint.class);
            Endpoint cache = pool.endpoint("cache").orElseThrow();
            PooledConnection a = pool.acquire(cache);
            pool.acquire(cache).close();
            Cleared cleared = (Cleared) endpoint.clear("cache", null);
            assertThat(cleared).isEqualTo(new Cleared("cache", cache.toString(), 1, 1));
            a.close();
            assertThat(pool.stats(cache).closed()).isEqualTo(2);
            assertThat(endpoint.clear("cache", false)).isEqualTo(new Cleared("cache", cache.toString(), 0, 0));
        });
    }

    @Test
    void circuitCanBeResetByHand() {
        int refused = RefusedPort.find();
        runner.withPropertyValues("conpool.endpoints.down.host=127.0.0.1", "conpool.endpoints.down.port=" + refused,
                "conpool.endpoints.down.connect-attempts=1", "conpool.endpoints.down.circuit-breaker.failure-threshold=1",
                "conpool.endpoints.down.circuit-breaker.open-duration=1m",
                "conpool.endpoints.down.circuit-breaker.max-open-duration=1m")
            .run(context -> {
                ConnectionPool pool = context.getBean(ConnectionPool.class);
                ConpoolEndpoint endpoint = context.getBean(ConpoolEndpoint.class);
                Endpoint down = pool.endpoint("down").orElseThrow();
                assertThatThrownBy(() -> pool.acquire(down)).isInstanceOf(ConpoolException.class);
                assertThat(endpoint.endpoint("down").circuitState()).isEqualTo(CircuitState.OPEN);
                assertThat(endpoint.pool().totals().openCircuits()).isEqualTo(1);
                CircuitReset reset = (CircuitReset) endpoint.clear("down", true);
                assertThat(reset).isEqualTo(
                        new CircuitReset("down", down.toString(), CircuitState.OPEN, CircuitState.CLOSED));
                assertThat(pool.stats(down).circuitState()).isEqualTo(CircuitState.CLOSED);
            });
    }

    @Test
    void backsOff() {
        runner.withPropertyValues("management.endpoint.conpool.access=NONE")
            .run(context -> assertThat(context).hasSingleBean(ConnectionPool.class)
                .doesNotHaveBean(ConpoolEndpoint.class));
        new ApplicationContextRunner()
            .withConfiguration(
                    AutoConfigurations.of(ConpoolAutoConfiguration.class, ConpoolEndpointAutoConfiguration.class))
            .run(context -> assertThat(context).as("exposed nowhere").doesNotHaveBean(ConpoolEndpoint.class));
        runner.withClassLoader(new FilteredClassLoader(org.springframework.boot.actuate.endpoint.annotation.Endpoint.class))
            .run(context -> assertThat(context).hasNotFailed().hasSingleBean(ConnectionPool.class)
                .doesNotHaveBean(ConpoolEndpoint.class));
        runner.withPropertyValues("conpool.enabled=false")
            .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(ConpoolEndpoint.class));
        runner.run(context -> assertThat(context).hasSingleBean(ConpoolEndpoint.class)
            .hasSingleBean(ConpoolEndpointWebExtension.class));
    }

    private String[] cache() {
        return new String[] { "conpool.endpoints.cache.host=127.0.0.1",
                "conpool.endpoints.cache.port=" + server.port(), "conpool.endpoints.cache.max-connections=4" };
    }
}
