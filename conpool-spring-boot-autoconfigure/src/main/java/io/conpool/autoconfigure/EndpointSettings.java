package io.conpool.autoconfigure;

import java.time.Duration;

/**
 * The limits and timeouts of the connections to an endpoint, as properties: bound at {@code conpool.*} as the
 * defaults of every endpoint ({@link ConpoolProperties} extends this class) and at {@code conpool.endpoints.<name>.*}
 * as one endpoint's overrides ({@link ConpoolProperties.EndpointProperties} extends it too).
 *
 * <p>Every value is {@code null} unless configured. An endpoint's unset value is the pool-wide one; an unset
 * pool-wide value is the core's default ({@link io.conpool.PoolConfig}), which is written down there and nowhere
 * else.
 *
 * <p>Each property here is a {@link io.conpool.PoolConfig.Builder} method of the same name, the property's path
 * in camel case ({@code connection-timeout}: {@code connectionTimeout(Duration)},
 * {@code circuit-breaker.open-duration}: {@code circuitBreakerOpenDuration(Duration)}). {@link CoreSettings} applies
 * them by that rule, names them in error messages and shows them in the actuator endpoint, so a new setting is a
 * field here (with its getter and setter), the core's setting, and its metadata for endpoints in
 * {@code META-INF/additional-spring-configuration-metadata.json}.
 */
public class EndpointSettings {

    /** Time allowed to open a connection, TCP connect plus TLS handshake, per attempt. */
    private Duration connectionTimeout;

    /** Time allowed for a whole acquire: waiting for a free slot, validating, connecting. */
    private Duration acquireTimeout;

    /** Idle connections older than this are closed. */
    private Duration maxIdleTime;

    /** Connections older than this are closed when idle or on return (never mid-use). */
    private Duration maxConnectionLifetime;

    /** Fraction (0 to 0.5) by which each connection's lifetime is shortened at random, so they do not retire together. */
    private Double lifetimeJitter;

    /** Leases after which a connection is closed; unset means unlimited. */
    private Long maxConnectionUses;

    /** Time between background sweeps (expiry, liveness of idle connections, min idle, DNS refresh). */
    private Duration validationInterval;

    /** Connect attempts per new connection, each trying every resolved address. */
    private Integer connectAttempts;

    /** Pause before the second connect attempt; doubles before each further one. */
    private Duration connectBackoff;

    /**
     * Check run before an idle connection is reused: a built-in name (redis-ping), the name of a HealthCheck bean, or
     * 'none'. Unset means none.
     */
    private String healthCheck;

    /** Read timeout while the health check runs. */
    private Duration healthCheckTimeout;

    /**
     * How often idle connections are health-checked in the background (those not checked within it), so a backend that
     * answers TCP but not the protocol is noticed before a caller meets it. Unset means only before reuse.
     */
    private Duration healthCheckInterval;

    /**
     * A connection whose health check passed this recently (before reuse or in the background) is reused without
     * another one: a round trip saved per reuse. Unset means every reuse is checked.
     */
    private Duration healthCheckBypassWindow;

    /**
     * The protocol spoken on the connections (handshake after connect, reset on release, health, goodbye): the
     * built-in 'redis' (configured under redis.*), the name of a ProtocolHandler bean, or 'none'. Unset means none.
     */
    @CoreName("protocolHandler")
    private String protocol;

    /** The built-in redis protocol's settings (used with protocol: redis). */
    @StarterSetting
    private final Redis redis = new Redis();

    /** Most callers that may wait for a connection to one endpoint (0: never wait); unset means unlimited. */
    private Integer maxPendingAcquires;

    /** A lease held longer than this is logged once with the borrower's stack trace; unset means off. */
    private Duration leakDetectionThreshold;

    /** Circuit breaker of each endpoint. */
    private final CircuitBreaker circuitBreaker = new CircuitBreaker();

    public Duration getConnectionTimeout() {
        return connectionTimeout;
    }

    public void setConnectionTimeout(Duration connectionTimeout) {
        this.connectionTimeout = connectionTimeout;
    }

    public Duration getAcquireTimeout() {
        return acquireTimeout;
    }

    public void setAcquireTimeout(Duration acquireTimeout) {
        this.acquireTimeout = acquireTimeout;
    }

    public Duration getMaxIdleTime() {
        return maxIdleTime;
    }

    public void setMaxIdleTime(Duration maxIdleTime) {
        this.maxIdleTime = maxIdleTime;
    }

    public Duration getMaxConnectionLifetime() {
        return maxConnectionLifetime;
    }

    public void setMaxConnectionLifetime(Duration maxConnectionLifetime) {
        this.maxConnectionLifetime = maxConnectionLifetime;
    }

    public Double getLifetimeJitter() {
        return lifetimeJitter;
    }

    public void setLifetimeJitter(Double lifetimeJitter) {
        this.lifetimeJitter = lifetimeJitter;
    }

    public Long getMaxConnectionUses() {
        return maxConnectionUses;
    }

    public void setMaxConnectionUses(Long maxConnectionUses) {
        this.maxConnectionUses = maxConnectionUses;
    }

    public Duration getValidationInterval() {
        return validationInterval;
    }

    public void setValidationInterval(Duration validationInterval) {
        this.validationInterval = validationInterval;
    }

    public Integer getConnectAttempts() {
        return connectAttempts;
    }

    public void setConnectAttempts(Integer connectAttempts) {
        this.connectAttempts = connectAttempts;
    }

    public Duration getConnectBackoff() {
        return connectBackoff;
    }

    public void setConnectBackoff(Duration connectBackoff) {
        this.connectBackoff = connectBackoff;
    }

    public String getHealthCheck() {
        return healthCheck;
    }

    public void setHealthCheck(String healthCheck) {
        this.healthCheck = healthCheck;
    }

    public Duration getHealthCheckTimeout() {
        return healthCheckTimeout;
    }

    public void setHealthCheckTimeout(Duration healthCheckTimeout) {
        this.healthCheckTimeout = healthCheckTimeout;
    }

    public Duration getHealthCheckInterval() {
        return healthCheckInterval;
    }

    public void setHealthCheckInterval(Duration healthCheckInterval) {
        this.healthCheckInterval = healthCheckInterval;
    }

    public Duration getHealthCheckBypassWindow() {
        return healthCheckBypassWindow;
    }

    public void setHealthCheckBypassWindow(Duration healthCheckBypassWindow) {
        this.healthCheckBypassWindow = healthCheckBypassWindow;
    }

    public String getProtocol() {
        return protocol;
    }

    public void setProtocol(String protocol) {
        this.protocol = protocol;
    }

    public Integer getMaxPendingAcquires() {
        return maxPendingAcquires;
    }

    public void setMaxPendingAcquires(Integer maxPendingAcquires) {
        this.maxPendingAcquires = maxPendingAcquires;
    }

    public Duration getLeakDetectionThreshold() {
        return leakDetectionThreshold;
    }

    public void setLeakDetectionThreshold(Duration leakDetectionThreshold) {
        this.leakDetectionThreshold = leakDetectionThreshold;
    }

    public CircuitBreaker getCircuitBreaker() {
        return circuitBreaker;
    }

    public Redis getRedis() {
        return redis;
    }

    /**
     * Settings of the built-in redis protocol ({@link io.conpool.RedisProtocol}): what it sends after connect and
     * whether it checks each release. Each unset value of an endpoint is the pool-wide one.
     */
    public static class Redis {

        /** ACL user name for AUTH (Redis 6+); needs a password. Unset means the default user. */
        private String username;

        /** Password for AUTH; unset means no AUTH. Never logged nor shown by the actuator. */
        private String password;

        /** Database to SELECT after connect (and again on each release); unset means none (the server's 0). */
        private Integer database;

        /** Name given with CLIENT SETNAME after connect (no spaces); unset means none. */
        private String clientName;

        /**
         * Whether each release costs a round trip (UNWATCH, plus SELECT when a database is set) that finds a connection
         * left inside MULTI or in subscriber mode and destroys it instead of handing it on.
         */
        private Boolean resetOnRelease;

        public String getUsername() {
            return username;
        }

        public void setUsername(String username) {
            this.username = username;
        }

        public String getPassword() {
            return password;
        }

        public void setPassword(String password) {
            this.password = password;
        }

        public Integer getDatabase() {
            return database;
        }

        public void setDatabase(Integer database) {
            this.database = database;
        }

        public String getClientName() {
            return clientName;
        }

        public void setClientName(String clientName) {
            this.clientName = clientName;
        }

        public Boolean getResetOnRelease() {
            return resetOnRelease;
        }

        public void setResetOnRelease(Boolean resetOnRelease) {
            this.resetOnRelease = resetOnRelease;
        }

        /** Masks the password. */
        @Override
        public String toString() {
            return "Redis[username=" + username + ", password=" + (password == null ? null : "****") + ", database="
                    + database + ", clientName=" + clientName + ", resetOnRelease=" + resetOnRelease + "]";
        }
    }

    /** Circuit breaker settings (the core's {@code circuitBreaker*} settings). */
    public static class CircuitBreaker {

        /** Whether the endpoint's circuit breaker is on. */
        private Boolean enabled;

        /** Consecutive failed connects (each after all its attempts) that open the breaker. */
        private Integer failureThreshold;

        /** How long the breaker stays open after its first trip; doubles (with jitter) on each further trip. */
        private Duration openDuration;

        /** Upper bound of the growing open period. */
        private Duration maxOpenDuration;

        public Boolean getEnabled() {
            return enabled;
        }

        public void setEnabled(Boolean enabled) {
            this.enabled = enabled;
        }

        public Integer getFailureThreshold() {
            return failureThreshold;
        }

        public void setFailureThreshold(Integer failureThreshold) {
            this.failureThreshold = failureThreshold;
        }

        public Duration getOpenDuration() {
            return openDuration;
        }

        public void setOpenDuration(Duration openDuration) {
            this.openDuration = openDuration;
        }

        public Duration getMaxOpenDuration() {
            return maxOpenDuration;
        }

        public void setMaxOpenDuration(Duration maxOpenDuration) {
            this.maxOpenDuration = maxOpenDuration;
        }
    }
}
