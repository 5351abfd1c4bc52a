package io.conpool.autoconfigure.metrics;

import io.conpool.ConnectionPool;
import io.conpool.autoconfigure.ConpoolAutoConfiguration;
import io.conpool.autoconfigure.ConpoolProperties;
import io.conpool.autoconfigure.InvalidConpoolPropertyException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * Micrometer meters for the pool (see {@link ConpoolMetrics} for names and tags). Backs off without Micrometer,
 * without a {@link ConnectionPool} bean, or with {@code conpool.metrics.enabled=false}. Boot binds the
 * {@link MeterBinder} to its registry once that exists.
 *
 * <p>The timers come from a listener registered on the auto-configured pool; a pool the application builds itself
 * gets the gauges and counters, and the timers too if it adds the {@link ConpoolMetrics} bean as a listener.
 */
@AutoConfiguration(after = { ConpoolAutoConfiguration.class, MetricsAutoConfiguration.class })
@ConditionalOnClass({ MeterRegistry.class, MeterBinder.class })
@ConditionalOnBean(ConnectionPool.class)
@ConditionalOnBooleanProperty(name = "conpool.metrics.enabled", matchIfMissing = true)
public final class ConpoolMetricsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    ConpoolMetrics conpoolMetrics(ObjectProvider<ConpoolProperties> properties) {
        int maxTagged = properties.getIfAvailable(ConpoolProperties::new).getMetrics().getMaxTaggedEndpoints();
        if (maxTagged < 0) {
            throw new InvalidConpoolPropertyException("conpool.metrics.max-tagged-endpoints", maxTagged,
                    "must be 0 or more (named endpoints are always tagged)", null);
        }
        return new ConpoolMetrics(maxTagged);
    }

    @Bean
    @ConditionalOnMissingBean
    ConpoolMeterBinder conpoolMeterBinder(ConnectionPool pool, ConpoolMetrics metrics,
            ObjectProvider<ConpoolProperties> properties) {
        return new ConpoolMeterBinder(pool, metrics, properties.getIfAvailable(ConpoolProperties::new).poolName());
    }
}
