package io.conpool.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import io.conpool.HealthCheck;
import io.conpool.HealthChecks;
import io.conpool.PoolConfig;
import io.conpool.ProtocolHandler;
import io.conpool.autoconfigure.ConpoolProperties.EndpointProperties;
import io.conpool.autoconfigure.CoreSettings.Leaf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The rule that ties properties to the core's settings by name ({@link CoreSettings}) holds for every setting: no
 * property of {@link EndpointSettings} misses its core setting (it would be bound and then ignored), no core setting
 * lacks a pool-wide property, and the actuator's view keeps its shape.
 */
@Timeout(30)
class CoreSettingsTests {

    @Test
    void everySharedSettingIsACoreSetting() {
        for (Leaf leaf : CoreSettings.leaves(EndpointSettings.class)) {
            if (leaf.starterSetting) {
                assertThat(leaf.path).as("only the built-in protocol's settings are read by the starter itself")
                    .startsWith("redis.");
                continue;
            }
            assertThat(leaf.setter).as("PoolConfig.Builder method for %s (named %s)", leaf.path, leaf.coreName)
                .isNotNull();
            assertThat(leaf.getter).as("PoolConfig getter for %s", leaf.path).isNotNull();
        }
    }

    @Test
    void everyEndpointPropertyButWhereAndHowIsACoreSetting() {
        for (Leaf leaf : CoreSettings.leaves(EndpointProperties.class)) {
            if (!leaf.path.equals("host") && !leaf.path.equals("port") && !leaf.path.startsWith("tls.")
                    && !leaf.starterSetting) {
                assertThat(leaf.setter).as("PoolConfig.Builder method for conpool.endpoints.*.%s", leaf.path)
                    .isNotNull();
            }
        }
    }

    /**
     * Pool-wide, every one; per endpoint, those in {@link EndpointSettings}: a setting that only makes sense for the
     * whole pool is declared in {@link ConpoolProperties} alone.
     */
    @Test
    void everyCoreSettingHasAPoolWideProperty() {
        Set<String> builderSettings = new TreeSet<>();
        for (Method m : PoolConfig.Builder.class.getDeclaredMethods()) {
            if (java.lang.reflect.Modifier.isPublic(m.getModifiers()) && m.getParameterCount() == 1) {
                builderSettings.add(m.getName());
            }
        }
        assertThat(coreNames(ConpoolProperties.class)).as("conpool.*").containsAll(builderSettings);
        assertThat(coreNames(ConpoolProperties.class)).as("pool-wide and per endpoint")
            .containsAll(coreNames(EndpointProperties.class));
    }

    @Test
    void propertiesAreNamedAsTheUserWritesThem() {
        Map<String, String> poolWide = CoreSettings.propertyNames(ConpoolProperties.class, "conpool");
        assertThat(poolWide).containsEntry("maxConnectionsPerEndpoint", "conpool.max-connections-per-endpoint")
            .containsEntry("circuitBreakerOpenDuration", "conpool.circuit-breaker.open-duration")
            .containsEntry("healthCheck", "conpool.health-check")
            .doesNotContainKey("dnsTtl");
        Map<String, String> endpoint = CoreSettings.propertyNames(EndpointProperties.class, "conpool.endpoints.cache");
        assertThat(endpoint).containsEntry("maxConnectionsPerEndpoint", "conpool.endpoints.cache.max-connections")
            .containsEntry("minIdlePerEndpoint", "conpool.endpoints.cache.min-idle")
            .containsEntry("connectionTimeout", "conpool.endpoints.cache.connection-timeout");
    }

    @Test
    void appliesWhatIsSetAndRecordsWhereItCameFrom() {
        EndpointProperties e = new EndpointProperties();
        e.setMaxConnections(4);
        e.setHealthCheck(" redis-ping ");
        e.setLeakDetectionThreshold(Duration.ofSeconds(90));
        e.getCircuitBreaker().setFailureThreshold(2);
        e.setConnectionTimeout(null);
        PoolConfig.Builder b = PoolConfig.defaults().toBuilder().maxIdlePerEndpoint(4);
        Map<String, String> names = new HashMap<>();
        List<String> lookedUp = new ArrayList<>();
        CoreSettings.apply(e, "conpool.endpoints.cache", b, names, (type, property, name) -> {
            lookedUp.add(type.getSimpleName() + " " + property + "=" + name);
            return HealthChecks.builtIn(name).orElseThrow();
        });
        PoolConfig config = b.build();
        assertThat(config.maxConnectionsPerEndpoint()).isEqualTo(4);
        assertThat(config.healthCheck()).containsSame(HealthChecks.redisPing());
        assertThat(config.leakDetectionThreshold()).contains(Duration.ofSeconds(90));
        assertThat(config.circuitBreakerFailureThreshold()).isEqualTo(2);
        assertThat(config.connectionTimeout()).isEqualTo(PoolConfig.defaults().connectionTimeout());
        assertThat(lookedUp).containsExactly("HealthCheck conpool.endpoints.cache.health-check=redis-ping");
        assertThat(names).containsOnly(Map.entry("maxConnectionsPerEndpoint", "conpool.endpoints.cache.max-connections"),
                Map.entry("healthCheck", "conpool.endpoints.cache.health-check"),
                Map.entry("leakDetectionThreshold", "conpool.endpoints.cache.leak-detection-threshold"),
                Map.entry("circuitBreakerFailureThreshold", "conpool.endpoints.cache.circuit-breaker.failure-threshold"));
    }

    /** The actuator endpoint's {@code config} object: the same keys, in the same order, as before the rule. */
    @Test
    void describesAConfigInTheShapeOfAnEndpointsProperties() {
        HealthCheck check = c -> true;
        ProtocolHandler<Object> handler = c -> null;
        PoolConfig config = PoolConfig.builder().healthCheck(check).protocolHandler(handler).maxConnectionUses(100)
            .build();
        Map<String, Object> circuitBreaker = new LinkedHashMap<>();
        circuitBreaker.put("enabled", true);
        circuitBreaker.put("failureThreshold", 5);
        circuitBreaker.put("openDuration", "1s");
        circuitBreaker.put("maxOpenDuration", "1m");
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("maxConnections", 10);
        expected.put("maxIdle", 5);
        expected.put("minIdle", 0);
        expected.put("connectionTimeout", "10s");
        expected.put("acquireTimeout", "30s");
        expected.put("maxIdleTime", "1m");
        expected.put("maxConnectionLifetime", "5m");
        expected.put("lifetimeJitter", 0.05);
        expected.put("maxConnectionUses", 100L);
        expected.put("validationInterval", "30s");
        expected.put("connectAttempts", 3);
        expected.put("connectBackoff", "100ms");
        expected.put("healthCheck", "mine");
        expected.put("healthCheckTimeout", "2s");
        expected.put("healthCheckInterval", null);
        expected.put("healthCheckBypassWindow", null);
        expected.put("protocol", "theirs");
        expected.put("maxPendingAcquires", null);
        expected.put("leakDetectionThreshold", null);
        expected.put("circuitBreaker", circuitBreaker);
        Map<String, Object> described = CoreSettings.describe(config,
                c -> c == check ? "mine" : c == handler ? "theirs" : "other");
        assertThat(described).containsExactlyEntriesOf(expected);
    }

    @Test
    void aProtocolIsResolvedByNameIntoTheBuilder() {
        EndpointProperties e = new EndpointProperties();
        e.setProtocol("mine");
        ProtocolHandler<Object> handler = c -> null;
        PoolConfig.Builder b = PoolConfig.builder();
        Map<String, String> names = new HashMap<>();
        CoreSettings.apply(e, "conpool.endpoints.cache", b, names, (type, property, name) -> {
            assertThat(type).isEqualTo(ProtocolHandler.class);
            assertThat(property).isEqualTo("conpool.endpoints.cache.protocol");
            return name.equals("mine") ? handler : null;
        });
        assertThat(b.build().protocolHandler()).containsSame(handler);
        assertThat(names).containsOnly(Map.entry("protocolHandler", "conpool.endpoints.cache.protocol"));
    }

    private static Set<String> coreNames(Class<?> propertiesClass) {
        Set<String> names = new TreeSet<>();
        for (Leaf leaf : CoreSettings.leaves(propertiesClass)) {
            if (leaf.setter != null) {
                names.add(leaf.coreName);
            }
        }
        return names;
    }
}
