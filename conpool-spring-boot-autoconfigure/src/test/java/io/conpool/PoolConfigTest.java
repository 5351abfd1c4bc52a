package io.conpool;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link PoolConfig} keeps each setting in one list of fields, and copies, compares and prints them by walking that
 * list: every setting is covered without being named again. Checked here for each builder method: its value comes
 * back from the getter of the same name (the Spring side relies on that naming) and makes a difference to
 * {@code equals}, {@code hashCode} and {@code toString}.
 */
@Timeout(10)
class PoolConfigTest {

    @Test
    void everySettingRoundTripsAndCounts() throws Exception {
        PoolConfig defaults = PoolConfig.defaults();
        int settings = 0;
        for (Method setter : PoolConfig.Builder.class.getDeclaredMethods()) {
            if (!Modifier.isPublic(setter.getModifiers()) || setter.getParameterCount() != 1) {
                continue;
            }
            Method getter = PoolConfig.class.getMethod(setter.getName());
            Object other = otherValue(setter.getParameterTypes()[0], unwrap(getter.invoke(defaults)));
            PoolConfig.Builder builder = defaults.toBuilder();
            setter.invoke(builder, other);
            PoolConfig changed = builder.build();
            assertThat(unwrap(getter.invoke(changed))).as(setter.getName()).isEqualTo(other);
            assertThat(changed).as(setter.getName()).isNotEqualTo(defaults);
            assertThat(changed.hashCode()).as(setter.getName()).isNotEqualTo(defaults.hashCode());
            assertThat(changed.toString()).as(setter.getName()).isNotEqualTo(defaults.toString())
                .contains(setter.getName() + "=");
            assertThat(changed.toBuilder().build()).as(setter.getName()).isEqualTo(changed);
            assertThat(defaults.toBuilder().build()).isEqualTo(defaults);
            settings++;
        }
        assertThat(settings).isGreaterThanOrEqualTo(20);
    }

    @Test
    void aBuiltConfigDoesNotChangeWithItsBuilder() {
        PoolConfig.Builder builder = PoolConfig.builder().maxConnectionsPerEndpoint(20);
        PoolConfig first = builder.build();
        builder.maxConnectionsPerEndpoint(30);
        assertThat(first.maxConnectionsPerEndpoint()).isEqualTo(20);
        PoolConfig.Builder copy = first.toBuilder();
        copy.maxConnectionsPerEndpoint(40);
        assertThat(first.maxConnectionsPerEndpoint()).isEqualTo(20);
    }

    @Test
    void printsUnlimitedAndUnsetInWords() {
        assertThat(PoolConfig.defaults().toString()).startsWith("PoolConfig[maxConnectionsPerEndpoint=10, ")
            .contains("maxConnectionUses=unlimited", "maxPendingAcquires=unlimited", "healthCheck=none",
                    "leakDetectionThreshold=none", "circuitBreakerMaxOpenDuration=PT1M");
    }

    /** A valid value different from the default. */
    private static Object otherValue(Class<?> type, Object current) {
        if (type == int.class) {
            return current == null ? 7 : (Integer) current + 1;
        }
        if (type == long.class) {
            return current == null ? 7L : (Long) current + 1;
        }
        if (type == double.class) {
            return (Double) current + 0.1;
        }
        if (type == boolean.class) {
            return !(Boolean) current;
        }
        if (type == Duration.class) {
            return current == null ? Duration.ofSeconds(7) : ((Duration) current).plusSeconds(1);
        }
        if (type == HealthCheck.class) {
            return HealthChecks.redisPing();
        }
        if (type == ProtocolHandler.class) {
            return (ProtocolHandler<Object>) c -> null;
        }
        throw new AssertionError("no test value for " + type);
    }

    private static Object unwrap(Object value) {
        if (value instanceof Optional<?> o) {
            return o.orElse(null);
        }
        if (value instanceof OptionalInt o) {
            return o.isPresent() ? o.getAsInt() : null;
        }
        if (value instanceof OptionalLong o) {
            return o.isPresent() ? o.getAsLong() : null;
        }
        return value;
    }
}
