package io.conpool.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.conpool.ConnectionPool;
import io.conpool.ConnectionPoolListener;
import io.conpool.Endpoint;
import io.conpool.HealthCheck;
import io.conpool.HealthChecks;
import io.conpool.ProtocolHandler;
import io.conpool.RedisProtocol;
import io.conpool.PoolConfig;
import io.conpool.PoolClosedException;
import io.conpool.PooledConnection;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.LeakCheck;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.core.io.support.SpringFactoriesLoader;

/**
 * The core auto-configuration: the pool bean and its back-offs, pool-wide and per-endpoint settings really applied
 * (read back through {@link ConnectionPool#config}), health checks by name, listeners and customizers, warming at
 * start-up, the graceful close, and the start-up failure a user sees. Each test ends with no pool thread, server
 * thread or socket left behind.
 */
@Timeout(60)
@ExtendWith(OutputCaptureExtension.class)
class ConpoolAutoConfigurationTests {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ConpoolAutoConfiguration.class));

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
    void providesPoolWithNamedEndpointsAndPerEndpointOverrides() {
        runner.withPropertyValues("conpool.max-connections-per-endpoint=7", "conpool.acquire-timeout=3s",
                "conpool.endpoints.cache.host=127.0.0.1", "conpool.endpoints.cache.port=6379",
                "conpool.endpoints.cache.max-connections=2", "conpool.endpoints.cache.acquire-timeout=250ms",
                "conpool.endpoints.api.host=localhost", "conpool.endpoints.api.port=8080")
            .run(context -> {
                assertThat(context).hasSingleBean(ConnectionPool.class);
                ConnectionPool pool = context.getBean(ConnectionPool.class);
                assertThat(pool.namedEndpoints()).containsOnlyKeys("cache", "api");
                Endpoint cache = pool.endpoint("cache").orElseThrow();
                Endpoint api = pool.endpoint("api").orElseThrow();
                assertThat(cache).isEqualTo(Endpoint.of("127.0.0.1", 6379));
                assertThat(api).isEqualTo(Endpoint.of("localhost", 8080));
                PoolConfig cacheConfig = pool.config(cache);
                assertThat(cacheConfig.maxConnectionsPerEndpoint()).isEqualTo(2);
                assertThat(cacheConfig.maxIdlePerEndpoint()).isEqualTo(2);
                assertThat(cacheConfig.acquireTimeout()).isEqualTo(Duration.ofMillis(250));
                PoolConfig apiConfig = pool.config(api);
                assertThat(apiConfig.maxConnectionsPerEndpoint()).isEqualTo(7);
                assertThat(apiConfig.acquireTimeout()).isEqualTo(Duration.ofSeconds(3));
                assertThat(pool.config(Endpoint.of("127.0.0.1", 1))).isEqualTo(apiConfig);
            });
    }

    @Test
    void everyPoolWideSettingIsApplied() {
        runner.withPropertyValues("conpool.max-connections-per-endpoint=20", "conpool.max-idle-per-endpoint=8",
                "conpool.min-idle-per-endpoint=1", "conpool.connection-timeout=4s", "conpool.acquire-timeout=6s",
                "conpool.max-idle-time=90s", "conpool.max-connection-lifetime=10m", "conpool.lifetime-jitter=0.1",
                "conpool.max-connection-uses=1000", "conpool.validation-interval=15s", "conpool.connect-attempts=2",
                "conpool.connect-backoff=50ms", "conpool.health-check=redis-ping", "conpool.health-check-timeout=1s",
                "conpool.max-pending-acquires=64", "conpool.leak-detection-threshold=2m",
                "conpool.circuit-breaker.enabled=false", "conpool.circuit-breaker.failure-threshold=9",
                "conpool.circuit-breaker.open-duration=3s", "conpool.circuit-breaker.max-open-duration=2m")
            .run(context -> {
                PoolConfig c = context.getBean(ConnectionPool.class).config(Endpoint.of("127.0.0.1", 1));
                assertThat(c.maxConnectionsPerEndpoint()).isEqualTo(20);
                assertThat(c.maxIdlePerEndpoint()).isEqualTo(8);
                assertThat(c.minIdlePerEndpoint()).isEqualTo(1);
                assertThat(c.connectionTimeout()).isEqualTo(Duration.ofSeconds(4));
                assertThat(c.acquireTimeout()).isEqualTo(Duration.ofSeconds(6));
                assertThat(c.maxIdleTime()).isEqualTo(Duration.ofSeconds(90));
                assertThat(c.maxConnectionLifetime()).isEqualTo(Duration.ofMinutes(10));
                assertThat(c.lifetimeJitter()).isEqualTo(0.1);
                assertThat(c.maxConnectionUses()).hasValue(1000);
                assertThat(c.validationInterval()).isEqualTo(Duration.ofSeconds(15));
                assertThat(c.connectAttempts()).isEqualTo(2);
                assertThat(c.connectBackoff()).isEqualTo(Duration.ofMillis(50));
                assertThat(c.healthCheck()).containsSame(HealthChecks.redisPing());
                assertThat(c.healthCheckTimeout()).isEqualTo(Duration.ofSeconds(1));
                assertThat(c.maxPendingAcquires()).hasValue(64);
                assertThat(c.leakDetectionThreshold()).contains(Duration.ofMinutes(2));
                assertThat(c.circuitBreakerEnabled()).isFalse();
                assertThat(c.circuitBreakerFailureThreshold()).isEqualTo(9);
                assertThat(c.circuitBreakerOpenDuration()).isEqualTo(Duration.ofSeconds(3));
                assertThat(c.circuitBreakerMaxOpenDuration()).isEqualTo(Duration.ofMinutes(2));
            });
    }

    @Test
    void everyPerEndpointOverrideAppliesToThatEndpointOnly() {
        runner.withPropertyValues("conpool.health-check=redis-ping", "conpool.endpoints.a.host=127.0.0.1",
                "conpool.endpoints.a.port=7001", "conpool.endpoints.a.max-connections=30",
                "conpool.endpoints.a.max-idle=12", "conpool.endpoints.a.min-idle=2",
                "conpool.endpoints.a.connection-timeout=1s", "conpool.endpoints.a.acquire-timeout=2s",
                "conpool.endpoints.a.max-idle-time=3s", "conpool.endpoints.a.max-connection-lifetime=4m",
                "conpool.endpoints.a.lifetime-jitter=0", "conpool.endpoints.a.max-connection-uses=5",
                "conpool.endpoints.a.validation-interval=6s", "conpool.endpoints.a.connect-attempts=7",
                "conpool.endpoints.a.connect-backoff=0ms", "conpool.endpoints.a.health-check=none",
                "conpool.endpoints.a.health-check-timeout=9s", "conpool.endpoints.a.max-pending-acquires=0",
                "conpool.endpoints.a.leak-detection-threshold=11s", "conpool.endpoints.a.circuit-breaker.enabled=false",
                "conpool.endpoints.a.circuit-breaker.failure-threshold=2",
                "conpool.endpoints.a.circuit-breaker.open-duration=13s",
                "conpool.endpoints.a.circuit-breaker.max-open-duration=14s", "conpool.endpoints.b.host=127.0.0.1",
                "conpool.endpoints.b.port=7002")
            .run(context -> {
                ConnectionPool pool = context.getBean(ConnectionPool.class);
                PoolConfig a = pool.config(pool.endpoint("a").orElseThrow());
                assertThat(a.maxConnectionsPerEndpoint()).isEqualTo(30);
                assertThat(a.maxIdlePerEndpoint()).isEqualTo(12);
                assertThat(a.minIdlePerEndpoint()).isEqualTo(2);
                assertThat(a.connectionTimeout()).isEqualTo(Duration.ofSeconds(1));
                assertThat(a.acquireTimeout()).isEqualTo(Duration.ofSeconds(2));
                assertThat(a.maxIdleTime()).isEqualTo(Duration.ofSeconds(3));
                assertThat(a.maxConnectionLifetime()).isEqualTo(Duration.ofMinutes(4));
                assertThat(a.lifetimeJitter()).isZero();
                assertThat(a.maxConnectionUses()).hasValue(5);
                assertThat(a.validationInterval()).isEqualTo(Duration.ofSeconds(6));
                assertThat(a.connectAttempts()).isEqualTo(7);
                assertThat(a.connectBackoff()).isZero();
                assertThat(a.healthCheck()).isEmpty();
                assertThat(a.healthCheckTimeout()).isEqualTo(Duration.ofSeconds(9));
                assertThat(a.maxPendingAcquires()).hasValue(0);
                assertThat(a.leakDetectionThreshold()).contains(Duration.ofSeconds(11));
                assertThat(a.circuitBreakerEnabled()).isFalse();
                assertThat(a.circuitBreakerFailureThreshold()).isEqualTo(2);
                assertThat(a.circuitBreakerOpenDuration()).isEqualTo(Duration.ofSeconds(13));
                assertThat(a.circuitBreakerMaxOpenDuration()).isEqualTo(Duration.ofSeconds(14));
                PoolConfig b = pool.config(pool.endpoint("b").orElseThrow());
                PoolConfig unnamed = pool.config(Endpoint.of("127.0.0.1", 7003));
                assertThat(b).isEqualTo(unnamed);
                assertThat(b.maxConnectionsPerEndpoint()).isEqualTo(10);
                assertThat(b.healthCheck()).containsSame(HealthChecks.redisPing());
                assertThat(b.maxPendingAcquires()).isEmpty();
                assertThat(b.circuitBreakerEnabled()).isTrue();
            });
    }

    @Test
    void overridesReallyChangeBehaviourOfThatEndpointOnly() {
        try (EchoServer other = EchoServer.start()) {
            runner.withPropertyValues("conpool.endpoints.small.host=127.0.0.1",
                    "conpool.endpoints.small.port=" + server.port(), "conpool.endpoints.small.max-connections=1",
                    "conpool.endpoints.small.acquire-timeout=200ms", "conpool.endpoints.big.host=127.0.0.1",
                    "conpool.endpoints.big.port=" + other.port())
                .run(context -> {
                    ConnectionPool pool = context.getBean(ConnectionPool.class);
                    Endpoint small = pool.endpoint("small").orElseThrow();
                    Endpoint big = pool.endpoint("big").orElseThrow();
                    List<PooledConnection> held = new ArrayList<>();
                    try {
                        held.add(pool.acquire(small));
                        long start = System.nanoTime();
                        assertThatThrownBy(() -> pool.acquire(small))
                            .isInstanceOf(io.conpool.AcquireTimeoutException.class);
                        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(2_000));
                        for (int i = 0; i < 3; i++) {
                            held.add(pool.acquire(big));
                        }
                        assertThat(pool.stats(big).active()).isEqualTo(3);
                    }
                    finally {
                        held.forEach(PooledConnection::close);
                    }
                });
        }
    }

    @Test
    void healthChecksByBuiltInNameOrBeanName() {
        HealthCheck mine = c -> true;
        runner.withBean("myCheck", HealthCheck.class, () -> mine)
            .withPropertyValues("conpool.endpoints.redis.host=127.0.0.1", "conpool.endpoints.redis.port=6379",
                    "conpool.endpoints.redis.health-check=redis-ping", "conpool.endpoints.custom.host=127.0.0.1",
                    "conpool.endpoints.custom.port=6380", "conpool.endpoints.custom.health-check=myCheck")
            .run(context -> {
                ConnectionPool pool = context.getBean(ConnectionPool.class);
                assertThat(pool.config(pool.endpoint("redis").orElseThrow()).healthCheck())
                    .containsSame(HealthChecks.redisPing());
                assertThat(pool.config(pool.endpoint("custom").orElseThrow()).healthCheck()).containsSame(mine);
            });
    }

    /** A ProtocolHandler bean by name, pool-wide, with 'none' turning it off for one endpoint. */
    @Test
    void protocolHandlersByBeanName() {
        ProtocolHandler<Object> mine = c -> null;
        runner.withBean("myProtocol", ProtocolHandler.class, () -> mine)
            .withPropertyValues("conpool.protocol=myProtocol", "conpool.endpoints.a.host=127.0.0.1",
                    "conpool.endpoints.a.port=6379", "conpool.endpoints.b.host=127.0.0.1",
                    "conpool.endpoints.b.port=6380", "conpool.endpoints.b.protocol=none")
            .run(context -> {
                ConnectionPool pool = context.getBean(ConnectionPool.class);
                assertThat(pool.config(pool.endpoint("a").orElseThrow()).protocolHandler()).containsSame(mine);
                assertThat(pool.config(pool.endpoint("b").orElseThrow()).protocolHandler()).isEmpty();
                assertThat(pool.config(Endpoint.of("127.0.0.1", 9)).protocolHandler()).containsSame(mine);
            });
    }

    /**
     * protocol: redis pool-wide with its redis.* as defaults; an endpoint overriding some of them gets its own handler,
     * one that turns it off gets none, one that only inherits shares the pool-wide one.
     */
    @Test
    void theBuiltInRedisProtocolFromProperties() {
        runner.withPropertyValues("conpool.protocol=redis", "conpool.redis.password=pool-secret",
                "conpool.redis.database=1", "conpool.endpoints.cache.host=127.0.0.1", "conpool.endpoints.cache.port=6379",
                "conpool.endpoints.cache.redis.username=app", "conpool.endpoints.cache.redis.password=cache-secret",
                "conpool.endpoints.cache.redis.database=3", "conpool.endpoints.cache.redis.client-name=orders",
                "conpool.endpoints.cache.redis.reset-on-release=false", "conpool.endpoints.plain.host=127.0.0.1",
                "conpool.endpoints.plain.port=6380", "conpool.endpoints.plain.protocol=none",
                "conpool.endpoints.same.host=127.0.0.1", "conpool.endpoints.same.port=6381")
            .run(context -> {
                ConnectionPool pool = context.getBean(ConnectionPool.class);
                RedisProtocol cache = (RedisProtocol) pool.config(pool.endpoint("cache").orElseThrow())
                    .protocolHandler()
                    .orElseThrow();
                assertThat(cache.username()).isEqualTo("app");
                assertThat(cache.hasPassword()).isTrue();
                assertThat(cache.database()).isEqualTo(3);
                assertThat(cache.clientName()).isEqualTo("orders");
                assertThat(cache.resetOnRelease()).isFalse();
                assertThat(cache.toString()).doesNotContain("secret");
                assertThat(pool.config(pool.endpoint("plain").orElseThrow()).protocolHandler()).isEmpty();
                RedisProtocol poolWide = (RedisProtocol) pool.config(Endpoint.of("127.0.0.1", 9)).protocolHandler()
                    .orElseThrow();
                assertThat(poolWide.database()).isEqualTo(1);
                assertThat(poolWide.username()).isNull();
                assertThat(poolWide.resetOnRelease()).isTrue();
                assertThat(pool.config(pool.endpoint("same").orElseThrow()).protocolHandler()).containsSame(poolWide);
            });
    }

    @Test
    void backgroundHealthChecksAndTheBypassFromProperties() {
        runner.withPropertyValues("conpool.health-check-interval=15s", "conpool.endpoints.a.host=127.0.0.1",
                "conpool.endpoints.a.port=6379", "conpool.endpoints.a.health-check-bypass-window=500ms",
                "conpool.endpoints.a.health-check-interval=5s")
            .run(context -> {
                ConnectionPool pool = context.getBean(ConnectionPool.class);
                assertThat(pool.config(Endpoint.of("127.0.0.1", 9)).healthCheckInterval())
                    .contains(Duration.ofSeconds(15));
                assertThat(pool.config(Endpoint.of("127.0.0.1", 9)).healthCheckBypassWindow()).isEmpty();
                PoolConfig a = pool.config(pool.endpoint("a").orElseThrow());
                assertThat(a.healthCheckInterval()).contains(Duration.ofSeconds(5));
                assertThat(a.healthCheckBypassWindow()).contains(Duration.ofMillis(500));
            });
    }

    @Test
    void namedEndpointsWithMinIdleAreWarmedAtStartup() {
        runner.withPropertyValues("conpool.endpoints.warm.host=127.0.0.1", "conpool.endpoints.warm.port=" + server.port(),
                "conpool.endpoints.warm.min-idle=2")
            .run(context -> {
                ConnectionPool pool = context.getBean(ConnectionPool.class);
                Endpoint warm = pool.endpoint("warm").orElseThrow();
                await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats(warm).idle() == 2);
                assertThat(server.accepted()).isEqualTo(2);
                assertThat(pool.stats(warm).misses()).isZero();
            });
    }

    @Test
    void listenersAndCustomizersAreApplied() {
        Calls calls = new Calls();
        runner.withPropertyValues("conpool.endpoints.cache.host=127.0.0.1",
                "conpool.endpoints.cache.port=" + server.port())
            .withUserConfiguration(ListenerAndCustomizers.class)
            .withBean(Calls.class, () -> calls)
            .run(context -> {
                ConnectionPool pool = context.getBean(ConnectionPool.class);
                assertThat(calls.list).containsExactly("first", "second");
                assertThat(pool.namedEndpoints()).containsKeys("cache", "added-by-customizer");
                pool.acquire(pool.endpoint("cache").orElseThrow()).close();
                assertThat(calls.list).containsExactly("first", "second", "created");
            });
    }

    @Test
    void backsOffWhenDisabled() {
        runner.withPropertyValues("conpool.enabled=false")
            .run(context -> assertThat(context).doesNotHaveBean(ConnectionPool.class)
                .doesNotHaveBean(ConpoolProperties.class));
    }

    @Test
    void backsOffForUserPool() {
        runner.withUserConfiguration(UserPool.class).run(context -> {
            assertThat(context).hasSingleBean(ConnectionPool.class);
            assertThat(context).getBean(ConnectionPool.class).isSameAs(context.getBean(UserPool.class).pool);
            assertThat(context).doesNotHaveBean(ConnectionPoolShutdown.class);
        });
    }

    @Test
    void closesPoolWithContext() {
        ConnectionPool[] pool = new ConnectionPool[1];
        runner.run(context -> pool[0] = context.getBean(ConnectionPool.class));
        assertThat(pool[0].isClosed()).isTrue();
        assertThatThrownBy(() -> pool[0].acquire(server.endpoint())).isInstanceOf(PoolClosedException.class);
    }

    @Test
    void closeWaitsForLeasesWithinTheGracePeriod() throws Exception {
        ExecutorService worker = Executors.newSingleThreadExecutor();
        try {
            runner.withPropertyValues("conpool.shutdown-grace-period=10s").run(context -> {
                ConnectionPool pool = context.getBean(ConnectionPool.class);
                PooledConnection lease = pool.acquire(server.endpoint());
                Future<Boolean> returned = worker.submit(() -> {
                    Thread.sleep(500);
                    boolean open = !lease.socket().isClosed();
                    lease.close();
                    return open;
                });
                long start = System.nanoTime();
                context.close();
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                assertThat(returned.get(10, TimeUnit.SECONDS)).as("socket still open when the lease came back").isTrue();
                assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(400)).isLessThan(Duration.ofSeconds(8));
                assertThat(pool.stats(server.endpoint()).closed()).isEqualTo(1);
            });
        }
        finally {
            worker.shutdownNow();
            assertThat(worker.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void leasesStillOutAfterTheGracePeriodAreClosed() {
        runner.withPropertyValues("conpool.shutdown-grace-period=100ms").run(context -> {
            ConnectionPool pool = context.getBean(ConnectionPool.class);
            PooledConnection lease = pool.acquire(server.endpoint());
            long start = System.nanoTime();
            context.close();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            assertThat(lease.socket().isClosed()).isTrue();
            lease.close();
        });
    }

    @Test
    void failureAnalyzerIsRegistered() {
        assertThat(SpringFactoriesLoader.forDefaultResourceLocation().load(FailureAnalyzer.class,
                SpringFactoriesLoader.ArgumentResolver.none(),
                SpringFactoriesLoader.FailureHandler.logging(org.apache.commons.logging.LogFactory.getLog(getClass()))))
            .hasAtLeastOneElementOfType(ConpoolFailureAnalyzer.class);
    }

    @Test
    void aBadValueStopsARealApplicationWithBootsFailureReport(CapturedOutput output) {
        SpringApplicationBuilder app = new SpringApplicationBuilder(MinimalApp.class).web(WebApplicationType.NONE)
            .properties("spring.main.banner-mode=off", "conpool.endpoints.cache.host=127.0.0.1",
                    "conpool.endpoints.cache.port=" + server.port(), "conpool.endpoints.cache.min-idle=20");
        assertThatThrownBy(() -> {
            try (ConfigurableApplicationContext context = app.run()) {
                assertThat(context).isNull();
            }
        }).isNotNull();
        assertThat(output).contains("APPLICATION FAILED TO START")
            .contains("Invalid conpool configuration:")
            .contains("Property: conpool.endpoints.cache.min-idle")
            .contains("Value: \"20\"")
            .contains("Reason: must not exceed conpool.max-idle-per-endpoint (5)");
    }

    @Configuration(proxyBeanMethods = false)
    static class UserPool {

        final ConnectionPool pool = ConnectionPool.builder().name("conpool-user").build();

        @Bean(destroyMethod = "close")
        ConnectionPool myPool() {
            return pool;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class ListenerAndCustomizers {

        @Bean
        @Order(2)
        ConnectionPoolBuilderCustomizer second(Calls calls) {
            return builder -> calls.list.add("second");
        }

        @Bean
        @Order(1)
        ConnectionPoolBuilderCustomizer first(Calls calls) {
            return builder -> {
                calls.list.add("first");
                builder.endpoint("added-by-customizer", Endpoint.of("127.0.0.1", 9));
            };
        }

        @Bean
        ConnectionPoolListener recording(Calls calls) {
            return new ConnectionPoolListener() {
                @Override
                public void onConnectionCreated(Endpoint endpoint, long connectNanos) {
                    calls.list.add("created");
                }
            };
        }
    }

    static class Calls {

        final List<String> list = new java.util.concurrent.CopyOnWriteArrayList<>();
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class MinimalApp {
    }
}
