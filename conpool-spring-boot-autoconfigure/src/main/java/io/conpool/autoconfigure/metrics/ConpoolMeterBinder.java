package io.conpool.autoconfigure.metrics;

import io.conpool.ConnectionPool;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Binds {@link ConpoolMetrics}, which was registered on the pool as a listener when the pool was built, to the
 * meter registry Spring Boot configures later. Kept apart from {@link ConpoolMetrics} because the listener must exist
 * before the pool and the binder needs the pool: one object for both would be a dependency cycle.
 */
public class ConpoolMeterBinder implements MeterBinder {

    private final ConnectionPool pool;

    private final ConpoolMetrics metrics;

    private final String poolName;

    public ConpoolMeterBinder(ConnectionPool pool, ConpoolMetrics metrics, String poolName) {
        this.pool = pool;
        this.metrics = metrics;
        this.poolName = poolName;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        metrics.bindTo(registry, pool, poolName);
    }
}
