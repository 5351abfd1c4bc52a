package io.conpool.autoconfigure.endpoint;

import io.conpool.ConnectionPool;
import io.conpool.HealthCheck;
import io.conpool.ProtocolHandler;
import io.conpool.autoconfigure.ConpoolAutoConfiguration;
import io.conpool.autoconfigure.ConpoolProperties;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * The {@code conpool} actuator endpoint ({@link ConpoolEndpoint}) and its web extension. Backs off without the
 * actuator, without a {@link ConnectionPool} bean, and when the endpoint is neither accessible nor exposed
 * ({@code management.endpoint.conpool.access=none}, or exposed over no technology).
 */
@AutoConfiguration(after = ConpoolAutoConfiguration.class)
@ConditionalOnClass({ Endpoint.class, ConditionalOnAvailableEndpoint.class })
@ConditionalOnBean(ConnectionPool.class)
@ConditionalOnAvailableEndpoint(ConpoolEndpoint.class)
public final class ConpoolEndpointAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    ConpoolEndpoint conpoolEndpoint(ConnectionPool pool, ObjectProvider<ConpoolProperties> properties,
            ListableBeanFactory beanFactory) {
        String poolName = properties.getIfAvailable(ConpoolProperties::new).poolName();
        return new ConpoolEndpoint(pool, poolName, beanFactory.getBeansOfType(HealthCheck.class, false, false),
                beanFactory.getBeansOfType(ProtocolHandler.class, false, false));
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(ConpoolEndpoint.class)
    ConpoolEndpointWebExtension conpoolEndpointWebExtension(ConpoolEndpoint endpoint) {
        return new ConpoolEndpointWebExtension(endpoint);
    }
}
