package io.conpool.autoconfigure.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.conpool.ConnectionPool;
import io.conpool.ConpoolException;
import io.conpool.Endpoint;
import io.conpool.PooledConnection;
import io.conpool.autoconfigure.ConnectionPoolBuilderCustomizer;
import io.conpool.autoconfigure.ConpoolAutoConfiguration;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.RefusedPort;
import io.conpool.testkit.ScriptedResolver;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The {@code conpool} health contributor: one component per named endpoint, status from stats and the last connect
 * outcomes (never a dial of its own), and its back-offs.
 */
@Timeout(60)
class ConpoolHealthTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ConpoolAutoConfiguration.class, ConpoolHealthAutoConfiguration.class));

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
    void oneComponentPerNamedEndpoint_upWhenHealthy_andProbingNeverDials() {
        try (EchoServer second = EchoServer.start()) {
            runner.withPropertyValues("conpool.endpoints.cache.host=127.0.0.1",
                    "conpool.endpoints.cache.port=" + server.port(), "conpool.endpoints.api.host=127.0.0.1",
                    "conpool.endpoints.api.port=" + second.port())
                .run(context -> {
                    CompositeHealthContributor composite = (CompositeHealthContributor) contributor(context);
                    assertThat(composite.stream().map(c -> c.name())).containsExactly("cache", "api");
                });
        }
        runner.withPropertyValues("conpool.endpoints.cache.host=127.0.0.1",
                "conpool.endpoints.cache.port=" + server.port())
            .run(context -> {
                Health health = health(context, "cache");
                assertThat(health.getStatus()).isEqualTo(Status.UP);
                assertThat(health.getDetails()).containsEntry("active", 0).containsEntry("idle", 0)
                    .containsEntry("exhausted", false).containsEntry("circuit", io.conpool.CircuitState.CLOSED)
                    .doesNotContainKey("host");
                for (int i = 0; i < 5; i++) {
                    health(context, "cache");
                }
                assertThat(server.accepted()).isZero();
            });
    }

    @Test
    void downWhileTheLastConnectFailed_upAgainAfterASuccess() {
        ScriptedResolver resolver = ScriptedResolver.answering("flip.test", "127.0.0.2");
        int port = server.port();
        runner.withPropertyValues("conpool.endpoints.cache.host=flip.test", "conpool.endpoints.cache.port=" + port,
                "conpool.endpoints.cache.connect-attempts=1", "conpool.endpoints.cache.circuit-breaker.enabled=false",
                "conpool.dns.ttl=1ms", "conpool.dns.negative-ttl=1ms")
            .withBean(ConnectionPoolBuilderCustomizer.class, () -> builder -> builder.resolver(resolver))
            .run(context -> {
                ConnectionPool pool = context.getBean(ConnectionPool.class);
                Endpoint cache = pool.endpoint("cache").orElseThrow();
                assertThatThrownBy(() -> pool.acquire(cache)).isInstanceOf(ConpoolException.class);
                Health down = health(context, "cache");
                assertThat(down.getStatus()).isEqualTo(Status.DOWN);
                assertThat((String) down.getDetails().get("reason")).contains("the last connect failed");
                assertThat(down.getDetails()).containsEntry("errors", 1L);
                resolver.answer("flip.test", "127.0.0.1");
                Thread.sleep(5); // past the 1 ms DNS TTL
                pool.acquire(cache).close();
                assertThat(health(context, "cache").getStatus()).isEqualTo(Status.UP);
            });
    }

    @Test
    void downWhileTheCircuitIsOpen() {
        runner.withPropertyValues("conpool.endpoints.down.host=127.0.0.1",
                "conpool.endpoints.down.port=" + RefusedPort.find(), "conpool.endpoints.down.connect-attempts=1",
                "conpool.endpoints.down.circuit-breaker.failure-threshold=1",
                "conpool.endpoints.down.circuit-breaker.open-duration=1m",
                "conpool.endpoints.down.circuit-breaker.max-open-duration=1m", "conpool.health.error-window=1ms")
            .run(context -> {
                ConnectionPool pool = context.getBean(ConnectionPool.class);
                assertThatThrownBy(() -> pool.acquire(pool.endpoint("down").orElseThrow()))
                    .isInstanceOf(ConpoolException.class);
                Thread.sleep(5); // past the error window: only the open circuit can make it DOWN now
                Health health = health(context, "down");
                assertThat(health.getStatus()).isEqualTo(Status.DOWN);
                assertThat(health.getDetails()).containsEntry("circuit", io.conpool.CircuitState.OPEN);
                assertThat((String) health.getDetails().get("reason")).contains("circuit breaker open");
                pool.resetCircuit(pool.endpoint("down").orElseThrow());
                assertThat(health(context, "down").getStatus()).isEqualTo(Status.UP);
            });
    }

    @Test
    void exhaustionIsReportedAndItsStatusIsConfigurable() {
        String[] props = { "conpool.endpoints.cache.host=127.0.0.1", "conpool.endpoints.cache.port=" + server.port(),
                "conpool.endpoints.cache.max-connections=1", "conpool.endpoints.cache.acquire-timeout=20s" };
        runner.withPropertyValues(props).run(context -> assertExhausted(context, Status.UP));
        runner.withPropertyValues(props)
            .withPropertyValues("conpool.health.exhausted-status=out_of_service")
            .run(context -> assertExhausted(context, Status.OUT_OF_SERVICE));
    }

    private void assertExhausted(AssertableApplicationContext context, Status expected) throws Exception {
        ConnectionPool pool = context.getBean(ConnectionPool.class);
        Endpoint cache = pool.endpoint("cache").orElseThrow();
        ExecutorService waiter = Executors.newSingleThreadExecutor();
        try {
            Future<?> waiting;
            try (PooledConnection held = pool.acquire(cache)) {
                waiting = waiter.submit(() -> {
                    pool.acquire(cache).close();
                    return null;
                });
                await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats(cache).pending() == 1);
                Health health = health(context, "cache");
                assertThat(health.getStatus()).isEqualTo(expected);
                assertThat(health.getDetails()).containsEntry("exhausted", true).containsEntry("pending", 1);
                assertThat((String) health.getDetails().get("reason")).contains("exhausted");
                assertThat(held.endpoint()).isEqualTo(cache);
            }
            waiting.get(10, TimeUnit.SECONDS);
            assertThat(health(context, "cache").getStatus()).isEqualTo(Status.UP);
        }
        finally {
            waiter.shutdownNow();
            assertThat(waiter.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void withoutNamedEndpointsASingleUpIndicator() {
        runner.run(context -> {
            HealthContributor contributor = contributor(context);
            assertThat(contributor).isInstanceOf(HealthIndicator.class);
            assertThat(((HealthIndicator) contributor).health().getStatus()).isEqualTo(Status.UP);
        });
    }

    @Test
    void backsOff() {
        runner.withPropertyValues("management.health.conpool.enabled=false")
            .run(context -> assertThat(context).hasSingleBean(ConnectionPool.class)
                .doesNotHaveBean("conpoolHealthContributor")
                .doesNotHaveBean(ConnectOutcomes.class));
        runner.withClassLoader(new FilteredClassLoader(HealthIndicator.class))
            .run(context -> assertThat(context).hasNotFailed().hasSingleBean(ConnectionPool.class)
                .doesNotHaveBean("conpoolHealthContributor"));
        runner.withPropertyValues("conpool.enabled=false")
            .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean("conpoolHealthContributor"));
        runner.withBean("conpoolHealthContributor", HealthIndicator.class, () -> () -> Health.down().build())
            .run(context -> assertThat(((HealthIndicator) contributor(context)).health().getStatus())
                .isEqualTo(Status.DOWN));
    }

    private static HealthContributor contributor(AssertableApplicationContext context) {
        return context.getBean("conpoolHealthContributor", HealthContributor.class);
    }

    private static Health health(AssertableApplicationContext context, String endpoint) {
        CompositeHealthContributor composite = (CompositeHealthContributor) contributor(context);
        return ((HealthIndicator) composite.getContributor(endpoint)).health();
    }
}
