package io.conpool;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Immutable settings for the connections of one endpoint (the pool-wide defaults, or one endpoint's overrides).
 * Build with {@link #builder()}; {@link Builder#build()} validates and throws {@link InvalidConfigException}
 * naming the field and the value. Nothing is clamped silently, and no setting means "forever": every wait and
 * every connection's life is bounded unless a setting is explicitly unset (uses, pending waiters, leak detection).
 *
 * <table>
 * <caption>Defaults</caption>
 * <tr><td>maxConnectionsPerEndpoint</td><td>10</td></tr>
 * <tr><td>maxIdlePerEndpoint</td><td>5 (surplus idle connections are closed by the sweep, oldest first)</td></tr>
 * <tr><td>minIdlePerEndpoint</td><td>0</td></tr>
 * <tr><td>connectionTimeout</td><td>10 s, TCP connect plus TLS handshake, per attempt</td></tr>
 * <tr><td>acquireTimeout</td><td>30 s, the whole acquire: waiting, validating, connecting</td></tr>
 * <tr><td>maxIdleTime</td><td>60 s</td></tr>
 * <tr><td>maxConnectionLifetime</td><td>5 min, minus up to {@code lifetimeJitter} (5 %) per connection</td></tr>
 * <tr><td>maxConnectionUses</td><td>unlimited</td></tr>
 * <tr><td>validationInterval</td><td>30 s between background sweeps</td></tr>
 * <tr><td>connectAttempts</td><td>3, with {@code connectBackoff} 100 ms doubling between them</td></tr>
 * <tr><td>healthCheck</td><td>none; {@code healthCheckTimeout} 2 s</td></tr>
 * <tr><td>healthCheckInterval</td><td>off (health checks run only before reuse)</td></tr>
 * <tr><td>healthCheckBypassWindow</td><td>off (every reuse is checked)</td></tr>
 * <tr><td>protocolHandler</td><td>none</td></tr>
 * <tr><td>maxPendingAcquires</td><td>unlimited (waiters are still bounded by acquireTimeout)</td></tr>
 * <tr><td>leakDetectionThreshold</td><td>off</td></tr>
 * <tr><td>circuit breaker</td><td>on: opens after 5 consecutive failed connects for 1 s, doubling per trip up
 * to 60 s</td></tr>
 * </table>
 *
 * <p>Adding a setting: a field with its default in {@code Values}, its getter here, its setter in {@link Builder}
 * (same name as the getter) and its rule in {@link Builder#build()}. Copying, {@code equals}, {@code hashCode} and
 * {@code toString} cover it by themselves.
 */
public final class PoolConfig {

    private static final PoolConfig DEFAULTS = builder().build();

    /** This configuration's values: a private copy taken at build time, never changed afterwards. */
    private final Values v;

    private PoolConfig(Values values) {
        this.v = values;
    }

    /** The defaults listed above. */
    public static PoolConfig defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder(new Values());
    }

    /** A builder starting from these settings, for overrides. */
    public Builder toBuilder() {
        return new Builder(v.copy());
    }

    /**
     * Checks every rule again and returns this. {@link Builder#build()} already does; this is for callers that
     * want to say so explicitly.
     *
     * @throws InvalidConfigException naming the first bad field and its value
     */
    public PoolConfig validate() {
        toBuilder().build();
        return this;
    }

    /** Most connections (leased, idle and being opened) to one endpoint at once. */
    public int maxConnectionsPerEndpoint() {
        return v.maxConnectionsPerEndpoint;
    }

    /** Most idle connections kept per endpoint; the sweep closes the surplus, longest idle first. */
    public int maxIdlePerEndpoint() {
        return v.maxIdlePerEndpoint;
    }

    /** Idle connections the sweep keeps open per endpoint (opened in the background). */
    public int minIdlePerEndpoint() {
        return v.minIdlePerEndpoint;
    }

    /** Budget of one connect attempt: TCP connect to every address plus the TLS handshake. */
    public Duration connectionTimeout() {
        return v.connectionTimeout;
    }

    /** Budget of a whole {@code acquire}: waiting for a slot, validating, connecting. */
    public Duration acquireTimeout() {
        return v.acquireTimeout;
    }

    /** An idle connection older than this is closed instead of reused. */
    public Duration maxIdleTime() {
        return v.maxIdleTime;
    }

    /** A connection older than this (less its jitter) is retired: when idle, or when returned. */
    public Duration maxConnectionLifetime() {
        return v.maxConnectionLifetime;
    }

    /** Fraction (0 to 0.5) by which each connection's lifetime is shortened at random, to spread retirement. */
    public double lifetimeJitter() {
        return v.lifetimeJitter;
    }

    /** Leases after which a connection is retired; empty means unlimited. */
    public OptionalLong maxConnectionUses() {
        return v.maxConnectionUses == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(v.maxConnectionUses);
    }

    /** Time between background sweeps (expiry, liveness of idle connections, min idle, DNS refresh). */
    public Duration validationInterval() {
        return v.validationInterval;
    }

    /** Connect attempts per new connection, each trying every resolved address. */
    public int connectAttempts() {
        return v.connectAttempts;
    }

    /** Pause before the second attempt; doubles before each further one. */
    public Duration connectBackoff() {
        return v.connectBackoff;
    }

    /** Check run before an idle connection is reused; empty if none. */
    public Optional<HealthCheck> healthCheck() {
        return Optional.ofNullable(v.healthCheck);
    }

    /** Read timeout applied to the socket while the health check runs. */
    public Duration healthCheckTimeout() {
        return v.healthCheckTimeout;
    }

    /**
     * How often idle connections are health-checked in the background (the {@code healthCheck} and the protocol
     * handler's {@code isHealthy}): the sweep checks each idle connection not checked within this interval, on its
     * worker thread, with a free permit only (never while callers wait), so a backend that still answers TCP but no
     * longer the protocol is noticed before a caller meets it. Empty (default): only before reuse.
     */
    public Optional<Duration> healthCheckInterval() {
        return Optional.ofNullable(v.healthCheckInterval);
    }

    /**
     * A connection whose health check passed within this window (before a reuse, or in the background) is handed out
     * again without another check (HikariCP's "alive bypass"): saves a round trip per reuse under load, at the price of
     * trusting a check up to this old. The liveness probe still runs. Empty (default): every reuse is checked.
     */
    public Optional<Duration> healthCheckBypassWindow() {
        return Optional.ofNullable(v.healthCheckBypassWindow);
    }

    /**
     * The protocol spoken on the endpoint's connections, called after connect, around each lease, as a health check
     * and before close ({@link ProtocolHandler}); empty if none.
     */
    public Optional<ProtocolHandler<?>> protocolHandler() {
        return Optional.ofNullable(v.protocolHandler);
    }

    /** Most callers that may wait for a connection to one endpoint; empty means unlimited. */
    public OptionalInt maxPendingAcquires() {
        return v.maxPendingAcquires == Integer.MAX_VALUE ? OptionalInt.empty() : OptionalInt.of(v.maxPendingAcquires);
    }

    /** A lease held longer than this is reported once with its borrower's stack; empty means off. */
    public Optional<Duration> leakDetectionThreshold() {
        return Optional.ofNullable(v.leakDetectionThreshold);
    }

    public boolean circuitBreakerEnabled() {
        return v.circuitBreakerEnabled;
    }

    /** Consecutive failed connects (each after all its attempts) that open the breaker. */
    public int circuitBreakerFailureThreshold() {
        return v.circuitBreakerFailureThreshold;
    }

    /** How long the breaker stays open after its first trip; doubles on each further trip. */
    public Duration circuitBreakerOpenDuration() {
        return v.circuitBreakerOpenDuration;
    }

    /** Upper bound of the growing open period. */
    public Duration circuitBreakerMaxOpenDuration() {
        return v.circuitBreakerMaxOpenDuration;
    }

    @Override
    public boolean equals(Object o) {
        return this == o || (o instanceof PoolConfig && Arrays.equals(v.values(), ((PoolConfig) o).v.values()));
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(v.values());
    }

    /** Every setting by name; unlimited sizes read "unlimited", unset options "none". */
    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        Object[] values = v.values();
        for (int i = 0; i < Values.FIELDS.length; i++) {
            Object value = values[i];
            String shown = value == null ? "none"
                    : Objects.equals(value, Integer.MAX_VALUE) || Objects.equals(value, Long.MAX_VALUE) ? "unlimited"
                    : String.valueOf(value);
            parts.add(Values.FIELDS[i].getName() + "=" + shown);
        }
        return "PoolConfig" + parts;
    }

    /**
     * Every setting with its default, written down once. A {@link Builder} fills one; a {@link PoolConfig} keeps a
     * copy. Copies, {@code equals}, {@code hashCode} and {@code toString} go over the fields by reflection, so they
     * cannot forget one. Field names are the getters' and the builder methods' names, and the names
     * {@link InvalidConfigException} reports.
     */
    private static final class Values implements Cloneable {

        /** The settings, in declaration order (static fields excluded). */
        static final Field[] FIELDS = Arrays.stream(Values.class.getDeclaredFields())
            .filter(f -> !Modifier.isStatic(f.getModifiers()))
            .toArray(Field[]::new);

        int maxConnectionsPerEndpoint = 10;

        int maxIdlePerEndpoint = 5;

        int minIdlePerEndpoint = 0;

        Duration connectionTimeout = Duration.ofSeconds(10);

        Duration acquireTimeout = Duration.ofSeconds(30);

        Duration maxIdleTime = Duration.ofSeconds(60);

        Duration maxConnectionLifetime = Duration.ofMinutes(5);

        double lifetimeJitter = 0.05;

        /** {@code Long.MAX_VALUE}: unlimited. */
        long maxConnectionUses = Long.MAX_VALUE;

        Duration validationInterval = Duration.ofSeconds(30);

        int connectAttempts = 3;

        Duration connectBackoff = Duration.ofMillis(100);

        /** {@code null}: none. */
        HealthCheck healthCheck;

        Duration healthCheckTimeout = Duration.ofSeconds(2);

        /** {@code null}: off. */
        Duration healthCheckInterval;

        /** {@code null}: off. */
        Duration healthCheckBypassWindow;

        /** {@code null}: none. */
        ProtocolHandler<?> protocolHandler;

        /** {@code Integer.MAX_VALUE}: unlimited. */
        int maxPendingAcquires = Integer.MAX_VALUE;

        /** {@code null}: off. */
        Duration leakDetectionThreshold;

        boolean circuitBreakerEnabled = true;

        int circuitBreakerFailureThreshold = 5;

        Duration circuitBreakerOpenDuration = Duration.ofSeconds(1);

        Duration circuitBreakerMaxOpenDuration = Duration.ofSeconds(60);

        Values copy() {
            try {
                return (Values) clone(); // every field is a primitive or an immutable value: a shallow copy is a copy
            }
            catch (CloneNotSupportedException ex) {
                throw new AssertionError(ex);
            }
        }

        /** The fields' values, in {@link #FIELDS} order. */
        Object[] values() {
            Object[] values = new Object[FIELDS.length];
            try {
                for (int i = 0; i < FIELDS.length; i++) {
                    values[i] = FIELDS[i].get(this);
                }
            }
            catch (IllegalAccessException ex) {
                throw new AssertionError(ex); // same package: cannot happen
            }
            return values;
        }
    }

    /** Builds a {@link PoolConfig}; {@link #build()} validates every field. */
    public static final class Builder {

        private final Values v;

        private Builder(Values values) {
            this.v = values;
        }

        public Builder maxConnectionsPerEndpoint(int value) {
            v.maxConnectionsPerEndpoint = value;
            return this;
        }

        public Builder maxIdlePerEndpoint(int value) {
            v.maxIdlePerEndpoint = value;
            return this;
        }

        public Builder minIdlePerEndpoint(int value) {
            v.minIdlePerEndpoint = value;
            return this;
        }

        public Builder connectionTimeout(Duration value) {
            v.connectionTimeout = value;
            return this;
        }

        public Builder acquireTimeout(Duration value) {
            v.acquireTimeout = value;
            return this;
        }

        public Builder maxIdleTime(Duration value) {
            v.maxIdleTime = value;
            return this;
        }

        public Builder maxConnectionLifetime(Duration value) {
            v.maxConnectionLifetime = value;
            return this;
        }

        /** Fraction from 0 (no jitter) to 0.5. */
        public Builder lifetimeJitter(double value) {
            v.lifetimeJitter = value;
            return this;
        }

        /** At least 1. */
        public Builder maxConnectionUses(long value) {
            // Checked here, not only in build(): Long.MAX_VALUE stands for "unlimited", so a bad value must not be
            // stored first and mistaken for a limit.
            if (value < 1) {
                throw new InvalidConfigException("maxConnectionUses", value, "must be at least 1 (leave unset for unlimited)");
            }
            v.maxConnectionUses = value;
            return this;
        }

        /** Back to unlimited uses. */
        public Builder unlimitedConnectionUses() {
            v.maxConnectionUses = Long.MAX_VALUE;
            return this;
        }

        public Builder validationInterval(Duration value) {
            v.validationInterval = value;
            return this;
        }

        public Builder connectAttempts(int value) {
            v.connectAttempts = value;
            return this;
        }

        public Builder connectBackoff(Duration value) {
            v.connectBackoff = value;
            return this;
        }

        /** {@code null} for none. */
        public Builder healthCheck(HealthCheck value) {
            v.healthCheck = value;
            return this;
        }

        public Builder healthCheckTimeout(Duration value) {
            v.healthCheckTimeout = value;
            return this;
        }

        /** {@code null} turns background health checks off. */
        public Builder healthCheckInterval(Duration value) {
            v.healthCheckInterval = value;
            return this;
        }

        /** {@code null} turns the bypass off: every reuse is checked. */
        public Builder healthCheckBypassWindow(Duration value) {
            v.healthCheckBypassWindow = value;
            return this;
        }

        /** {@code null} for none. */
        public Builder protocolHandler(ProtocolHandler<?> value) {
            v.protocolHandler = value;
            return this;
        }

        /** 0 means never wait: fail at once when no connection is free. */
        public Builder maxPendingAcquires(int value) {
            if (value < 0) {
                throw new InvalidConfigException("maxPendingAcquires", value,
                        "must be 0 or more (leave unset for unlimited)");
            }
            v.maxPendingAcquires = value;
            return this;
        }

        /** Back to an unlimited number of waiters. */
        public Builder unlimitedPendingAcquires() {
            v.maxPendingAcquires = Integer.MAX_VALUE;
            return this;
        }

        /** {@code null} turns leak detection off. */
        public Builder leakDetectionThreshold(Duration value) {
            v.leakDetectionThreshold = value;
            return this;
        }

        public Builder circuitBreakerEnabled(boolean value) {
            v.circuitBreakerEnabled = value;
            return this;
        }

        public Builder circuitBreakerFailureThreshold(int value) {
            v.circuitBreakerFailureThreshold = value;
            return this;
        }

        public Builder circuitBreakerOpenDuration(Duration value) {
            v.circuitBreakerOpenDuration = value;
            return this;
        }

        public Builder circuitBreakerMaxOpenDuration(Duration value) {
            v.circuitBreakerMaxOpenDuration = value;
            return this;
        }

        /**
         * Validates and builds. The builder stays usable; later changes do not reach the built config.
         *
         * @throws InvalidConfigException naming the first bad field and its value
         */
        public PoolConfig build() {
            atLeast("maxConnectionsPerEndpoint", v.maxConnectionsPerEndpoint, 1);
            atLeast("maxIdlePerEndpoint", v.maxIdlePerEndpoint, 0);
            atLeast("minIdlePerEndpoint", v.minIdlePerEndpoint, 0);
            if (v.maxIdlePerEndpoint > v.maxConnectionsPerEndpoint) {
                throw new InvalidConfigException("maxIdlePerEndpoint", v.maxIdlePerEndpoint, "must not exceed",
                        "maxConnectionsPerEndpoint", v.maxConnectionsPerEndpoint);
            }
            if (v.minIdlePerEndpoint > v.maxIdlePerEndpoint) {
                throw new InvalidConfigException("minIdlePerEndpoint", v.minIdlePerEndpoint, "must not exceed",
                        "maxIdlePerEndpoint", v.maxIdlePerEndpoint);
            }
            positive("connectionTimeout", v.connectionTimeout);
            positive("acquireTimeout", v.acquireTimeout);
            positive("maxIdleTime", v.maxIdleTime);
            positive("maxConnectionLifetime", v.maxConnectionLifetime);
            if (!(v.lifetimeJitter >= 0 && v.lifetimeJitter <= 0.5)) {
                throw new InvalidConfigException("lifetimeJitter", v.lifetimeJitter, "must be between 0 and 0.5");
            }
            atLeast("maxConnectionUses", v.maxConnectionUses, 1);
            positive("validationInterval", v.validationInterval);
            atLeast("connectAttempts", v.connectAttempts, 1);
            notNegative("connectBackoff", v.connectBackoff);
            positive("healthCheckTimeout", v.healthCheckTimeout);
            if (v.healthCheckInterval != null) {
                positive("healthCheckInterval", v.healthCheckInterval);
            }
            if (v.healthCheckBypassWindow != null) {
                positive("healthCheckBypassWindow", v.healthCheckBypassWindow);
            }
            atLeast("maxPendingAcquires", v.maxPendingAcquires, 0);
            if (v.leakDetectionThreshold != null) {
                positive("leakDetectionThreshold", v.leakDetectionThreshold);
            }
            atLeast("circuitBreakerFailureThreshold", v.circuitBreakerFailureThreshold, 1);
            positive("circuitBreakerOpenDuration", v.circuitBreakerOpenDuration);
            positive("circuitBreakerMaxOpenDuration", v.circuitBreakerMaxOpenDuration);
            if (v.circuitBreakerMaxOpenDuration.compareTo(v.circuitBreakerOpenDuration) < 0) {
                throw new InvalidConfigException("circuitBreakerMaxOpenDuration", v.circuitBreakerMaxOpenDuration,
                        "must not be shorter than", "circuitBreakerOpenDuration", v.circuitBreakerOpenDuration);
            }
            return new PoolConfig(v.copy());
        }

        private static void atLeast(String name, long value, long min) {
            if (value < min) {
                throw new InvalidConfigException(name, value, "must be at least " + min);
            }
        }

        private static void positive(String name, Duration value) {
            if (value == null) {
                throw new InvalidConfigException(name, null, "must be set");
            }
            if (value.isNegative() || value.isZero()) {
                throw new InvalidConfigException(name, value,
                        "must be positive (zero or negative would mean no limit, which conpool does not allow)");
            }
        }

        private static void notNegative(String name, Duration value) {
            if (value == null || value.isNegative()) {
                throw new InvalidConfigException(name, value, "must be zero or positive");
            }
        }
    }
}
