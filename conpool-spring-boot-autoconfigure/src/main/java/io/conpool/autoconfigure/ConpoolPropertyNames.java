package io.conpool.autoconfigure;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code conpool.*} property behind each setting of the core ({@link io.conpool.PoolConfig} fields and
 * {@link io.conpool.ConnectionPool.Builder} options), so that an error the core reports about
 * {@code maxIdlePerEndpoint} reaches the user as {@code conpool.endpoints.cache.max-idle}.
 */
final class ConpoolPropertyNames {

    static final String PREFIX = "conpool";

    static final String ENDPOINTS = PREFIX + ".endpoints";

    /** Core field name to pool-wide property suffix (after {@code conpool.}). */
    private static final Map<String, String> POOL_WIDE = new LinkedHashMap<>();

    /** Core field name to per-endpoint property suffix (after {@code conpool.endpoints.<name>.}). */
    private static final Map<String, String> PER_ENDPOINT = new LinkedHashMap<>();

    static {
        both("maxConnectionsPerEndpoint", "max-connections-per-endpoint", "max-connections");
        both("maxIdlePerEndpoint", "max-idle-per-endpoint", "max-idle");
        both("minIdlePerEndpoint", "min-idle-per-endpoint", "min-idle");
        same("connectionTimeout", "connection-timeout");
        same("acquireTimeout", "acquire-timeout");
        same("maxIdleTime", "max-idle-time");
        same("maxConnectionLifetime", "max-connection-lifetime");
        same("lifetimeJitter", "lifetime-jitter");
        same("maxConnectionUses", "max-connection-uses");
        same("validationInterval", "validation-interval");
        same("connectAttempts", "connect-attempts");
        same("connectBackoff", "connect-backoff");
        same("healthCheck", "health-check");
        same("healthCheckTimeout", "health-check-timeout");
        same("maxPendingAcquires", "max-pending-acquires");
        same("leakDetectionThreshold", "leak-detection-threshold");
        same("circuitBreakerEnabled", "circuit-breaker.enabled");
        same("circuitBreakerFailureThreshold", "circuit-breaker.failure-threshold");
        same("circuitBreakerOpenDuration", "circuit-breaker.open-duration");
        same("circuitBreakerMaxOpenDuration", "circuit-breaker.max-open-duration");
        POOL_WIDE.put("name", "name");
        POOL_WIDE.put("dnsCacheTtl", "dns.ttl");
        POOL_WIDE.put("dnsNegativeCacheTtl", "dns.negative-ttl");
        POOL_WIDE.put("dnsCacheMaxSize", "dns.max-size");
        PER_ENDPOINT.put("tls.serverName", "tls.server-name");
        PER_ENDPOINT.put("tls.protocols", "tls.protocols");
    }

    private ConpoolPropertyNames() {
    }

    private static void both(String field, String poolWide, String perEndpoint) {
        POOL_WIDE.put(field, poolWide);
        PER_ENDPOINT.put(field, perEndpoint);
    }

    private static void same(String field, String suffix) {
        both(field, suffix, suffix);
    }

    /** Core fields that map to properties, pool-wide scope. */
    static Map<String, String> poolWideSuffixes() {
        return POOL_WIDE;
    }

    /** Core fields that map to properties, per-endpoint scope. */
    static Map<String, String> perEndpointSuffixes() {
        return PER_ENDPOINT;
    }

    /** {@code conpool.<suffix>}. */
    static String poolWide(String suffix) {
        return PREFIX + "." + suffix;
    }

    /** {@code conpool.endpoints.<name>.<suffix>}. */
    static String endpoint(String endpointName, String suffix) {
        return ENDPOINTS + "." + endpointName + "." + suffix;
    }
}
