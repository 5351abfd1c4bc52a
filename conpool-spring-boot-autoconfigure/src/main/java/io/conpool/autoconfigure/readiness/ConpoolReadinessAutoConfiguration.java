package io.conpool.autoconfigure.readiness;

import java.time.Duration;

import io.conpool.ConnectionPool;
import io.conpool.autoconfigure.ConpoolAutoConfiguration;
import io.conpool.autoconfigure.ConpoolProperties;
import io.conpool.autoconfigure.InvalidConpoolPropertyException;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;

/**
 * With {@code conpool.warm-up.hold-readiness=true}, the application is not ready until the pool's named endpoints are
 * warm, or {@code conpool.warm-up.timeout} has passed (see {@link WarmUpReadiness}). Needs a {@link ConnectionPool}
 * bean (the auto-configured one or the application's) and Spring Boot's {@link ApplicationAvailability}.
 */
@AutoConfiguration(after = { ConpoolAutoConfiguration.class, ApplicationAvailabilityAutoConfiguration.class })
@ConditionalOnBooleanProperty("conpool.warm-up.hold-readiness")
@ConditionalOnBean({ ConnectionPool.class, ApplicationAvailability.class })
public final class ConpoolReadinessAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    WarmUpReadiness conpoolWarmUpReadiness(ConnectionPool pool, ApplicationAvailability availability,
            ApplicationEventPublisher publisher, ObjectProvider<ConpoolProperties> properties) {
        Duration timeout = properties.getIfAvailable(ConpoolProperties::new).getWarmUp().getTimeout();
        // Checked here too: with an application's own pool, the auto-configured pool's checks do not run.
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new InvalidConpoolPropertyException("conpool.warm-up.timeout", timeout,
                    "must be positive (readiness is never held without a time limit)", null);
        }
        return new WarmUpReadiness(pool, availability, publisher, timeout);
    }
}
