package io.conpool.autoconfigure;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;

import javax.net.ssl.SSLContext;

import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.HealthCheck;
import io.conpool.HealthChecks;
import io.conpool.InvalidConfigException;
import io.conpool.InvalidEndpointException;
import io.conpool.PoolConfig;
import io.conpool.ProtocolHandler;
import io.conpool.RedisProtocol;
import io.conpool.Tls;
import io.conpool.autoconfigure.ConpoolProperties.Dns;
import io.conpool.autoconfigure.ConpoolProperties.EndpointProperties;
import io.conpool.autoconfigure.ConpoolProperties.EndpointTls;
import io.conpool.autoconfigure.CoreSettings.Leaf;

import org.springframework.boot.ssl.NoSuchSslBundleException;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;

/**
 * Turns {@link ConpoolProperties} into a configured {@link ConnectionPool.Builder}: pool-wide {@link PoolConfig},
 * named endpoints with their own {@link PoolConfig} (overrides applied to that endpoint only), TLS from Spring Boot
 * SSL bundles, health checks by name. Every problem is reported as an {@link InvalidConpoolPropertyException} naming
 * the {@code conpool.*} property, the value as written and where it was written.
 *
 * <p>The limits and timeouts go through {@link CoreSettings} (one mapping for the pool-wide defaults and every
 * endpoint); what the core rejects comes back as an {@link InvalidConfigException} naming its setting, which is
 * mapped back to the property that supplied the value: the endpoint's own, or the pool-wide one it inherited.
 *
 * <p>Per-endpoint values that are not set inherit the pool-wide ones, with one adjustment: an inherited
 * {@code max-idle} is at most the endpoint's {@code max-connections}, and an inherited {@code min-idle} at most its
 * {@code max-idle}, so that {@code max-connections: 2} alone is a valid override. Values set explicitly are never
 * adjusted.
 */
final class ConpoolPropertiesMapper {

    /** Special health-check value that turns an inherited pool-wide health check off for one endpoint. */
    static final String NO_HEALTH_CHECK = "none";

    /** Special protocol value that turns an inherited pool-wide protocol off for one endpoint. */
    static final String NO_PROTOCOL = "none";

    static final String PREFIX = "conpool";

    static final String ENDPOINTS = PREFIX + ".endpoints";

    private static final Consumer<PoolConfig.Builder> NO_ADJUSTMENT = builder -> {
    };

    private static final Pattern BARE_NUMBER = Pattern.compile("[-+]?\\d+");

    private final ConpoolProperties properties;

    private final ConfiguredValues values;

    private final SslBundles sslBundles;

    private final Function<String, HealthCheck> healthCheckBeans;

    private final Function<String, ProtocolHandler<?>> protocolHandlerBeans;

    /**
     * One material per bundle, so endpoints sharing a bundle share trust (Tls compares its source by identity), and
     * a bundle reload reaches all of them.
     */
    private final Map<String, SslBundleTlsMaterial> materials = new LinkedHashMap<>();

    /**
     * @param properties the bound properties
     * @param values the raw values, for messages and the bare-number check
     * @param sslBundles Spring Boot's SSL bundles, or {@code null} if there are none
     * @param healthCheckBeans looks up a {@link HealthCheck} bean by name; returns {@code null} if there is none
     * @param protocolHandlerBeans looks up a {@link ProtocolHandler} bean by name; returns {@code null} if there is
     *        none
     */
    ConpoolPropertiesMapper(ConpoolProperties properties, ConfiguredValues values, SslBundles sslBundles,
            Function<String, HealthCheck> healthCheckBeans, Function<String, ProtocolHandler<?>> protocolHandlerBeans) {
        this.properties = properties;
        this.values = values;
        this.sslBundles = sslBundles;
        this.healthCheckBeans = healthCheckBeans;
        this.protocolHandlerBeans = protocolHandlerBeans;
    }

    /**
     * A builder with the pool name, DNS cache, pool-wide settings and every named endpoint.
     *
     * @throws InvalidConpoolPropertyException for the first bad property
     */
    ConnectionPool.Builder toBuilder() {
        checkDurationsHaveUnits();
        checkSpringSideSettings();
        // Every core setting, until an endpoint sets its own, is named by the pool-wide property it comes from.
        Map<String, String> poolWideNames = CoreSettings.propertyNames(ConpoolProperties.class, PREFIX);
        PoolConfig defaults = config(PoolConfig.builder(), properties, PREFIX, new HashMap<>(poolWideNames),
                NO_ADJUSTMENT);
        ConnectionPool.Builder builder = ConnectionPool.builder().config(defaults);
        set(property("name"), properties.getName(), builder::name);
        Dns dns = properties.getDns();
        set(property("dns.ttl"), dns.getTtl(), builder::dnsCacheTtl);
        set(property("dns.negative-ttl"), dns.getNegativeTtl(), builder::dnsNegativeCacheTtl);
        set(property("dns.max-size"), dns.getMaxSize(), builder::dnsCacheMaxSize);
        set(property("max-total-connections"), properties.getMaxTotalConnections(), builder::maxTotalConnections);
        set(property("forget-unused-endpoints-after"), properties.getForgetUnusedEndpointsAfter(),
                builder::forgetUnusedEndpointsAfter);
        set(property("jmx.enabled"), properties.getJmx().getEnabled(), builder::jmxEnabled);
        Map<Endpoint, String> namesByEndpoint = new HashMap<>();
        properties.getEndpoints().forEach((name, e) -> {
            Endpoint endpoint = endpoint(name, e);
            String previous = namesByEndpoint.putIfAbsent(endpoint, name);
            if (previous != null) {
                throw fail(endpointProperty(name, "host"), e.getHost(),
                        "together with port and TLS settings names the same endpoint as " + ENDPOINTS + "."
                                + previous + " (" + endpoint + "); an endpoint has one name");
            }
            PoolConfig config = config(defaults.toBuilder(), e, ENDPOINTS + "." + name, new HashMap<>(poolWideNames),
                    b -> {
                        inheritIdleLimits(e, defaults, b);
                        redisOverrides(name, e, b);
                    });
            builder.endpoint(name, endpoint, config);
        });
        checkPoolWideRedisUsed(usesRedisAnywhere());
        return builder;
    }

    // ------------------------------------------------------------------ limits and timeouts

    /**
     * Applies the configured settings onto the builder and builds, naming the property behind any value the core
     * rejects.
     *
     * @param names core name to property name: the pool-wide names, replaced as the settings are applied
     * @param adjust last changes before building
     */
    private PoolConfig config(PoolConfig.Builder builder, EndpointSettings settings, String prefix,
            Map<String, String> names, Consumer<PoolConfig.Builder> adjust) {
        try {
            CoreSettings.apply(settings, prefix, builder, names,
                    (type, property, name) -> type == HealthCheck.class ? healthCheck(property, name)
                            : protocolHandler(property, name, settings, prefix));
            adjust.accept(builder);
            return builder.build();
        }
        catch (InvalidConpoolPropertyException ex) {
            throw ex;
        }
        catch (InvalidConfigException ex) {
            String property = names.getOrDefault(ex.property(), property(ex.property()));
            String reason = ex.reason(field -> names.getOrDefault(field, field), ConpoolPropertiesMapper::shown);
            throw fail(property, ex.value(), reason, ex);
        }
    }

    /**
     * An inherited max-idle follows a smaller max-connections of the endpoint, an inherited min-idle a smaller
     * max-idle (the README's rule), so that {@code max-connections: 2} alone is a valid override.
     */
    private static void inheritIdleLimits(EndpointProperties e, PoolConfig defaults, PoolConfig.Builder b) {
        int maxConnections = e.getMaxConnections() != null ? e.getMaxConnections() : defaults.maxConnectionsPerEndpoint();
        int maxIdle = e.getMaxIdle() != null ? e.getMaxIdle() : Math.min(defaults.maxIdlePerEndpoint(), maxConnections);
        if (e.getMaxIdle() == null) {
            b.maxIdlePerEndpoint(maxIdle);
        }
        if (e.getMinIdle() == null) {
            b.minIdlePerEndpoint(Math.min(defaults.minIdlePerEndpoint(), Math.max(maxIdle, 0)));
        }
    }

    private HealthCheck healthCheck(String property, String name) {
        if (NO_HEALTH_CHECK.equals(name)) {
            return null;
        }
        HealthCheck check = HealthChecks.builtIn(name).orElseGet(() -> healthCheckBeans.apply(name));
        if (check == null) {
            throw fail(property, name, "names neither a built-in health check " + HealthChecks.builtInNames()
                    + " nor a HealthCheck bean");
        }
        return check;
    }

    private ProtocolHandler<?> protocolHandler(String property, String name, EndpointSettings settings, String prefix) {
        if (NO_PROTOCOL.equals(name)) {
            return null;
        }
        if (RedisProtocol.NAME.equals(name)) {
            return redis(settings, prefix);
        }
        ProtocolHandler<?> handler = protocolHandlerBeans.apply(name);
        if (handler == null) {
            throw fail(property, name, "names neither the built-in protocol '" + RedisProtocol.NAME
                    + "' nor a ProtocolHandler bean");
        }
        return handler;
    }

    // ------------------------------------------------------------------ the built-in redis protocol

    /**
     * A {@link RedisProtocol} from the {@code redis.*} of {@code settings}, each unset value taken from the pool-wide
     * {@code conpool.redis.*}. A rejected value is reported at the property it came from; the password is never quoted.
     */
    private RedisProtocol redis(EndpointSettings settings, String prefix) {
        EndpointSettings.Redis own = settings.getRedis();
        EndpointSettings.Redis poolWide = properties.getRedis();
        RedisProtocol.Builder b = RedisProtocol.builder();
        String username = unlessBlank(own.getUsername());
        String usernameAt = prefix + ".redis.username";
        if (username == null) {
            username = unlessBlank(poolWide.getUsername());
            usernameAt = property("redis.username");
        }
        String password = own.getPassword() != null && !own.getPassword().isEmpty() ? own.getPassword()
                : poolWide.getPassword() != null && !poolWide.getPassword().isEmpty() ? poolWide.getPassword() : null;
        Integer database = own.getDatabase() != null ? own.getDatabase() : poolWide.getDatabase();
        String databaseAt = (own.getDatabase() != null ? prefix : PREFIX) + ".redis.database";
        String clientName = unlessBlank(own.getClientName());
        String clientNameAt = prefix + ".redis.client-name";
        if (clientName == null) {
            clientName = unlessBlank(poolWide.getClientName());
            clientNameAt = property("redis.client-name");
        }
        Boolean reset = own.getResetOnRelease() != null ? own.getResetOnRelease() : poolWide.getResetOnRelease();
        b.password(password);
        set(databaseAt, database, b::database);
        set(clientNameAt, clientName, b::clientName);
        if (reset != null) {
            b.resetOnRelease(reset);
        }
        if (username != null) {
            if (password == null) {
                throw fail(usernameAt, username, "needs a password (" + prefix + ".redis.password): AUTH takes both");
            }
            b.username(username);
        }
        return b.build();
    }

    /**
     * An endpoint that sets {@code redis.*} of its own gets its own {@link RedisProtocol} when its protocol (its own or
     * the pool-wide one) is redis; otherwise those settings would be ignored, which is a mistake worth stopping for.
     */
    private void redisOverrides(String name, EndpointProperties e, PoolConfig.Builder b) {
        String firstSet = firstSetRedisKey(e.getRedis());
        if (firstSet == null && e.getRedis().getResetOnRelease() == null) {
            return;
        }
        String protocol = unlessBlank(e.getProtocol()) != null ? e.getProtocol().trim()
                : unlessBlank(properties.getProtocol());
        if (!RedisProtocol.NAME.equals(protocol)) {
            if (firstSet == null) {
                return;
            }
            throw failRedis(endpointProperty(name, "redis." + firstSet),
                    "has no effect because the endpoint's protocol is " + (protocol == null ? "not set" : "'" + protocol + "'")
                            + "; set " + endpointProperty(name, "protocol") + "=" + RedisProtocol.NAME + " or remove it");
        }
        b.protocolHandler(redis(e, ENDPOINTS + "." + name));
    }

    /** Whether the pool-wide protocol or any endpoint's own is redis. */
    private boolean usesRedisAnywhere() {
        if (RedisProtocol.NAME.equals(unlessBlank(properties.getProtocol()))) {
            return true;
        }
        for (EndpointProperties e : properties.getEndpoints().values()) {
            if (RedisProtocol.NAME.equals(unlessBlank(e.getProtocol()))) {
                return true;
            }
        }
        return false;
    }

    /** Pool-wide {@code redis.*} with redis spoken nowhere would be ignored: stop and say so. */
    private void checkPoolWideRedisUsed(boolean used) {
        String firstSet = firstSetRedisKey(properties.getRedis());
        if (firstSet != null && !used) {
            throw failRedis(property("redis." + firstSet), "has no effect because no endpoint's protocol is "
                    + RedisProtocol.NAME + "; set " + property("protocol") + "=" + RedisProtocol.NAME
                    + " (or an endpoint's protocol) or remove it");
        }
    }

    private static String firstSetRedisKey(EndpointSettings.Redis r) {
        if (r.getUsername() != null) {
            return "username";
        }
        if (r.getPassword() != null) {
            return "password";
        }
        if (r.getDatabase() != null) {
            return "database";
        }
        // reset-on-release alone is not worth stopping for: it changes nothing where redis is not spoken.
        return r.getClientName() != null ? "client-name" : null;
    }

    // ------------------------------------------------------------------ the starter's own settings

    private void checkSpringSideSettings() {
        Duration grace = properties.getShutdownGracePeriod();
        if (grace == null || grace.isNegative()) {
            throw fail(property("shutdown-grace-period"), grace,
                    "must be zero (close leased connections at once) or positive");
        }
        int maxTagged = properties.getMetrics().getMaxTaggedEndpoints();
        if (maxTagged < 0) {
            throw fail(property("metrics.max-tagged-endpoints"), maxTagged,
                    "must be 0 or more (named endpoints are always tagged)");
        }
        Duration warmUp = properties.getWarmUp().getTimeout();
        if (warmUp == null || warmUp.isNegative() || warmUp.isZero()) {
            throw fail(property("warm-up.timeout"), warmUp,
                    "must be positive (readiness is never held without a time limit)");
        }
        Duration window = properties.getHealth().getErrorWindow();
        if (window == null || window.isNegative() || window.isZero()) {
            throw fail(property("health.error-window"), window, "must be positive");
        }
        String exhausted = properties.getHealth().getExhaustedStatus();
        if (exhausted == null || exhausted.isBlank()) {
            throw fail(property("health.exhausted-status"), exhausted,
                    "must be a health status code such as UP, OUT_OF_SERVICE or DOWN");
        }
        List<String> protocols = properties.getTls().getProtocols();
        if (protocols != null && protocols.stream().anyMatch(s -> s == null || s.isBlank())) {
            throw fail(property("tls.protocols"), protocols, "must not contain blank entries");
        }
        String bundle = unlessBlank(properties.getTls().getBundle());
        if (bundle != null) {
            material(bundle, property("tls.bundle"));
        }
    }

    /** Every duration property, pool-wide and per endpoint, found from the properties classes. */
    private void checkDurationsHaveUnits() {
        for (Leaf leaf : CoreSettings.leaves(ConpoolProperties.class)) {
            if (leaf.type() == Duration.class) {
                checkHasUnit(property(leaf.path));
            }
        }
        for (String name : properties.getEndpoints().keySet()) {
            for (Leaf leaf : CoreSettings.leaves(EndpointProperties.class)) {
                if (leaf.type() == Duration.class) {
                    checkHasUnit(endpointProperty(name, leaf.path));
                }
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
        String hostPath = endpointProperty(name, "host");
        String portPath = endpointProperty(name, "port");
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
        String bundlePath = endpointProperty(name, "tls.bundle");
        if (bundleName == null) {
            bundleName = unlessBlank(properties.getTls().getBundle());
            bundlePath = property("tls.bundle");
        }
        List<String> protocols = t.getProtocols();
        String protocolsPath = endpointProperty(name, "tls.protocols");
        if (protocols == null || protocols.isEmpty()) {
            protocols = properties.getTls().getProtocols();
            protocolsPath = property("tls.protocols");
        }
        if (bundleName != null) {
            b.sslContextSource(material(bundleName, bundlePath));
            if (protocols == null || protocols.isEmpty()) {
                String[] enabledProtocols = sslBundles.getBundle(bundleName).getOptions().getEnabledProtocols();
                if (enabledProtocols != null && enabledProtocols.length > 0) {
                    protocols = List.of(enabledProtocols);
                    protocolsPath = "spring.ssl.bundle.<type>." + bundleName + ".options.enabled-protocols";
                }
            }
        }
        Boolean verifyHostname = t.getVerifyHostname() != null ? t.getVerifyHostname()
                : properties.getTls().getVerifyHostname();
        if (verifyHostname != null) {
            b.verifyHostname(verifyHostname);
        }
        set(endpointProperty(name, "tls.server-name"), serverName, b::serverName);
        if (protocols != null && !protocols.isEmpty()) {
            if (protocols.stream().anyMatch(s -> s == null || s.isBlank())) {
                throw fail(protocolsPath, protocols, "must not contain blank entries");
            }
            set(protocolsPath, List.copyOf(protocols), b::protocols);
        }
        return b.build();
    }

    private void checkTlsOff(String name, String suffix, Object value) {
        if (value != null) {
            throw fail(endpointProperty(name, "tls." + suffix), value,
                    "has no effect because TLS is off for this endpoint; set "
                            + endpointProperty(name, "tls.enabled") + "=true or remove it");
        }
    }

    /** The TLS material of every SSL bundle an endpoint uses (after {@link #toBuilder()}), to follow its reloads. */
    Collection<SslBundleTlsMaterial> bundleMaterials() {
        return materials.values();
    }

    private SslBundleTlsMaterial material(String bundleName, String path) {
        SslBundleTlsMaterial material = materials.get(bundleName);
        if (material != null) {
            return material;
        }
        SSLContext context;
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
        material = new SslBundleTlsMaterial(bundleName, context);
        materials.put(bundleName, material);
        return material;
    }

    /**
     * Optional names (health check, SSL bundle, server name) left empty, as in {@code health-check:} with nothing
     * after it in YAML, mean "not set", like leaving the key out.
     */
    private static String unlessBlank(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

    // ------------------------------------------------------------------ names and errors

    /** {@code conpool.<suffix>}. */
    private static String property(String suffix) {
        return PREFIX + "." + suffix;
    }

    /** {@code conpool.endpoints.<name>.<suffix>}. */
    private static String endpointProperty(String endpointName, String suffix) {
        return ENDPOINTS + "." + endpointName + "." + suffix;
    }

    /** Gives a set value to one of the core's builders, naming the property if the builder rejects it. */
    private <T> void set(String property, T value, Consumer<T> setter) {
        if (value == null) {
            return;
        }
        try {
            setter.accept(value);
        }
        catch (InvalidConfigException ex) {
            throw fail(property, ex.value(), ex.reason(Function.identity(), ConpoolPropertiesMapper::shown), ex);
        }
    }

    /** A value in a message: durations as in {@code application.yml} ({@code 2m}, not the core's {@code PT2M}). */
    private static String shown(Object value) {
        return value instanceof Duration d ? DurationFormat.format(d) : String.valueOf(value);
    }

    private InvalidConpoolPropertyException fail(String property, Object boundValue, String reason) {
        return fail(property, boundValue, reason, null);
    }

    /** For a {@code redis.*} property: its value quoted, unless it is the password, which shows as {@code ****}. */
    private InvalidConpoolPropertyException failRedis(String property, String reason) {
        if (property.endsWith(".redis.password")) {
            return new InvalidConpoolPropertyException(property, "****", reason, values.origin(property), null);
        }
        return fail(property, null, reason);
    }

    /** The value is quoted as written where Spring knows it, else as bound. */
    private InvalidConpoolPropertyException fail(String property, Object boundValue, String reason, Throwable cause) {
        Object raw = values.rawValue(property);
        Object shown = raw != null ? raw : boundValue instanceof Duration d ? DurationFormat.format(d) : boundValue;
        return new InvalidConpoolPropertyException(property, shown, reason, values.origin(property), cause);
    }
}
