package io.conpool.autoconfigure;

import io.conpool.ConnectionPool;
import io.conpool.ConnectionPoolListener;
import io.conpool.ConnectionPoolObserver;
import io.conpool.HealthCheck;
import io.conpool.ProtocolHandler;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Auto-configures one {@link ConnectionPool} from {@code conpool.*} unless the application defines its own, and
 * closes it gracefully with the context. {@code conpool.enabled=false} turns it off.
 *
 * <p>{@code health-check} and {@code protocol} may name a {@link HealthCheck} or {@link ProtocolHandler} bean.
 * <p>Every {@link ConnectionPoolListener} bean (including the ones the metrics and health auto-configurations
 * contribute) and every {@link ConnectionPoolObserver} bean (the observation auto-configuration's) is registered on
 * the pool, and every {@link ConnectionPoolBuilderCustomizer} is applied last.
 *
 * <p>Endpoints whose TLS comes from a Spring Boot SSL bundle follow its reloads
 * ({@code spring.ssl.bundle.<type>.<name>.reload-on-update=true}): new connections use the new certificates, and the
 * old connections close (idle ones at once, leased ones when returned). See {@link SslBundleTlsMaterial}.
 *
 * <p>Named endpoints with a {@code min-idle} are warmed in the background as soon as the pool is built, by the
 * pool's maintenance worker; the first sweep of idle connections comes one {@code validation-interval} later.
 * Start-up does not wait for either: a backend that is down must not keep the application from starting (its
 * failures show in the stats, metrics and health instead). Readiness may wait for the warming, within a time limit:
 * see {@code conpool.warm-up.hold-readiness} and
 * {@link io.conpool.autoconfigure.readiness.ConpoolReadinessAutoConfiguration}.
 */
@AutoConfiguration(after = SslAutoConfiguration.class)
@Conditional(OnConpoolEnabledCondition.class)
@EnableConfigurationProperties(ConpoolProperties.class)
public final class ConpoolAutoConfiguration {

    /** The pool and its closer, both backing off together when the application defines a ConnectionPool. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnMissingBean(ConnectionPool.class)
    static class ConnectionPoolConfiguration {

        @Bean
        ConnectionPoolShutdown conpoolShutdown(ConpoolProperties properties) {
            return new ConnectionPoolShutdown(properties.getShutdownGracePeriod());
        }

        /** Closed by {@link ConnectionPoolShutdown} (with the grace period), not by the inferred close(). */
        @Bean(destroyMethod = "")
        ConnectionPool connectionPool(ConpoolProperties properties, Environment environment,
                ObjectProvider<SslBundles> sslBundles, ConfigurableListableBeanFactory beanFactory,
                ObjectProvider<ConnectionPoolListener> listeners, ObjectProvider<ConnectionPoolObserver> observers,
                ObjectProvider<ConnectionPoolBuilderCustomizer> customizers, ConnectionPoolShutdown shutdown) {
            SslBundles bundles = sslBundles.getIfAvailable();
            ConpoolPropertiesMapper mapper = new ConpoolPropertiesMapper(properties, ConfiguredValues.of(environment),
                    bundles, name -> bean(beanFactory, name, HealthCheck.class),
                    name -> bean(beanFactory, name, ProtocolHandler.class));
            ConnectionPool.Builder builder = mapper.toBuilder();
            listeners.orderedStream().forEach(builder::listener);
            observers.orderedStream().forEach(builder::observer);
            customizers.orderedStream().forEach(customizer -> customizer.customize(builder));
            ConnectionPool pool = builder.build();
            shutdown.manage(pool);
            for (SslBundleTlsMaterial material : mapper.bundleMaterials()) {
                material.followUpdates(bundles, pool); // a reloaded bundle (rotated certificates) drains the pool
            }
            return pool;
        }

        /** The bean of that name if it is of that type, else {@code null}. */
        private static <T> T bean(BeanFactory beanFactory, String name, Class<T> type) {
            if (!beanFactory.containsBean(name) || !beanFactory.isTypeMatch(name, type)) {
                return null;
            }
            return beanFactory.getBean(name, type);
        }
    }
}
