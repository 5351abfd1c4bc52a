package io.conpool.autoconfigure.health;

import java.util.LinkedHashMap;
import java.util.Map;

import io.conpool.ConnectionPool;
import io.conpool.autoconfigure.ConpoolAutoConfiguration;
import io.conpool.autoconfigure.ConpoolProperties;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.annotation.Bean;

/**
 * Contributes the {@code conpool} health entry: one component per named endpoint (see
 * {@link EndpointHealthIndicator}). Backs off without spring-boot-health, without a {@link ConnectionPool} bean,
 * when {@code management.health.conpool.enabled=false}, or when the application defines its own
 * {@code conpoolHealthContributor}.
 *
 * <p>"Recent connect failures" come from a listener registered on the auto-configured pool; a pool the application
 * builds itself gets the other rules (circuit breaker, exhaustion) unless it registers the
 * {@link ConnectOutcomes} bean as a listener.
 */
@AutoConfiguration(after = ConpoolAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(ConnectionPool.class)
@ConditionalOnEnabledHealthIndicator("conpool")
public final class ConpoolHealthAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    ConnectOutcomes conpoolConnectOutcomes() {
        return new ConnectOutcomes();
    }

    @Bean
    @ConditionalOnMissingBean(name = "conpoolHealthContributor")
    HealthContributor conpoolHealthContributor(ConnectionPool pool, ConnectOutcomes outcomes,
            org.springframework.beans.factory.ObjectProvider<ConpoolProperties> properties) {
        ConpoolProperties.Health settings = properties.getIfAvailable(ConpoolProperties::new).getHealth();
        Status exhaustedStatus = new Status(settings.getExhaustedStatus().trim().toUpperCase(java.util.Locale.ROOT));
        if (pool.namedEndpoints().isEmpty()) {
            return (HealthIndicator) () -> Health.up().withDetail("namedEndpoints", 0).build();
        }
        Map<String, HealthContributor> perEndpoint = new LinkedHashMap<>();
        pool.namedEndpoints().forEach((name, endpoint) -> perEndpoint.put(name,
                new EndpointHealthIndicator(pool, endpoint, outcomes, settings.getErrorWindow(), exhaustedStatus)));
        return CompositeHealthContributor.fromMap(perEndpoint);
    }
}
