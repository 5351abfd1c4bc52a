package io.conpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.conpool.testkit.TestCertificates;

/** Bad settings and bad endpoints are rejected with a typed error naming the setting or quoting the value. */
@Timeout(10)
class ValidationTest {

    @Test
    void defaultsAreTheSeedsAndNothingWaitsForever() {
        PoolConfig d = PoolConfig.defaults();
        assertThat(d.maxConnectionsPerEndpoint()).isEqualTo(10);
        assertThat(d.maxIdlePerEndpoint()).isEqualTo(5);
        assertThat(d.minIdlePerEndpoint()).isZero();
        assertThat(d.connectionTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(d.acquireTimeout()).isPositive().isLessThanOrEqualTo(Duration.ofMinutes(1));
        assertThat(d.maxIdleTime()).isEqualTo(Duration.ofSeconds(60));
        assertThat(d.maxConnectionLifetime()).isEqualTo(Duration.ofMinutes(5));
        assertThat(d.maxConnectionUses()).isEmpty();
        assertThat(d.validationInterval()).isPositive();
        assertThat(d.connectAttempts()).isGreaterThanOrEqualTo(1);
        assertThat(d.healthCheck()).isEmpty();
        assertThat(d.validate()).isSameAs(d);
        assertThat(PoolConfig.builder().build()).isEqualTo(d);
    }

    @Test
    void badPoolConfigValuesAreRejectedNamingPropertyAndValue() {
        rejects(b -> b.maxConnectionsPerEndpoint(0), "maxConnectionsPerEndpoint", 0);
        rejects(b -> b.maxConnectionsPerEndpoint(-1), "maxConnectionsPerEndpoint", -1);
        rejects(b -> b.maxIdlePerEndpoint(-1), "maxIdlePerEndpoint", -1);
        rejects(b -> b.minIdlePerEndpoint(-1), "minIdlePerEndpoint", -1);
        rejects(b -> b.maxConnectionsPerEndpoint(10).maxIdlePerEndpoint(12), "maxIdlePerEndpoint", 12);
        rejects(b -> b.maxIdlePerEndpoint(2).minIdlePerEndpoint(3), "minIdlePerEndpoint", 3);
        rejects(b -> b.connectionTimeout(Duration.ZERO), "connectionTimeout", Duration.ZERO);
        rejects(b -> b.connectionTimeout(Duration.ofSeconds(-1)), "connectionTimeout", Duration.ofSeconds(-1));
        rejects(b -> b.connectionTimeout(null), "connectionTimeout", null);
        rejects(b -> b.acquireTimeout(Duration.ZERO), "acquireTimeout", Duration.ZERO);
        rejects(b -> b.acquireTimeout(Duration.ofMillis(-1)), "acquireTimeout", Duration.ofMillis(-1));
        rejects(b -> b.maxIdleTime(Duration.ZERO), "maxIdleTime", Duration.ZERO);
        rejects(b -> b.maxConnectionLifetime(Duration.ofSeconds(-5)), "maxConnectionLifetime", Duration.ofSeconds(-5));
        rejects(b -> b.validationInterval(Duration.ZERO), "validationInterval", Duration.ZERO);
        rejects(b -> b.connectAttempts(0), "connectAttempts", 0);
        rejects(b -> b.connectBackoff(Duration.ofMillis(-1)), "connectBackoff", Duration.ofMillis(-1));
        rejects(b -> b.healthCheckTimeout(Duration.ZERO), "healthCheckTimeout", Duration.ZERO);
        rejects(b -> b.lifetimeJitter(0.6), "lifetimeJitter", 0.6);
        rejects(b -> b.lifetimeJitter(-0.1), "lifetimeJitter", -0.1);
        rejects(b -> b.maxConnectionUses(0), "maxConnectionUses", 0L);
        rejects(b -> b.maxPendingAcquires(-1), "maxPendingAcquires", -1);
        rejects(b -> b.leakDetectionThreshold(Duration.ZERO), "leakDetectionThreshold", Duration.ZERO);
        rejects(b -> b.circuitBreakerFailureThreshold(0), "circuitBreakerFailureThreshold", 0);
    }

    @Test
    void theMessageSaysWhatIsWrong() {
        assertThatThrownBy(() -> PoolConfig.builder().maxIdlePerEndpoint(12).build())
                .hasMessage("maxIdlePerEndpoint (12) must not exceed maxConnectionsPerEndpoint (10)");
        assertThatThrownBy(() -> PoolConfig.builder().acquireTimeout(Duration.ZERO).build())
                .hasMessageStartingWith("acquireTimeout (PT0S) must be positive");
    }

    @Test
    void theErrorCarriesItsPartsAsData() {
        assertThatThrownBy(() -> PoolConfig.builder().maxIdlePerEndpoint(12).build())
                .isInstanceOfSatisfying(InvalidConfigException.class, ex -> {
                    assertThat(ex.property()).isEqualTo("maxIdlePerEndpoint");
                    assertThat(ex.value()).isEqualTo(12);
                    assertThat(ex.conflictingProperty()).isEqualTo("maxConnectionsPerEndpoint");
                    assertThat(ex.conflictingValue()).isEqualTo(10);
                    assertThat(ex.reason()).isEqualTo("must not exceed maxConnectionsPerEndpoint (10)");
                    assertThat(ex.reason(name -> "<" + name + ">", value -> "#" + value))
                            .isEqualTo("must not exceed <maxConnectionsPerEndpoint> (#10)");
                });
        assertThatThrownBy(() -> PoolConfig.builder().connectAttempts(0).build())
                .isInstanceOfSatisfying(InvalidConfigException.class, ex -> {
                    assertThat(ex.reason()).isEqualTo("must be at least 1");
                    assertThat(ex.conflictingProperty()).isNull();
                    assertThat(ex.reason(name -> "<" + name + ">", String::valueOf)).isEqualTo("must be at least 1");
                });
    }

    @Test
    void badPoolBuilderArgumentsAreRejected() {
        assertThatThrownBy(() -> ConnectionPool.builder().name(" ")).isInstanceOfSatisfying(
                InvalidConfigException.class, ex -> assertThat(ex.property()).isEqualTo("name"));
        assertThatThrownBy(() -> ConnectionPool.builder().dnsCacheTtl(Duration.ZERO)).isInstanceOfSatisfying(
                InvalidConfigException.class, ex -> assertThat(ex.property()).isEqualTo("dnsCacheTtl"));
        assertThatThrownBy(() -> ConnectionPool.builder().dnsCacheMaxSize(0)).isInstanceOfSatisfying(
                InvalidConfigException.class, ex -> assertThat(ex.value()).isEqualTo(0));
        Endpoint ep = Endpoint.of("127.0.0.1", 1);
        assertThatThrownBy(() -> ConnectionPool.builder().endpoint("a", ep).endpoint("a", ep))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("'a'");
        try (ConnectionPool pool = ConnectionPool.builder().build()) {
            assertThatThrownBy(() -> pool.acquire(ep, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("timeout (PT0S)");
            assertThatThrownBy(() -> pool.acquire(ep, Duration.ofSeconds(-1)))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> pool.acquire("nope")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'nope'");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "", " ", "redis://x", "http://", "x/y", "[::zz]", "1:2:3", "[::1", "a..b", "-a.b",
            "bad host", "999.1.1.1", "1.2.3.256", "under score?" })
    void badHostsAreRejectedQuotingTheValue(String host) {
        assertThatThrownBy(() -> Endpoint.of(host, 80)).isInstanceOfSatisfying(InvalidEndpointException.class,
                ex -> {
                    assertThat(ex.value()).isEqualTo(host);
                    assertThat(ex).hasMessageStartingWith("invalid endpoint '" + host + "': ");
                });
    }

    @ParameterizedTest
    @ValueSource(ints = { 0, 65536, -1, 100_000 })
    void portsOutsideTheRangeAreRejected(int port) {
        assertThatThrownBy(() -> Endpoint.of("example.test", port)).isInstanceOf(InvalidEndpointException.class)
                .hasMessageContaining("port " + port + " is outside 1-65535");
    }

    @ParameterizedTest
    @ValueSource(strings = { "host", "host:", ":80", "redis://x:6379", "http://", "host:abc", "host:0",
            "host:65536", "host:-1", "::1:80", "" })
    void badHostAndPortStringsAreRejectedQuotingTheValue(String value) {
        assertThatThrownBy(() -> Endpoint.parse(value)).isInstanceOf(InvalidEndpointException.class)
                .hasMessageContaining("'" + value + "'");
    }

    @Test
    void aBadHostInsideAHostAndPortStringIsQuoted() {
        assertThatThrownBy(() -> Endpoint.parse("[::zz]:80")).isInstanceOf(InvalidEndpointException.class)
                .hasMessageContaining("'[::zz]'");
        assertThatThrownBy(() -> Endpoint.parse("bad host:80")).isInstanceOf(InvalidEndpointException.class)
                .hasMessageContaining("'bad host'");
    }

    @Test
    void goodEndpointsParse() {
        assertThat(Endpoint.parse("localhost:6379")).isEqualTo(Endpoint.of("LOCALHOST", 6379));
        Endpoint v6 = Endpoint.parse("[::1]:6379");
        assertThat(v6.host()).isEqualTo("::1");
        assertThat(v6.address()).isEqualTo("[::1]:6379");
        assertThat(v6.isIpLiteral()).isTrue();
        assertThat(Endpoint.of("[::1]", 6379)).isEqualTo(v6);
        assertThat(Endpoint.of("::1", 6379)).isEqualTo(v6);
        assertThat(Endpoint.parse(" 10.0.0.1:80 ").address()).isEqualTo("10.0.0.1:80");
        assertThat(Endpoint.of("db.internal", 5432).isIpLiteral()).isFalse();
        assertThat(Endpoint.of("a", 1).port()).isEqualTo(1);
        assertThat(Endpoint.of("a", 65535).port()).isEqualTo(65535);
    }

    @Test
    void endpointsWithEqualSettingsAreEqualAndAnyTlsDifferenceMakesThemDifferent() {
        var ctx = TestCertificates.shared().clientContext();
        Endpoint plain = Endpoint.of("conpool.test", 443);
        Endpoint tls = Endpoint.of("conpool.test", 443, Tls.of(ctx));
        assertThat(Endpoint.of("conpool.test", 443, Tls.of(ctx))).isEqualTo(tls).hasSameHashCodeAs(tls);
        assertThat(tls).isNotEqualTo(plain);
        assertThat(tls.withTls(null)).isEqualTo(plain);
        assertThat(Endpoint.of("conpool.test", 443, Tls.of(TestCertificates.shared().newClientContext())))
                .as("another SSLContext object is other trust").isNotEqualTo(tls);
        assertThat(Endpoint.of("conpool.test", 443, Tls.builder().sslContext(ctx).serverName("other.test").build()))
                .isNotEqualTo(tls);
        assertThat(Endpoint.of("conpool.test", 443, Tls.builder().sslContext(ctx).verifyHostname(false).build()))
                .isNotEqualTo(tls);
        assertThat(Endpoint.of("conpool.test", 443,
                Tls.builder().sslContext(ctx).protocols(java.util.List.of("TLSv1.3")).build())).isNotEqualTo(tls);
        assertThat(tls.toString()).isEqualTo("tls:conpool.test:443");
        assertThatThrownBy(() -> Tls.builder().serverName("bad name")).isInstanceOf(InvalidConfigException.class);
        assertThatThrownBy(() -> Tls.builder().protocols(java.util.List.of()))
                .isInstanceOf(InvalidConfigException.class);
    }

    private static void rejects(Consumer<PoolConfig.Builder> setting, String property, Object value) {
        assertThatThrownBy(() -> {
            PoolConfig.Builder b = PoolConfig.builder();
            setting.accept(b);
            b.build();
        }).as(property).isInstanceOfSatisfying(InvalidConfigException.class, ex -> {
            assertThat(ex.property()).isEqualTo(property);
            assertThat(String.valueOf(ex.value())).isEqualTo(String.valueOf(value)); // int settings may come back as long
            assertThat(ex).hasMessageStartingWith(property + " (" + value + ") ");
        });
    }
}
