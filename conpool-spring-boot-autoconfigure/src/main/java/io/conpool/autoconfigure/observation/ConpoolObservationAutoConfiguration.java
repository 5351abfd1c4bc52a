package io.conpool.autoconfigure.observation;

import io.conpool.ConnectionPool;
import io.conpool.ConnectionPoolObserver;
import io.conpool.autoconfigure.ConpoolAutoConfiguration;
import io.conpool.autoconfigure.ConpoolProperties;
import io.micrometer.observation.ObservationRegistry;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * Micrometer Observations of the pool's work ({@link ConpoolObservations}), when the application has an
 * {@link ObservationRegistry} bean (Boot makes one with {@code spring-boot-starter-actuator}) and the auto-configured
 * pool: the observer bean is registered on the pool like every {@link ConnectionPoolObserver} bean. Backs off
 * without Micrometer Observation on the class path, without a registry, or with
 * {@code conpool.observations.enabled=false}; the pool then has no observer and pays nothing for it.
 */
@AutoConfiguration(after = { ConpoolAutoConfiguration.class, ObservationAutoConfiguration.class })
@ConditionalOnClass(ObservationRegistry.class)
@ConditionalOnBean({ ConnectionPool.class, ObservationRegistry.class })
@ConditionalOnBooleanProperty(name = "conpool.observations.enabled", matchIfMissing = true)
public final class ConpoolObservationAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    ConpoolObservations conpoolObservations(ObservationRegistry registry, ObjectProvider<ConpoolProperties> properties,
            ObjectProvider<ConpoolObservationConvention> convention) {
        return new ConpoolObservations(registry, properties.getIfAvailable(ConpoolProperties::new).poolName(),
                convention.getIfUnique());
    }
}
