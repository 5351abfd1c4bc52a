package io.conpool.demo.backend;

import java.io.IOException;
import java.net.InetAddress;
import java.util.Map;

import io.conpool.ConnectionPool;
import io.conpool.autoconfigure.ConpoolProperties;

import org.springframework.boot.autoconfigure.AbstractDependsOnBeanFactoryPostProcessor;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Starts the embedded RESP backend (unless {@code demo.backend.embedded=false}) before the pool is configured, and
 * publishes where it listens as {@code demo.backend.bound-host} and {@code demo.backend.bound-port}; the demo's
 * {@code application.yml} points {@code conpool.endpoints.cache} at those.
 *
 * <p>Order matters: the port may be chosen by the kernel, so it is known only once the server is bound, and
 * {@code conpool.*} must be bound after that. Both the {@link ConpoolProperties} and the {@link ConnectionPool} bean
 * are therefore declared to depend on the server. The same dependency makes Spring stop the server after the
 * pool has been closed.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnBooleanProperty(name = "demo.backend.embedded", matchIfMissing = true)
public class EmbeddedBackendConfiguration {

    /** Name of the property source holding {@code demo.backend.bound-host} and {@code demo.backend.bound-port}. */
    public static final String PROPERTY_SOURCE_NAME = "demoEmbeddedBackend";

    @Bean(destroyMethod = "close")
    EmbeddedRespServer embeddedRespServer(DemoBackendProperties properties, ConfigurableEnvironment environment)
            throws IOException {
        properties.validate();
        InetAddress address = InetAddress.getByName(properties.getBindAddress());
        EmbeddedRespServer server = new EmbeddedRespServer(address, properties.getPort(), properties.getMaxClients(),
                properties.getMaxKeys(), properties.getMaxValueBytes());
        server.start();
        environment.getPropertySources().addFirst(new MapPropertySource(PROPERTY_SOURCE_NAME, Map.of(
                "demo.backend.bound-host", address.getHostAddress(),
                "demo.backend.bound-port", server.port())));
        return server;
    }

    @Bean
    static PropertiesDependOnEmbeddedBackend conpoolPropertiesDependOnEmbeddedBackend() {
        return new PropertiesDependOnEmbeddedBackend();
    }

    @Bean
    static PoolDependsOnEmbeddedBackend connectionPoolDependsOnEmbeddedBackend() {
        return new PoolDependsOnEmbeddedBackend();
    }

    /** {@code conpool.*} is bound only once the backend's port is published. */
    static final class PropertiesDependOnEmbeddedBackend extends AbstractDependsOnBeanFactoryPostProcessor {

        PropertiesDependOnEmbeddedBackend() {
            super(ConpoolProperties.class, EmbeddedRespServer.class);
        }
    }

    /** The pool is built after, and closed before, the backend it points at. */
    static final class PoolDependsOnEmbeddedBackend extends AbstractDependsOnBeanFactoryPostProcessor {

        PoolDependsOnEmbeddedBackend() {
            super(ConnectionPool.class, EmbeddedRespServer.class);
        }
    }
}
