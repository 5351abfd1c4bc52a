package io.conpool;

import java.time.Duration;
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
 * <tr><td>maxPendingAcquires</td><td>unlimited (waiters are still bounded by acquireTimeout)</td></tr>
 * <tr><td>leakDetectionThreshold</td><td>off</td></tr>
 * <tr><td>circuit breaker</td><td>on: opens after 5 consecutive failed connects for 1 s, doubling per trip up
 * to 60 s</td></tr>
 * </table>
 */
public final class PoolConfig {

    private static final PoolConfig DEFAULTS = new Builder().build();

    private final int maxConnectionsPerEndpoint;

    private final int maxIdlePerEndpoint;

    private final int minIdlePerEndpoint;

    private final Duration connectionTimeout;

    private final Duration acquireTimeout;

    private final Duration maxIdleTime;

    private final Duration maxConnectionLifetime;

    private final double lifetimeJitter;

    private final long maxConnectionUses;

    private final Duration validationInterval;

    private final int connectAttempts;

    private final Duration connectBackoff;

    private final HealthCheck healthCheck;

    private final Duration healthCheckTimeout;

    private final int maxPendingAcquires;

    private final Duration leakDetectionThreshold;

    private final boolean circuitBreakerEnabled;

    private final int circuitBreakerFailureThreshold;

    private final Duration circuitBreakerOpenDuration;

    private final Duration circuitBreakerMaxOpenDuration;

    private PoolConfig(Builder b) {
        this.maxConnectionsPerEndpoint = b.maxConnectionsPerEndpoint;
        this.maxIdlePerEndpoint = b.maxIdlePerEndpoint;
        this.minIdlePerEndpoint = b.minIdlePerEndpoint;
        this.connectionTimeout = b.connectionTimeout;
        this.acquireTimeout = b.acquireTimeout;
        this.maxIdleTime = b.maxIdleTime;
        this.maxConnectionLifetime = b.maxConnectionLifetime;
        this.lifetimeJitter = b.lifetimeJitter;
        this.maxConnectionUses = b.maxConnectionUses;
        this.validationInterval = b.validationInterval;
        this.connectAttempts = b.connectAttempts;
        this.connectBackoff = b.connectBackoff;
        this.healthCheck = b.healthCheck;
        this.healthCheckTimeout = b.healthCheckTimeout;
        this.maxPendingAcquires = b.maxPendingAcquires;
        this.leakDetectionThreshold = b.leakDetectionThreshold;
        this.circuitBreakerEnabled = b.circuitBreakerEnabled;
        this.circuitBreakerFailureThreshold = b.circuitBreakerFailureThreshold;
        this.circuitBreakerOpenDuration = b.circuitBreakerOpenDuration;
        this.circuitBreakerMaxOpenDuration = b.circuitBreakerMaxOpenDuration;
    }

    /** The defaults listed above. */
    public static PoolConfig defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these settings, for overrides. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * Checks every rule again and returns this. {@link Builder#build()} already does; this is for callers that
     * want to say so explicitly.
     *
     * @throws InvalidConfigException naming the first bad field and its value
     */
    public PoolConfig validate() {
        new Builder(this).build();
        return this;
    }

    /** Most connections (leased, idle and being opened) to one endpoint at once. */
    public int maxConnectionsPerEndpoint() {
        return maxConnectionsPerEndpoint;
    }

    /** Most idle connections kept per endpoint; the sweep closes the surplus, longest idle first. */
    public int maxIdlePerEndpoint() {
        return maxIdlePerEndpoint;
    }

    /** Idle connections the sweep keeps open per endpoint (opened in the background). */
    public int minIdlePerEndpoint() {
        return minIdlePerEndpoint;
    }

    /** Budget of one connect attempt: TCP connect to every address plus the TLS handshake. */
    public Duration connectionTimeout() {
        return connectionTimeout;
    }

    /** Budget of a whole {@code acquire}: waiting for a slot, validating, connecting. */
    public Duration acquireTimeout() {
        return acquireTimeout;
    }

    /** An idle connection older than this is closed instead of reused. */
    public Duration maxIdleTime() {
        return maxIdleTime;
    }

    /** A connection older than this (less its jitter) is retired: when idle, or when returned. */
    public Duration maxConnectionLifetime() {
        return maxConnectionLifetime;
    }

    /** Fraction (0 to 0.5) by which each connection's lifetime is shortened at random, to spread retirement. */
    public double lifetimeJitter() {
        return lifetimeJitter;
    }

    /** Leases after which a connection is retired; empty means unlimited. */
    public OptionalLong maxConnectionUses() {
        return maxConnectionUses == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(maxConnectionUses);
    }

    /** Time between background sweeps (expiry, liveness of idle connections, min idle, DNS refresh). */
    public Duration validationInterval() {
        return validationInterval;
    }

    /** Connect attempts per new connection, each trying every resolved address. */
    public int connectAttempts() {
        return connectAttempts;
    }

    /** Pause before the second attempt; doubles before each further one. */
    public Duration connectBackoff() {
        return connectBackoff;
    }

    /** Check run before an idle connection is reused; empty if none. */
    public Optional<HealthCheck> healthCheck() {
        return Optional.ofNullable(healthCheck);
    }

    /** Read timeout applied to the socket while the health check runs. */
    public Duration healthCheckTimeout() {
        return healthCheckTimeout;
    }

    /** Most callers that may wait for a connection to one endpoint; empty means unlimited. */
    public OptionalInt maxPendingAcquires() {
        return maxPendingAcquires == Integer.MAX_VALUE ? OptionalInt.empty() : OptionalInt.of(maxPendingAcquires);
    }

    /** A lease held longer than this is reported once with its borrower's stack; empty means off. */
    public Optional<Duration> leakDetectionThreshold() {
        return Optional.ofNullable(leakDetectionThreshold);
    }

    public boolean circuitBreakerEnabled() {
        return circuitBreakerEnabled;
    }

    /** Consecutive failed connects (each after all its attempts) that open the breaker. */
    public int circuitBreakerFailureThreshold() {
        return circuitBreakerFailureThreshold;
    }

    /** How long the breaker stays open after its first trip; doubles on each further trip. */
    public Duration circuitBreakerOpenDuration() {
        return circuitBreakerOpenDuration;
    }

    /** Upper bound of the growing open period. */
    public Duration circuitBreakerMaxOpenDuration() {
        return circuitBreakerMaxOpenDuration;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof PoolConfig)) {
            return false;
        }
        PoolConfig c = (PoolConfig) o;
        return maxConnectionsPerEndpoint == c.maxConnectionsPerEndpoint && maxIdlePerEndpoint == c.maxIdlePerEndpoint
                && minIdlePerEndpoint == c.minIdlePerEndpoint && connectionTimeout.equals(c.connectionTimeout)
                && acquireTimeout.equals(c.acquireTimeout) && maxIdleTime.equals(c.maxIdleTime)
                && maxConnectionLifetime.equals(c.maxConnectionLifetime) && lifetimeJitter == c.lifetimeJitter
                && maxConnectionUses == c.maxConnectionUses && validationInterval.equals(c.validationInterval)
                && connectAttempts == c.connectAttempts && connectBackoff.equals(c.connectBackoff)
                && Objects.equals(healthCheck, c.healthCheck) && healthCheckTimeout.equals(c.healthCheckTimeout)
                && maxPendingAcquires == c.maxPendingAcquires
                && Objects.equals(leakDetectionThreshold, c.leakDetectionThreshold)
                && circuitBreakerEnabled == c.circuitBreakerEnabled
                && circuitBreakerFailureThreshold == c.circuitBreakerFailureThreshold
                && circuitBreakerOpenDuration.equals(c.circuitBreakerOpenDuration)
                && circuitBreakerMaxOpenDuration.equals(c.circuitBreakerMaxOpenDuration);
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxConnectionsPerEndpoint, maxIdlePerEndpoint, minIdlePerEndpoint, connectionTimeout,
                acquireTimeout, maxIdleTime, maxConnectionLifetime, maxConnectionUses, validationInterval);
    }

    @Override
    public String toString() {
        return "PoolConfig[maxConnectionsPerEndpoint=" + maxConnectionsPerEndpoint + ", maxIdlePerEndpoint="
                + maxIdlePerEndpoint + ", minIdlePerEndpoint=" + minIdlePerEndpoint + ", connectionTimeout="
                + connectionTimeout + ", acquireTimeout=" + acquireTimeout + ", maxIdleTime=" + maxIdleTime
                + ", maxConnectionLifetime=" + maxConnectionLifetime + ", lifetimeJitter=" + lifetimeJitter
                + ", maxConnectionUses=" + (maxConnectionUses == Long.MAX_VALUE ? "unlimited" : maxConnectionUses)
                + ", validationInterval=" + validationInterval + ", connectAttempts=" + connectAttempts
                + ", connectBackoff=" + connectBackoff + ", healthCheck=" + (healthCheck == null ? "none" : healthCheck)
                + ", healthCheckTimeout=" + healthCheckTimeout + ", maxPendingAcquires="
                + (maxPendingAcquires == Integer.MAX_VALUE ? "unlimited" : maxPendingAcquires)
                + ", leakDetectionThreshold=" + (leakDetectionThreshold == null ? "off" : leakDetectionThreshold)
                + ", circuitBreaker=" + (circuitBreakerEnabled ? circuitBreakerFailureThreshold + " failures/"
                        + circuitBreakerOpenDuration + ".." + circuitBreakerMaxOpenDuration : "off")
                + "]";
    }

    /** Builds a {@link PoolConfig}; {@link #build()} validates every field. */
    public static final class Builder {

        private int maxConnectionsPerEndpoint = 10;

        private int maxIdlePerEndpoint = 5;

        private int minIdlePerEndpoint = 0;

        private Duration connectionTimeout = Duration.ofSeconds(10);

        private Duration acquireTimeout = Duration.ofSeconds(30);

        private Duration maxIdleTime = Duration.ofSeconds(60);

        private Duration maxConnectionLifetime = Duration.ofMinutes(5);

        private double lifetimeJitter = 0.05;

        private long maxConnectionUses = Long.MAX_VALUE;

        private Duration validationInterval = Duration.ofSeconds(30);

        private int connectAttempts = 3;

        private Duration connectBackoff = Duration.ofMillis(100);

        private HealthCheck healthCheck;

        private Duration healthCheckTimeout = Duration.ofSeconds(2);

        private int maxPendingAcquires = Integer.MAX_VALUE;

        private Duration leakDetectionThreshold;

        private boolean circuitBreakerEnabled = true;

        private int circuitBreakerFailureThreshold = 5;

        private Duration circuitBreakerOpenDuration = Duration.ofSeconds(1);

        private Duration circuitBreakerMaxOpenDuration = Duration.ofSeconds(60);

        private Builder() {
        }

        private Builder(PoolConfig c) {
            this.maxConnectionsPerEndpoint = c.maxConnectionsPerEndpoint;
            this.maxIdlePerEndpoint = c.maxIdlePerEndpoint;
            this.minIdlePerEndpoint = c.minIdlePerEndpoint;
            this.connectionTimeout = c.connectionTimeout;
            this.acquireTimeout = c.acquireTimeout;
            this.maxIdleTime = c.maxIdleTime;
            this.maxConnectionLifetime = c.maxConnectionLifetime;
            this.lifetimeJitter = c.lifetimeJitter;
            this.maxConnectionUses = c.maxConnectionUses;
            this.validationInterval = c.validationInterval;
            this.connectAttempts = c.connectAttempts;
            this.connectBackoff = c.connectBackoff;
            this.healthCheck = c.healthCheck;
            this.healthCheckTimeout = c.healthCheckTimeout;
            this.maxPendingAcquires = c.maxPendingAcquires;
            this.leakDetectionThreshold = c.leakDetectionThreshold;
            this.circuitBreakerEnabled = c.circuitBreakerEnabled;
            this.circuitBreakerFailureThreshold = c.circuitBreakerFailureThreshold;
            this.circuitBreakerOpenDuration = c.circuitBreakerOpenDuration;
            this.circuitBreakerMaxOpenDuration = c.circuitBreakerMaxOpenDuration;
        }

        public Builder maxConnectionsPerEndpoint(int value) {
            this.maxConnectionsPerEndpoint = value;
            return this;
        }

        public Builder maxIdlePerEndpoint(int value) {
            this.maxIdlePerEndpoint = value;
            return this;
        }

        public Builder minIdlePerEndpoint(int value) {
            this.minIdlePerEndpoint = value;
            return this;
        }

        public Builder connectionTimeout(Duration value) {
            this.connectionTimeout = value;
            return this;
        }

        public Builder acquireTimeout(Duration value) {
            this.acquireTimeout = value;
            return this;
        }

        public Builder maxIdleTime(Duration value) {
            this.maxIdleTime = value;
            return this;
        }

        public Builder maxConnectionLifetime(Duration value) {
            this.maxConnectionLifetime = value;
            return this;
        }

        /** Fraction from 0 (no jitter) to 0.5. */
        public Builder lifetimeJitter(double value) {
            this.lifetimeJitter = value;
            return this;
        }

        /** At least 1. */
        public Builder maxConnectionUses(long value) {
            if (value < 1) {
                throw new InvalidConfigException("maxConnectionUses", value, "must be at least 1 (leave unset for unlimited)");
            }
            this.maxConnectionUses = value;
            return this;
        }

        /** Back to unlimited uses. */
        public Builder unlimitedConnectionUses() {
            this.maxConnectionUses = Long.MAX_VALUE;
            return this;
        }

        public Builder validationInterval(Duration value) {
            this.validationInterval = value;
            return this;
        }

        public Builder connectAttempts(int value) {
            this.connectAttempts = value;
            return this;
        }

        public Builder connectBackoff(Duration value) {
            this.connectBackoff = value;
            return this;
        }

        /** {@code null} for none. */
        public Builder healthCheck(HealthCheck value) {
            this.healthCheck = value;
            return this;
        }

        public Builder healthCheckTimeout(Duration value) {
            this.healthCheckTimeout = value;
            return this;
        }

        /** 0 means never wait: fail at once when no connection is free. */
        public Builder maxPendingAcquires(int value) {
            if (value < 0) {
                throw new InvalidConfigException("maxPendingAcquires", value,
                        "must be 0 or more (leave unset for unlimited)");
            }
            this.maxPendingAcquires = value;
            return this;
        }

        /** Back to an unlimited number of waiters. */
        public Builder unlimitedPendingAcquires() {
            this.maxPendingAcquires = Integer.MAX_VALUE;
            return this;
        }

        /** {@code null} turns leak detection off. */
        public Builder leakDetectionThreshold(Duration value) {
            this.leakDetectionThreshold = value;
            return this;
        }

        public Builder circuitBreakerEnabled(boolean value) {
            this.circuitBreakerEnabled = value;
            return this;
        }

        public Builder circuitBreakerFailureThreshold(int value) {
            this.circuitBreakerFailureThreshold = value;
            return this;
        }

        public Builder circuitBreakerOpenDuration(Duration value) {
            this.circuitBreakerOpenDuration = value;
            return this;
        }

        public Builder circuitBreakerMaxOpenDuration(Duration value) {
            this.circuitBreakerMaxOpenDuration = value;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @throws InvalidConfigException naming the first bad field and its value
         */
        public PoolConfig build() {
            atLeast("maxConnectionsPerEndpoint", maxConnectionsPerEndpoint, 1);
            atLeast("maxIdlePerEndpoint", maxIdlePerEndpoint, 0);
            atLeast("minIdlePerEndpoint", minIdlePerEndpoint, 0);
            if (maxIdlePerEndpoint > maxConnectionsPerEndpoint) {
                throw new InvalidConfigException("maxIdlePerEndpoint", maxIdlePerEndpoint,
                        "must not exceed maxConnectionsPerEndpoint (" + maxConnectionsPerEndpoint + ")");
            }
            if (minIdlePerEndpoint > maxIdlePerEndpoint) {
                throw new InvalidConfigException("minIdlePerEndpoint", minIdlePerEndpoint,
                        "must not exceed maxIdlePerEndpoint (" + maxIdlePerEndpoint + ")");
            }
            positive("connectionTimeout", connectionTimeout);
            positive("acquireTimeout", acquireTimeout);
            positive("maxIdleTime", maxIdleTime);
            positive("maxConnectionLifetime", maxConnectionLifetime);
            if (!(lifetimeJitter >= 0 && lifetimeJitter <= 0.5)) {
                throw new InvalidConfigException("lifetimeJitter", lifetimeJitter, "must be between 0 and 0.5");
            }
            atLeast("maxConnectionUses", maxConnectionUses, 1);
            positive("validationInterval", validationInterval);
            atLeast("connectAttempts", connectAttempts, 1);
            notNegative("connectBackoff", connectBackoff);
            positive("healthCheckTimeout", healthCheckTimeout);
            atLeast("maxPendingAcquires", maxPendingAcquires, 0);
            if (leakDetectionThreshold != null) {
                positive("leakDetectionThreshold", leakDetectionThreshold);
            }
            atLeast("circuitBreakerFailureThreshold", circuitBreakerFailureThreshold, 1);
            positive("circuitBreakerOpenDuration", circuitBreakerOpenDuration);
            positive("circuitBreakerMaxOpenDuration", circuitBreakerMaxOpenDuration);
            if (circuitBreakerMaxOpenDuration.compareTo(circuitBreakerOpenDuration) < 0) {
                throw new InvalidConfigException("circuitBreakerMaxOpenDuration", circuitBreakerMaxOpenDuration,
                        "must not be shorter than circuitBreakerOpenDuration (" + circuitBreakerOpenDuration + ")");
            }
            return new PoolConfig(this);
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
