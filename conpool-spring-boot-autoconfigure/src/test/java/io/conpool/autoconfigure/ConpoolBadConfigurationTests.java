package io.conpool.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Every {@code conpool.*} property with bad values (negative, zero where zero would mean "forever", min above max,
 * malformed or unit-less durations, unknown keys, bad hosts and ports, missing bundles and health checks): the
 * start-up fails, and the report a user reads (through the registered failure analyzers) names the property and
 * quotes the value.
 */
@Timeout(120)
class ConpoolBadConfigurationTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ConpoolAutoConfiguration.class, SslAutoConfiguration.class));

    static Stream<Arguments> badValues() {
        return Stream.of(
                // pool-wide sizes
                pool("max-connections-per-endpoint", "0"),
                pool("max-connections-per-endpoint", "-1"),
                pool("max-connections-per-endpoint", "ten"),
                pool("max-idle-per-endpoint", "-1"),
                row("conpool.max-idle-per-endpoint", "11", "conpool.max-idle-per-endpoint=11"), // > max 10
                pool("min-idle-per-endpoint", "-1"),
                row("conpool.min-idle-per-endpoint", "6", "conpool.min-idle-per-endpoint=6"), // > max idle 5
                row("conpool.min-idle-per-endpoint", "4", "conpool.max-idle-per-endpoint=3",
                        "conpool.min-idle-per-endpoint=4"),
                pool("max-connection-uses", "0"),
                pool("max-connection-uses", "-1"),
                pool("max-pending-acquires", "-1"),
                pool("connect-attempts", "0"),
                pool("connect-attempts", "-2"),
                pool("connect-attempts", "three"),
                pool("lifetime-jitter", "-0.1"),
                pool("lifetime-jitter", "0.6"),
                pool("lifetime-jitter", "lots"),
                // pool-wide durations: zero or negative would mean forever / nothing; malformed; no unit
                pool("connection-timeout", "0s"),
                pool("connection-timeout", "-1s"),
                pool("connection-timeout", "abc"),
                pool("connection-timeout", "10"),
                pool("acquire-timeout", "0ms"),
                pool("acquire-timeout", "-5s"),
                pool("acquire-timeout", "5 seconds"),
                pool("acquire-timeout", "30000"),
                pool("max-idle-time", "0s"),
                pool("max-idle-time", "-1ms"),
                pool("max-idle-time", "60"),
                pool("max-connection-lifetime", "0s"),
                pool("max-connection-lifetime", "PT-1M"),
                pool("validation-interval", "0s"),
                pool("validation-interval", "soon"),
                pool("connect-backoff", "-1ms"),
                pool("connect-backoff", "100"),
                pool("health-check-timeout", "0s"),
                pool("health-check-interval", "0s"),
                pool("health-check-interval", "10"),
                pool("health-check-bypass-window", "-1s"),
                pool("health-check-bypass-window", "500"),
                pool("leak-detection-threshold", "0s"),
                pool("leak-detection-threshold", "-1s"),
                pool("leak-detection-threshold", "2"),
                pool("shutdown-grace-period", "-1s"),
                pool("shutdown-grace-period", "5"),
                pool("warm-up.timeout", "0s"),
                pool("warm-up.timeout", "30"),
                pool("warm-up.hold-readiness", "perhaps"),
                pool("health-check", "no-such-check"),
                pool("protocol", "no-such-protocol"),
                row("conpool.redis.database", "-1", "conpool.protocol=redis", "conpool.redis.database=-1"),
                row("conpool.redis.database", "two", "conpool.protocol=redis", "conpool.redis.database=two"),
                row("conpool.redis.client-name", "my app", "conpool.protocol=redis", "conpool.redis.client-name=my app"),
                row("conpool.redis.username", "alice", "conpool.protocol=redis", "conpool.redis.username=alice"),
                row("conpool.redis.reset-on-release", "sometimes", "conpool.protocol=redis",
                        "conpool.redis.reset-on-release=sometimes"),
                row("conpool.redis.database", "2", "conpool.redis.database=2"), // no endpoint speaks redis
                row("conpool.redis.pasword", "x", "conpool.protocol=redis", "conpool.redis.pasword=x"),
                pool("name", " "),
                pool("enabled", "perhaps"),
                // circuit breaker
                pool("circuit-breaker.enabled", "maybe"),
                pool("circuit-breaker.failure-threshold", "0"),
                pool("circuit-breaker.failure-threshold", "-3"),
                pool("circuit-breaker.open-duration", "0s"),
                pool("circuit-breaker.open-duration", "1"),
                pool("circuit-breaker.max-open-duration", "0s"),
                row("conpool.circuit-breaker.max-open-duration", "10s", "conpool.circuit-breaker.open-duration=20s",
                        "conpool.circuit-breaker.max-open-duration=10s"),
                // DNS
                pool("dns.ttl", "0s"),
                pool("dns.ttl", "300"),
                pool("dns.negative-ttl", "-1s"),
                pool("dns.max-size", "0"),
                pool("dns.max-size", "-5"),
                // Pool-wide caps and lifetimes
                pool("max-total-connections", "0"),
                pool("max-total-connections", "-1"),
                pool("forget-unused-endpoints-after", "0s"),
                pool("forget-unused-endpoints-after", "600"),
                pool("jmx.enabled", "maybe"),
                // TLS defaults
                pool("tls.bundle", "no-such-bundle"),
                pool("tls.verify-hostname", "nah"),
                row("conpool.tls.protocols", " ", "conpool.tls.protocols[0]= "),
                // metrics and health
                pool("metrics.enabled", "sometimes"),
                pool("metrics.max-tagged-endpoints", "-1"),
                pool("health.error-window", "0s"),
                pool("health.error-window", "60"),
                pool("health.exhausted-status", " "),
                // unknown keys, at every level
                row("conpool.max-connections", "3", "conpool.max-connections=3"),
                row("conpool.maxconnectionsperendpoint2", "3", "conpool.maxconnectionsperendpoint2=3"),
                row("conpool.circuit-breaker.treshold", "1", "conpool.circuit-breaker.treshold=1"),
                row("conpool.dns.ttl-seconds", "5", "conpool.dns.ttl-seconds=5"),
                row("conpool.metrics.foo", "1", "conpool.metrics.foo=1"),
                row("conpool.health.bar", "1", "conpool.health.bar=1"),
                row("conpool.tls.bundel", "x", "conpool.tls.bundel=x"),
                endpoint("hots", "x"),
                endpoint("max-connections-per-endpoint", "3"),
                endpoint("tls.bundel", "x"),
                endpoint("circuit-breaker.foo", "1"),
                // endpoints: host and port
                row("conpool.endpoints.a.host", null, "conpool.endpoints.a.port=6379"),
                row("conpool.endpoints.a.host", " ", "conpool.endpoints.a.host= ", "conpool.endpoints.a.port=6379"),
                row("conpool.endpoints.a.host", "http://db", "conpool.endpoints.a.host=http://db",
                        "conpool.endpoints.a.port=6379"),
                row("conpool.endpoints.a.host", "bad host", "conpool.endpoints.a.host=bad host",
                        "conpool.endpoints.a.port=6379"),
                row("conpool.endpoints.a.host", "db/path", "conpool.endpoints.a.host=db/path",
                        "conpool.endpoints.a.port=6379"),
                row("conpool.endpoints.a.port", null, "conpool.endpoints.a.host=127.0.0.1"),
                row("conpool.endpoints.a.port", "0", "conpool.endpoints.a.host=127.0.0.1", "conpool.endpoints.a.port=0"),
                row("conpool.endpoints.a.port", "-1", "conpool.endpoints.a.host=127.0.0.1",
                        "conpool.endpoints.a.port=-1"),
                row("conpool.endpoints.a.port", "65536", "conpool.endpoints.a.host=127.0.0.1",
                        "conpool.endpoints.a.port=65536"),
                row("conpool.endpoints.a.port", "http", "conpool.endpoints.a.host=127.0.0.1",
                        "conpool.endpoints.a.port=http"),
                row("conpool.endpoints.b.host", "127.0.0.1", "conpool.endpoints.a.host=127.0.0.1",
                        "conpool.endpoints.a.port=6379", "conpool.endpoints.b.host=127.0.0.1",
                        "conpool.endpoints.b.port=6379"), // the same endpoint twice
                // endpoints: overrides
                endpoint("max-connections", "0"),
                endpoint("max-connections", "-1"),
                endpoint("max-idle", "-1"),
                endpointRow("max-idle", "3", "max-connections=2", "max-idle=3"),
                endpointRow("min-idle", "3", "max-idle=2", "min-idle=3"),
                endpoint("min-idle", "-1"),
                endpoint("connection-timeout", "0s"),
                endpoint("connection-timeout", "5"),
                endpoint("connection-timeout", "fast"),
                endpoint("acquire-timeout", "-1s"),
                endpoint("max-idle-time", "0s"),
                endpoint("max-connection-lifetime", "0s"),
                endpoint("lifetime-jitter", "0.9"),
                endpoint("max-connection-uses", "0"),
                endpoint("validation-interval", "0s"),
                endpoint("connect-attempts", "0"),
                endpoint("connect-backoff", "-1ms"),
                endpoint("health-check-timeout", "0s"),
                endpoint("health-check-interval", "-5s"),
                endpoint("health-check-bypass-window", "0ms"),
                endpoint("health-check", "no-such-bean"),
                endpoint("protocol", "no-such-handler"),
                endpointRow("redis.database", "-3", "protocol=redis", "redis.database=-3"),
                endpointRow("redis.client-name", "a\tb", "protocol=redis", "redis.client-name=a\tb"),
                endpointRow("redis.database", "4", "redis.database=4"), // its protocol is not redis
                endpointRow("redis.database", "4", "protocol=none", "redis.database=4"),
                endpointRow("redis.username", "bob", "protocol=redis", "redis.username=bob"),
                endpoint("redis.user", "bob"),
                endpoint("max-pending-acquires", "-1"),
                endpoint("leak-detection-threshold", "0s"),
                endpoint("circuit-breaker.enabled", "perhaps"),
                endpoint("circuit-breaker.failure-threshold", "0"),
                endpoint("circuit-breaker.open-duration", "0s"),
                endpoint("circuit-breaker.max-open-duration", "-1s"),
                // an override that clashes with an inherited value names the inherited property
                row("conpool.circuit-breaker.max-open-duration", "1m", "conpool.endpoints.a.host=127.0.0.1",
                        "conpool.endpoints.a.port=6379", "conpool.endpoints.a.circuit-breaker.open-duration=2m"),
                // endpoints: TLS
                endpoint("tls.bundle", "no-such-bundle"),
                endpointRow("tls.bundle", "x", "tls.enabled=false", "tls.bundle=x"),
                endpoint("tls.server-name", "bad name"),
                endpoint("tls.verify-hostname", "false"), // TLS is off: the setting would be ignored
                endpointRow("tls.protocols", "TLSv1.3", "tls.enabled=false", "tls.protocols=TLSv1.3"),
                endpointRow("tls.protocols", " ", "tls.enabled=true", "tls.protocols[0]= "),
                endpoint("tls.enabled", "yes please"));
    }

    @ParameterizedTest(name = "[{index}] {0} = {1}")
    @MethodSource("badValues")
    void startupFailsNamingPropertyAndValue(String property, String value, String[] properties) {
        runner.withPropertyValues(properties).run(context -> {
            assertThat(context).hasFailed();
            String report = StartupFailureReport.text(context.getStartupFailure());
            System.out.println("=== " + Arrays.toString(properties) + "\n" + report);
            assertThat(report).as("report for %s", Arrays.toString(properties)).contains(property);
            if (value != null && !value.isBlank()) {
                assertThat(report).as("report for %s", Arrays.toString(properties)).contains(value);
            }
        });
    }

    /** A password is never quoted, not even when it is the property the report is about. */
    @Test
    void aRedisPasswordIsNeverQuoted() {
        runner.withPropertyValues("conpool.endpoints.a.host=127.0.0.1", "conpool.endpoints.a.port=6379",
                "conpool.endpoints.a.redis.password=hunter2-secret")
            .run(context -> {
                assertThat(context).hasFailed();
                String report = StartupFailureReport.text(context.getStartupFailure());
                assertThat(report).contains("Property: conpool.endpoints.a.redis.password")
                    .contains("has no effect because the endpoint's protocol is not set")
                    .doesNotContain("hunter2");
            });
        runner.withPropertyValues("conpool.redis.password=hunter2-secret", "conpool.protocol=redis",
                "conpool.redis.database=-1")
            .run(context -> assertThat(StartupFailureReport.text(context.getStartupFailure()))
                .contains("conpool.redis.database").doesNotContain("hunter2"));
    }

    @Test
    void reportReadsLikeSpringBootsOwn() {
        runner.withPropertyValues("conpool.endpoints.cache.host=127.0.0.1", "conpool.endpoints.cache.port=6379",
                "conpool.endpoints.cache.max-connections=2", "conpool.endpoints.cache.max-idle=3")
            .run(context -> {
                String report = StartupFailureReport.text(context.getStartupFailure());
                assertThat(report).contains("Invalid conpool configuration:")
                    .contains("Property: conpool.endpoints.cache.max-idle")
                    .contains("Value: \"3\"")
                    .contains("Reason: must not exceed conpool.endpoints.cache.max-connections (2)")
                    .contains("Action:\nUpdate your application's configuration: conpool.endpoints.cache.max-idle");
            });
    }

    @Test
    void durationsInReasonsReadAsWritten() {
        runner.withPropertyValues("conpool.endpoints.a.host=127.0.0.1", "conpool.endpoints.a.port=6379",
                "conpool.endpoints.a.circuit-breaker.open-duration=2m")
            .run(context -> assertThat(StartupFailureReport.text(context.getStartupFailure()))
                .contains("Property: conpool.circuit-breaker.max-open-duration")
                .contains("Value: \"1m\"")
                .contains("must not be shorter than conpool.endpoints.a.circuit-breaker.open-duration (2m)"));
    }

    @Test
    void emptyOptionalNamesMeanNotSet() {
        runner.withPropertyValues("conpool.health-check=", "conpool.tls.bundle=", "conpool.endpoints.a.host=127.0.0.1",
                "conpool.endpoints.a.port=6379", "conpool.endpoints.a.health-check=", "conpool.endpoints.a.tls.bundle=",
                "conpool.endpoints.a.tls.server-name=")
            .run(context -> {
                assertThat(context).hasNotFailed();
                io.conpool.ConnectionPool pool = context.getBean(io.conpool.ConnectionPool.class);
                io.conpool.Endpoint a = pool.endpoint("a").orElseThrow();
                assertThat(a.isTls()).isFalse();
                assertThat(pool.config(a).healthCheck()).isEmpty();
            });
    }

    @Test
    void inheritedIdleLimitsFollowASmallerMaxConnections() {
        runner.withPropertyValues("conpool.max-idle-per-endpoint=5", "conpool.min-idle-per-endpoint=4",
                "conpool.endpoints.small.host=127.0.0.1", "conpool.endpoints.small.port=6379",
                "conpool.endpoints.small.max-connections=2")
            .run(context -> {
                assertThat(context).hasNotFailed();
                io.conpool.ConnectionPool pool = context.getBean(io.conpool.ConnectionPool.class);
                io.conpool.PoolConfig config = pool.config(pool.endpoint("small").orElseThrow());
                assertThat(config.maxConnectionsPerEndpoint()).isEqualTo(2);
                assertThat(config.maxIdlePerEndpoint()).isEqualTo(2);
                assertThat(config.minIdlePerEndpoint()).isEqualTo(2);
            });
    }

    private static Arguments pool(String suffix, String value) {
        return row("conpool." + suffix, value, "conpool." + suffix + "=" + value);
    }

    private static Arguments endpoint(String suffix, String value) {
        return endpointRow(suffix, value, suffix + "=" + value);
    }

    /** A valid endpoint {@code a} plus these {@code conpool.endpoints.a.*} settings. */
    private static Arguments endpointRow(String suffix, String value, String... settings) {
        List<String> properties = new ArrayList<>(
                List.of("conpool.endpoints.a.host=127.0.0.1", "conpool.endpoints.a.port=6379"));
        for (String s : settings) {
            properties.add("conpool.endpoints.a." + s);
        }
        return row("conpool.endpoints.a." + suffix, value, properties.toArray(String[]::new));
    }

    private static Arguments row(String property, String value, String... properties) {
        return Arguments.of(property, value, properties);
    }
}
