package io.conpool.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLContext;

import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.HealthCheck;
import io.conpool.HealthChecks;
import io.conpool.InvalidConfigException;
import io.conpool.InvalidEndpointException;
import io.conpool.PoolConfig;
import io.conpool.Tls;
import io.conpool.autoconfigure.ConpoolProperties.CircuitBreaker;
import io.conpool.autoconfigure.ConpoolProperties.EndpointProperties;
import io.conpool.autoconfigure.ConpoolProperties.EndpointTls;

import org.springframework.boot.ssl.NoSuchSslBundleException;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;

/**
 * Turns {@link ConpoolProperties} into a configured {@link ConnectionPool.Builder}: pool-wide {@link PoolConfig},
 * named endpoints with their own {@link PoolConfig} (overrides applied to that endpoint only), TLS from Spring Boot
 * SSL bundles, health checks by name. Every problem is reported as an {@link InvalidConpoolPropertyException} naming
 * the {@code conpool.*} property, the value as written and where it was written.
 *
 * <p>Per-endpoint values that are not set inherit the pool-wide ones, with one adjustment: an inherited
 * {@code max-idle} is at most the endpoint's {@code max-connections}, and an inherited {@code min-idle} at most its
 * {@code max-idle}, so that {@code max-connections: 2} alone is a valid override. Values set explicitly are never
 * adjusted.
 */
final class ConpoolPropertiesMapper {

    /** Special health-check value that turns an inherited pool-wide health check off for one endpoint. */
    static final String NO_HEALTH_CHECK = "none";

    private static final Pattern ISO_DURATION = Pattern.compile("(?<![\\w-])-?P(?:\\d+D)?(?:T[-\\d.HMS]+)?(?![\\w-])");

    private static final Pattern BARE_NUMBER = Pattern.compile("[-+]?\\d+");

    private static final List<String> POOL_WIDE_DURATIONS = List.of("connection-timeout", "acquire-timeout",
            "max-idle-time", "max-connection-lifetime", "validation-interval", "connect-backoff",
            "health-check-timeout", "leak-detection-threshold", "shutdown-grace-period",
            "circuit-breaker.open-duration", "circuit-breaker.max-open-duration", "dns.ttl", "dns.negative-ttl",
            "health.error-window");

    private static final List<String> ENDPOINT_DURATIONS = List.of("connection-timeout", "acquire-timeout",
            "max-idle-time", "max-connection-lifetime", "validation-interval", "connect-backoff",
            "health-check-timeout", "leak-detection-threshold", "circuit-breaker.open-duration",
            "circuit-breaker.max-open-duration");

    private final ConpoolProperties properties;

    private final ConfiguredValues values;

    private final SslBundles sslBundles;

    private final Function<String, HealthCheck> healthCheckBeans;

    /** One SSLContext per bundle, so endpoints sharing a bundle share trust (Tls compares contexts by identity). */
    private final Map<String, SSLContext> contexts = new HashMap<>();

    /**
     * @param properties the bound properties
     * @param values the raw values, for messages and the bare-number check
     * @param sslBundles Spring Boot's SSL bundles, or {@code null} if there are none
     * @param healthCheckBeans looks up a {@link HealthCheck} bean by name; returns {@code null} if there is none
     */
    ConpoolPropertiesMapper(ConpoolProperties properties, ConfiguredValues values, SslBundles sslBundles,
            Function<String, HealthCheck> healthCheckBeans) {
        this.properties = properties;
        this.values = values;
        this.sslBundles = sslBundles;
        this.healthCheckBeans = healthCheckBeans;
    }

    /**
     * A builder with the pool name, DNS cache, pool-wide settings and every named endpoint.
     *
     * @throws InvalidConpoolPropertyException for the first bad property
     */
    ConnectionPool.Builder toBuilder() {
        checkDurationsHaveUnits();
        checkSpringSideSettings();
        Map<String, String> poolPaths = poolWidePaths();
        ConnectionPool.Builder builder = ConnectionPool.builder();
        PoolConfig defaults = inScope(poolPaths, () -> poolWideConfig());
        inScope(poolPaths, () -> builder.name(properties.getName())
            .config(defaults)
            .dnsCacheTtl(properties.getDns().getTtl())
            .dnsNegativeCacheTtl(properties.getDns().getNegativeTtl())
            .dnsCacheMaxSize(properties.getDns().getMaxSize()));
        Map<Endpoint, String> namesByEndpoint = new HashMap<>();
        properties.getEndpoints().forEach((name, endpoint) -> {
            Endpoint resolved = endpoint(name, endpoint);
            String previous = namesByEndpoint.putIfAbsent(resolved, name);
            if (previous != null) {
                throw fail(ConpoolPropertyNames.endpoint(name, "host"), endpoint.getHost(),
                        "together with port and TLS settings names the same endpoint as "
                                + ConpoolPropertyNames.ENDPOINTS + "." + previous + " (" + resolved
                                + "); an endpoint has one name");
            }
            Map<String, String> paths = new HashMap<>(poolPaths);
            PoolConfig config = inScope(paths, () -> endpointConfig(name, endpoint, defaults, paths));
            builder.endpoint(name, resolved, config);
        });
        return builder;
    }

    // ------------------------------------------------------------------ pool-wide

    private PoolConfig poolWideConfig() {
        ConpoolProperties p = properties;
        PoolConfig.Builder b = PoolConfig.builder()
            .maxConnectionsPerEndpoint(p.getMaxConnectionsPerEndpoint())
            .maxIdlePerEndpoint(p.getMaxIdlePerEndpoint())
            .minIdlePerEndpoint(p.getMinIdlePerEndpoint())
            .connectionTimeout(p.getConnectionTimeout())
            .acquireTimeout(p.getAcquireTimeout())
            .maxIdleTime(p.getMaxIdleTime())
            .maxConnectionLifetime(p.getMaxConnectionLifetime())
            .lifetimeJitter(p.getLifetimeJitter())
            .validationInterval(p.getValidationInterval())
            .connectAttempts(p.getConnectAttempts())
            .connectBackoff(p.getConnectBackoff())
            .healthCheckTimeout(p.getHealthCheckTimeout())
            .leakDetectionThreshold(p.getLeakDetectionThreshold());
        if (p.getMaxConnectionUses() != null) {
            b.maxConnectionUses(p.getMaxConnectionUses());
        }
        if (p.getMaxPendingAcquires() != null) {
            b.maxPendingAcquires(p.getMaxPendingAcquires());
        }
        String healthCheck = unlessBlank(p.getHealthCheck());
        if (healthCheck != null) {
            b.healthCheck(healthCheck(healthCheck, ConpoolPropertyNames.poolWide("health-check")));
        }
        applyCircuitBreaker(p.getCircuitBreaker(), b, null);
        return b.build();
    }

    private static Map<String, String> poolWidePaths() {
        Map<String, String> paths = new HashMap<>();
        ConpoolPropertyNames.poolWideSuffixes().forEach((field, suffix) -> paths.put(field,
                ConpoolPropertyNames.poolWide(suffix)));
        return paths;
    }

    private void checkSpringSideSettings() {
        Duration grace = properties.getShutdownGracePeriod();
        if (grace == null || grace.isNegative()) {
            throw fail(ConpoolPropertyNames.poolWide("shutdown-grace-period"), grace,
                    "must be zero (close leased connections at once) or positive");
        }
        int maxTagged = properties.getMetrics().getMaxTaggedEndpoints();
        if (maxTagged < 0) {
            throw fail(ConpoolPropertyNames.poolWide("metrics.max-tagged-endpoints"), maxTagged,
                    "must be 0 or more (named endpoints are always tagged)");
        }
        Duration window = properties.getHealth().getErrorWindow();
        if (window == null || window.isNegative() || window.isZero()) {
            throw fail(ConpoolPropertyNames.poolWide("health.error-window"), window, "must be positive");
        }
        String exhausted = properties.getHealth().getExhaustedStatus();
        if (exhausted == null || exhausted.isBlank()) {
            throw fail(ConpoolPropertyNames.poolWide("health.exhausted-status"), exhausted,
                    "must be a health status code such as UP, OUT_OF_SERVICE or DOWN");
        }
        List<String> protocols = properties.getTls().getProtocols();
        if (protocols != null && protocols.stream().anyMatch(s -> s == null || s.isBlank())) {
            throw fail(ConpoolPropertyNames.poolWide("tls.protocols"), protocols, "must not contain blank entries");
        }
        String bundle = unlessBlank(properties.getTls().getBundle());
        if (bundle != null) {
            sslContext(bundle, ConpoolPropertyNames.poolWide("tls.bundle"));
        }
    }

    private void checkDurationsHaveUnits() {
        for (String suffix : POOL_WIDE_DURATIONS) {
            checkHasUnit(ConpoolPropertyNames.poolWide(suffix));
        }
        for (String name : properties.getEndpoints().keySet()) {
            for (String suffix : ENDPOINT_DURATIONS) {
                checkHasUnit(ConpoolPropertyNames.endpoint(name, suffix));
            }
        }
    }

    private void checkHasUnit(String property) {
        Object raw = values.rawValue(property);
        if (raw != null && BARE_NUMBER.matcher(String.valueOf(raw).trim()).matches()) {
            throw fail(property, raw, "needs a unit, for example " + raw + "s or " + raw
                    + "ms (conpool does not read a bare number as milliseconds)");
        }
    }

    // ------------------------------------------------------------------ endpoints

    private Endpoint endpoint(String name, EndpointProperties e) {
        String hostPath = ConpoolPropertyNames.endpoint(name, "host");
        String portPath = ConpoolPropertyNames.endpoint(name, "port");
        if (e.getHost() == null || e.getHost().isBlank()) {
            throw fail(hostPath, e.getHost(), "must be set to a host name or IP address");
        }
        if (e.getPort() == null) {
            throw fail(portPath, null, "must be set");
        }
        if (e.getPort() < 1 || e.getPort() > 65535) {
            throw fail(portPath, e.getPort(), "must be between 1 and 65535");
        }
        Endpoint endpoint;
        try {
            endpoint = Endpoint.of(e.getHost(), e.getPort());
        }
        catch (InvalidEndpointException ex) {
            throw fail(hostPath, e.getHost(), ex.getMessage());
        }
        Tls tls = tls(name, e.getTls());
        return tls != null ? endpoint.withTls(tls) : endpoint;
    }

    private Tls tls(String name, EndpointTls t) {
        String ownBundle = unlessBlank(t.getBundle());
        String serverName = unlessBlank(t.getServerName());
        boolean enabled = t.getEnabled() != null ? t.getEnabled() : (ownBundle != null || serverName != null);
        if (!enabled) {
            checkTlsOff(name, "bundle", ownBundle);
            checkTlsOff(name, "server-name", serverName);
            checkTlsOff(name, "verify-hostname", t.getVerifyHostname());
            checkTlsOff(name, "protocols", t.getProtocols());
            return null;
        }
        Tls.Builder b = Tls.builder();
        String bundleName = ownBundle;
        String bundlePath = ConpoolPropertyNames.endpoint(name, "tls.bundle");
        if (bundleName == null) {
            bundleName = unlessBlank(properties.getTls().getBundle());
            bundlePath = ConpoolPropertyNames.poolWide("tls.bundle");
        }
        List<String> protocols = t.getProtocols();
        String protocolsPath = ConpoolPropertyNames.endpoint(name, "tls.protocols");
        if (protocols == null || protocols.isEmpty()) {
            protocols = properties.getTls().getProtocols();
            protocolsPath = ConpoolPropertyNames.poolWide("tls.protocols");
        }
        if (bundleName != null) {
            b.sslContext(sslContext(bundleName, bundlePath));
            if (protocols == null || protocols.isEmpty()) {
                String[] enabledProtocols = sslBundles.getBundle(bundleName).getOptions().getEnabledProtocols();
                if (enabledProtocols != null && enabledProtocols.length > 0) {
                    protocols = List.of(enabledProtocols);
                    protocolsPath = "spring.ssl.bundle.<type>." + bundleName + ".options.enabled-protocols";
                }
            }
        }
        boolean verifyHostname = t.getVerifyHostname() != null ? t.getVerifyHostname()
                : properties.getTls().isVerifyHostname();
        Map<String, String> paths = Map.of("tls.serverName", ConpoolPropertyNames.endpoint(name, "tls.server-name"),
                "tls.protocols", protocolsPath);
        List<String> offered = protocols;
        return inScope(paths, () -> {
            b.serverName(serverName).verifyHostname(verifyHostname);
            if (offered != null && !offered.isEmpty()) {
                if (offered.stream().anyMatch(s -> s == null || s.isBlank())) {
                    throw new InvalidConfigException("tls.protocols", offered, "must not contain blank entries");
                }
                b.protocols(List.copyOf(offered));
            }
            return b.build();
        });
    }

    private void checkTlsOff(String name, String suffix, Object value) {
        if (value != null) {
            throw fail(ConpoolPropertyNames.endpoint(name, "tls." + suffix), value,
                    "has no effect because TLS is off for this endpoint; set "
                            + ConpoolPropertyNames.endpoint(name, "tls.enabled") + "=true or remove it");
        }
    }

    private SSLContext sslContext(String bundleName, String path) {
        SSLContext context = contexts.get(bundleName);
        if (context != null) {
            return context;
        }
        if (sslBundles == null) {
            throw fail(path, bundleName, "names an SSL bundle, but no SSL bundles are configured (spring.ssl.bundle.*)");
        }
        SslBundle bundle;
        try {
            bundle = sslBundles.getBundle(bundleName);
        }
        catch (NoSuchSslBundleException ex) {
            throw fail(path, bundleName, "names no SSL bundle; configured bundles (spring.ssl.bundle.*): "
                    + sslBundles.getBundleNames());
        }
        try {
            context = bundle.createSslContext();
        }
        catch (RuntimeException ex) {
            throw fail(path, bundleName, "names an SSL bundle whose SSLContext cannot be created: " + ex.getMessage());
        }
        contexts.put(bundleName, context);
        return context;
    }

    private PoolConfig endpointConfig(String name, EndpointProperties e, PoolConfig defaults, Map<String, String> paths) {
        PoolConfig.Builder b = defaults.toBuilder();
        Map<String, String> own = ConpoolPropertyNames.perEndpointSuffixes();
        Overrides o = new Overrides(name, own, paths);
        int maxConnections = e.getMaxConnections() != null ? e.getMaxConnections() : defaults.maxConnectionsPerEndpoint();
        int maxIdle = e.getMaxIdle() != null ? e.getMaxIdle() : Math.min(defaults.maxIdlePerEndpoint(), maxConnections);
        int minIdle = e.getMinIdle() != null ? e.getMinIdle() : Math.min(defaults.minIdlePerEndpoint(), Math.max(maxIdle, 0));
        o.mark("maxConnectionsPerEndpoint", e.getMaxConnections());
        o.mark("maxIdlePerEndpoint", e.getMaxIdle());
        o.mark("minIdlePerEndpoint", e.getMinIdle());
        b.maxConnectionsPerEndpoint(maxConnections).maxIdlePerEndpoint(maxIdle).minIdlePerEndpoint(minIdle);
        o.apply("connectionTimeout", e.getConnectionTimeout(), b::connectionTimeout);
        o.apply("acquireTimeout", e.getAcquireTimeout(), b::acquireTimeout);
        o.apply("maxIdleTime", e.getMaxIdleTime(), b::maxIdleTime);
        o.apply("maxConnectionLifetime", e.getMaxConnectionLifetime(), b::maxConnectionLifetime);
        o.apply("lifetimeJitter", e.getLifetimeJitter(), b::lifetimeJitter);
        o.apply("maxConnectionUses", e.getMaxConnectionUses(), b::maxConnectionUses);
        o.apply("validationInterval", e.getValidationInterval(), b::validationInterval);
        o.apply("connectAttempts", e.getConnectAttempts(), b::connectAttempts);
        o.apply("connectBackoff", e.getConnectBackoff(), b::connectBackoff);
        o.apply("healthCheckTimeout", e.getHealthCheckTimeout(), b::healthCheckTimeout);
        o.apply("maxPendingAcquires", e.getMaxPendingAcquires(), b::maxPendingAcquires);
        o.apply("leakDetectionThreshold", e.getLeakDetectionThreshold(), b::leakDetectionThreshold);
        String healthCheck = unlessBlank(e.getHealthCheck());
        if (healthCheck != null) {
            o.mark("healthCheck", healthCheck);
            b.healthCheck(healthCheck(healthCheck, ConpoolPropertyNames.endpoint(name, "health-check")));
        }
        applyCircuitBreaker(e.getCircuitBreaker(), b, o);
        return b.build();
    }

    private static void applyCircuitBreaker(CircuitBreaker cb, PoolConfig.Builder b, Overrides o) {
        Overrides overrides = o != null ? o : Overrides.NONE;
        overrides.apply("circuitBreakerEnabled", cb.getEnabled(), b::circuitBreakerEnabled);
        overrides.apply("circuitBreakerFailureThreshold", cb.getFailureThreshold(), b::circuitBreakerFailureThreshold);
        overrides.apply("circuitBreakerOpenDuration", cb.getOpenDuration(), b::circuitBreakerOpenDuration);
        overrides.apply("circuitBreakerMaxOpenDuration", cb.getMaxOpenDuration(), b::circuitBreakerMaxOpenDuration);
    }

    private HealthCheck healthCheck(String name, String path) {
        if (NO_HEALTH_CHECK.equals(name)) {
            return null;
        }
        HealthCheck check = HealthChecks.builtIn(name).orElseGet(() -> healthCheckBeans.apply(name));
        if (check == null) {
            throw fail(path, name, "names neither a built-in health check " + HealthChecks.builtInNames()
                    + " nor a HealthCheck bean");
        }
        return check;
    }

    /**
     * Optional names (health check, SSL bundle, server name) left empty, as in {@code health-check:} with nothing
     * after it in YAML, mean "not set", like leaving the key out.
     */
    private static String unlessBlank(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

    // ------------------------------------------------------------------ errors

    /** Runs building code and turns the core's complaints about its fields into complaints about properties. */
    private <T> T inScope(Map<String, String> paths, java.util.function.Supplier<T> work) {
        try {
            return work.get();
        }
        catch (InvalidConpoolPropertyException ex) {
            throw ex;
        }
        catch (InvalidConfigException ex) {
            throw translate(ex, paths);
        }
    }

    private InvalidConpoolPropertyException translate(InvalidConfigException ex, Map<String, String> paths) {
        String field = ex.property();
        String path = paths.getOrDefault(field, ConpoolPropertyNames.poolWide(field));
        String message = ex.getMessage();
        String prefix = field + " (" + ex.value() + ") ";
        String reason = message.startsWith(prefix) ? message.substring(prefix.length()) : message;
        List<Map.Entry<String, String>> byLength = new ArrayList<>(paths.entrySet());
        byLength.sort(Comparator.comparingInt((Map.Entry<String, String> en) -> en.getKey().length()).reversed());
        for (Map.Entry<String, String> en : byLength) {
            reason = reason.replaceAll("(?<![\\w.-])" + Pattern.quote(en.getKey()) + "(?![\\w-])",
                    Matcher.quoteReplacement(en.getValue()));
        }
        return fail(path, ex.value(), readableDurations(reason));
    }

    /** The core prints durations in ISO-8601 ({@code PT20S}); the user wrote {@code 20s}. */
    private static String readableDurations(String text) {
        Matcher m = ISO_DURATION.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String replacement;
            try {
                replacement = DurationFormat.format(Duration.parse(m.group()));
            }
            catch (RuntimeException ex) {
                replacement = m.group();
            }
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }

    private InvalidConpoolPropertyException fail(String property, Object boundValue, String reason) {
        Object raw = values.rawValue(property);
        Object shown = raw != null ? raw
                : boundValue instanceof Duration ? DurationFormat.format((Duration) boundValue) : boundValue;
        return new InvalidConpoolPropertyException(property, shown, reason, values.origin(property));
    }

    /**
     * Applies one endpoint's overrides and records, for each core field, which property its value came from (the
     * endpoint's own, or the pool-wide one it inherited).
     */
    private static final class Overrides {

        static final Overrides NONE = new Overrides(null, Map.of(), new LinkedHashMap<>());

        private final String endpointName;

        private final Map<String, String> suffixes;

        private final Map<String, String> paths;

        Overrides(String endpointName, Map<String, String> suffixes, Map<String, String> paths) {
            this.endpointName = endpointName;
            this.suffixes = suffixes;
            this.paths = paths;
        }

        void mark(String field, Object value) {
            if (value != null && endpointName != null) {
                paths.put(field, ConpoolPropertyNames.endpoint(endpointName, suffixes.get(field)));
            }
        }

        <T> void apply(String field, T value, Consumer<T> setter) {
            if (value != null) {
                mark(field, value);
                setter.accept(value);
            }
        }
    }
}
