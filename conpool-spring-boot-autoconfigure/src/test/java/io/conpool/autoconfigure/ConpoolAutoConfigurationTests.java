package io.conpool.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.PoolConfig;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Timeout(60)
class ConpoolAutoConfigurationTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ConpoolAutoConfiguration.class));

    @Test
    void providesPoolWithNamedEndpointsAndPerEndpointOverrides() {
        runner.withPropertyValues("conpool.max-connections-per-endpoint=7", "conpool.acquire-timeout=3s",
                "conpool.endpoints.cache.host=127.0.0.1", "conpool.endpoints.cache.port=6379",
                "conpool.endpoints.cache.max-connections=2", "conpool.endpoints.cache.acquire-timeout=250ms",
                "conpool.endpoints.api.host=localhost", "conpool.endpoints.api.port=8080")
            .run(context -> {
                assertThat(context).hasSingleBean(ConnectionPool.class);
                ConnectionPool pool = context.getBean(ConnectionPool.class);
                Endpoint cache = pool.endpoint("cache").orElseThrow();
                Endpoint api = pool.endpoint("api").orElseThrow();
                assertThat(cache).isEqualTo(Endpoint.of("127.0.0.1", 6379));
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
    void backsOffWhenDisabled() {
        runner.withPropertyValues("conpool.enabled=false")
            .run(context -> assertThat(context).doesNotHaveBean(ConnectionPool.class));
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
    }

    @Test
    void unknownKeyFails() {
        runner.withPropertyValues("conpool.endpoints.cache.host=localhost", "conpool.endpoints.cache.port=1",
                "conpool.endpoints.cache.max-conections=3")
            .run(context -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("conpool.endpoints.cache.max-conections"));
    }

    @Configuration(proxyBeanMethods = false)
    static class UserPool {

        final ConnectionPool pool = ConnectionPool.builder().name("mine").build();

        @Bean(destroyMethod = "close")
        ConnectionPool myPool() {
            return pool;
        }
    }
}
