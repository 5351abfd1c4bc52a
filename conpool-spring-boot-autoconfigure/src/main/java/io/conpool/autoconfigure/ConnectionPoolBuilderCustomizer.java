package io.conpool.autoconfigure;

import io.conpool.ConnectionPool;

/**
 * Callback to adjust the auto-configured {@link ConnectionPool.Builder} after {@code conpool.*} has been applied and
 * before the pool is built: a custom {@link io.conpool.Resolver}, more endpoints, a {@link io.conpool.Ticker} in
 * tests. Beans of this type are applied in {@link org.springframework.core.Ordered order}.
 */
@FunctionalInterface
public interface ConnectionPoolBuilderCustomizer {

    void customize(ConnectionPool.Builder builder);
}
