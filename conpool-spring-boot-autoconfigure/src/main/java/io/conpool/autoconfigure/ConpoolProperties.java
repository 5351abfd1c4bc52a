package io.conpool.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings of the auto-configured {@link io.conpool.ConnectionPool}, bound from {@code conpool.*}.
 *
 * <p>Pool-wide values are the defaults of every endpoint; each named endpoint under {@code conpool.endpoints.<name>}
 * may override the limits and timeouts for itself only. Unknown keys fail the start-up, as do bad values: the
 * failure names the property and the value as written.
 *
 * <p>Durations need a unit ({@code 10s}, {@code 500ms}, {@code 5m}, or ISO-8601 such as {@code PT10S}). A bare number
 * is rejected: Spring Boot would read it as milliseconds, and {@code connection-timeout: 10} meaning ten
 * milliseconds is a mistake nobody should find in production.
 */
@ConfigurationProperties(prefix = "conpool", ignoreUnknownFields = false)
public class ConpoolProperties {

    /** Whether to auto-configure the ConnectionPool bean. */
    private boolean enabled = true;

    /** Pool name, used in thread names, logs and the 'pool' metric tag. */
    private String name = "conpool";

    /** Most connections (leased plus idle) per endpoint. */
    private int maxConnectionsPerEndpoint = 10;

    /** Most idle connections kept per endpoint; the surplus is closed by the background sweep, oldest first. */
    private int maxIdlePerEndpoint = 5;

    /** Idle connections kept open per endpoint, opened in the background (named endpoints are warmed at start-up). */
    private int minIdlePerEndpoint = 0;

    /** Time allowed to open a connection, TCP connect plus TLS handshake, per attempt. */
    private Duration connectionTimeout = Duration.ofSeconds(10);

    /** Time allowed for a whole acquire: waiting for a free slot, validating, connecting. */
    private Duration acquireTimeout = Duration.ofSeconds(30);

    /** Idle connections older than this are closed. */
    private Duration maxIdleTime = Duration.ofSeconds(60);

    /** Connections older than this are closed when idle or on return (never mid-use). */
    private Duration maxConnectionLifetime = Duration.ofMinutes(5);

    /** Fraction (0 to 0.5) by which each connection's lifetime is shortened at random, so they do not retire together. */
    private double lifetimeJitter = 0.05;

    /** Leases after which a connection is closed; unset means unlimited. */
    private Long maxConnectionUses;

    /** Time between background sweeps (expiry, liveness of idle connections, min idle, DNS refresh). */
    private Duration validationInterval = Duration.ofSeconds(30);

    /** Connect attempts per new connection, each trying every resolved address. */
    private int connectAttempts = 3;

    /** Pause before the second connect attempt; doubles before each further one. */
    private Duration connectBackoff = Duration.ofMillis(100);

    /**
     * Check run before an idle connection is reused: a built-in name (redis-ping) or the name of a HealthCheck bean.
     * Unset means none.
     */
    private String healthCheck;

    /** Read timeout while the health check runs. */
    private Duration healthCheckTimeout = Duration.ofSeconds(2);

    /** Most callers that may wait for a connection to one endpoint (0: never wait); unset means unlimited. */
    private Integer maxPendingAcquires;

    /** A lease held longer than this is logged once with the borrower's stack trace; unset means off. */
    private Duration leakDetectionThreshold;

    /** How long close waits for leased connections to come back when the application shuts down. */
    private Duration shutdownGracePeriod = Duration.ofSeconds(10);

    /** Per-endpoint circuit breaker defaults. */
    private final CircuitBreaker circuitBreaker = new CircuitBreaker();

    /** DNS cache settings (pool-wide). */
    private final Dns dns = new Dns();

    /** TLS defaults for endpoints with TLS enabled. */
    private final Tls tls = new Tls();

    /** Micrometer metrics settings. */
    private final Metrics metrics = new Metrics();

    /** Health contributor settings. */
    private final Health health = new Health();

    /** Named endpoints, each with host, port, TLS and optional overrides of the pool-wide settings. */
    private Map<String, EndpointProperties> endpoints = new LinkedHashMap<>();

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public int getMaxConnectionsPerEndpoint() {
        return maxConnectionsPerEndpoint;
    }

    public void setMaxConnectionsPerEndpoint(int maxConnectionsPerEndpoint) {
        this.maxConnectionsPerEndpoint = maxConnectionsPerEndpoint;
    }

    public int getMaxIdlePerEndpoint() {
        return maxIdlePerEndpoint;
    }

    public void setMaxIdlePerEndpoint(int maxIdlePerEndpoint) {
        this.maxIdlePerEndpoint = maxIdlePerEndpoint;
    }

    public int getMinIdlePerEndpoint() {
        return minIdlePerEndpoint;
    }

    public void setMinIdlePerEndpoint(int minIdlePerEndpoint) {
        this.minIdlePerEndpoint = minIdlePerEndpoint;
    }

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

    public double getLifetimeJitter() {
        return lifetimeJitter;
    }

    public void setLifetimeJitter(double lifetimeJitter) {
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

    public int getConnectAttempts() {
        return connectAttempts;
    }

    public void setConnectAttempts(int connectAttempts) {
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

    public Duration getShutdownGracePeriod() {
        return shutdownGracePeriod;
    }

    public void setShutdownGracePeriod(Duration shutdownGracePeriod) {
        this.shutdownGracePeriod = shutdownGracePeriod;
    }

    public CircuitBreaker getCircuitBreaker() {
        return circuitBreaker;
    }

    public Dns getDns() {
        return dns;
    }

    public Tls getTls() {
        return tls;
    }

    public Metrics getMetrics() {
        return metrics;
    }

    public Health getHealth() {
        return health;
    }

    public Map<String, EndpointProperties> getEndpoints() {
        return endpoints;
    }

    public void setEndpoints(Map<String, EndpointProperties> endpoints) {
        this.endpoints = endpoints;
    }

    /** Circuit breaker settings: pool-wide defaults, or one endpoint's overrides (unset values inherit). */
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

    /** DNS cache: answers are reused for a while, failures briefly remembered, and the cache is bounded. */
    public static class Dns {

        /** How long a resolved answer is used before the host is resolved again. */
        private Duration ttl = Duration.ofMinutes(5);

        /** How long a failed lookup is remembered. */
        private Duration negativeTtl = Duration.ofSeconds(5);

        /** Most host names cached; the oldest entry goes first. */
        private int maxSize = 10_000;

        public Duration getTtl() {
            return ttl;
        }

        public void setTtl(Duration ttl) {
            this.ttl = ttl;
        }

        public Duration getNegativeTtl() {
            return negativeTtl;
        }

        public void setNegativeTtl(Duration negativeTtl) {
            this.negativeTtl = negativeTtl;
        }

        public int getMaxSize() {
            return maxSize;
        }

        public void setMaxSize(int maxSize) {
            this.maxSize = maxSize;
        }
    }

    /** TLS defaults applied to every endpoint with TLS enabled, unless the endpoint says otherwise. */
    public static class Tls {

        /** SSL bundle (spring.ssl.bundle.*) for TLS endpoints without their own; unset means the JDK's default trust. */
        private String bundle;

        /** Whether the server certificate must match the host (or server-name). Turn off only on purpose. */
        private boolean verifyHostname = true;

        /** TLS protocol versions offered; unset means the bundle's enabled protocols, else TLSv1.3 and TLSv1.2. */
        private List<String> protocols = new ArrayList<>();

        public String getBundle() {
            return bundle;
        }

        public void setBundle(String bundle) {
            this.bundle = bundle;
        }

        public boolean isVerifyHostname() {
            return verifyHostname;
        }

        public void setVerifyHostname(boolean verifyHostname) {
            this.verifyHostname = verifyHostname;
        }

        public List<String> getProtocols() {
            return protocols;
        }

        public void setProtocols(List<String> protocols) {
            this.protocols = protocols;
        }
    }

    /** Micrometer metrics of the pool. */
    public static class Metrics {

        /** Whether to register conpool.* meters (when Micrometer is present). */
        private boolean enabled = true;

        /**
         * Most endpoints with their own 'endpoint' tag. Named endpoints always get one; further endpoints met at run
         * time beyond this bound share the tag value 'other' (timers and counters only, no gauges).
         */
        private int maxTaggedEndpoints = 100;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public int getMaxTaggedEndpoints() {
            return maxTaggedEndpoints;
        }

        public void setMaxTaggedEndpoints(int maxTaggedEndpoints) {
            this.maxTaggedEndpoints = maxTaggedEndpoints;
        }
    }

    /** Health contributor 'conpool' (turned off with management.health.conpool.enabled=false). */
    public static class Health {

        /** A failed connect more recent than this, with no successful one since, makes the endpoint DOWN. */
        private Duration errorWindow = Duration.ofMinutes(1);

        /**
         * Status of an endpoint whose connections are all leased while callers wait. UP by default: exhaustion is
         * load, not failure, and a failing status would take instances out of rotation when they are busiest.
         */
        private String exhaustedStatus = "UP";

        public String getExhaustedStatus() {
            return exhaustedStatus;
        }

        public void setExhaustedStatus(String exhaustedStatus) {
            this.exhaustedStatus = exhaustedStatus;
        }

        public Duration getErrorWindow() {
            return errorWindow;
        }

        public void setErrorWindow(Duration errorWindow) {
            this.errorWindow = errorWindow;
        }
    }

    /** One named endpoint: where it is, how to speak TLS to it, and its own limits (unset values inherit). */
    public static class EndpointProperties {

        /** Host name or IP literal. */
        private String host;

        /** TCP port, 1-65535. */
        private Integer port;

        /** TLS settings of this endpoint. */
        private final EndpointTls tls = new EndpointTls();

        /** Check run before an idle connection is reused: a built-in name (redis-ping) or a HealthCheck bean name. */
        private String healthCheck;

        /** Read timeout while the health check runs. */
        private Duration healthCheckTimeout;

        /** Most connections (leased plus idle) to this endpoint. */
        private Integer maxConnections;

        /** Most idle connections kept; inherits min(max-idle-per-endpoint, max-connections) when unset. */
        private Integer maxIdle;

        /** Idle connections kept open, warmed at start-up; inherits min(min-idle-per-endpoint, max-idle) when unset. */
        private Integer minIdle;

        /** Time allowed to open a connection, per attempt. */
        private Duration connectionTimeout;

        /** Time allowed for a whole acquire. */
        private Duration acquireTimeout;

        /** Idle connections older than this are closed. */
        private Duration maxIdleTime;

        /** Connections older than this are closed when idle or on return. */
        private Duration maxConnectionLifetime;

        /** Fraction (0 to 0.5) of random lifetime shortening. */
        private Double lifetimeJitter;

        /** Leases after which a connection is closed. */
        private Long maxConnectionUses;

        /** Time between background sweeps (the pool sweeps at the shortest interval of all endpoints). */
        private Duration validationInterval;

        /** Connect attempts per new connection. */
        private Integer connectAttempts;

        /** Pause before the second connect attempt; doubles before each further one. */
        private Duration connectBackoff;

        /** Most callers that may wait for a connection (0: never wait). */
        private Integer maxPendingAcquires;

        /** A lease held longer than this is logged once with the borrower's stack trace. */
        private Duration leakDetectionThreshold;

        /** Circuit breaker overrides for this endpoint. */
        private final CircuitBreaker circuitBreaker = new CircuitBreaker();

        public String getHost() {
            return host;
        }

        public void setHost(String host) {
            this.host = host;
        }

        public Integer getPort() {
            return port;
        }

        public void setPort(Integer port) {
            this.port = port;
        }

        public EndpointTls getTls() {
            return tls;
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

        public Integer getMaxConnections() {
            return maxConnections;
        }

        public void setMaxConnections(Integer maxConnections) {
            this.maxConnections = maxConnections;
        }

        public Integer getMaxIdle() {
            return maxIdle;
        }

        public void setMaxIdle(Integer maxIdle) {
            this.maxIdle = maxIdle;
        }

        public Integer getMinIdle() {
            return minIdle;
        }

        public void setMinIdle(Integer minIdle) {
            this.minIdle = minIdle;
        }

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
    }

    /** TLS settings of one endpoint. */
    public static class EndpointTls {

        /** Whether to speak TLS; unset means on when tls.bundle or tls.server-name is set. */
        private Boolean enabled;

        /** SSL bundle (spring.ssl.bundle.*) providing trust and client keys; unset means conpool.tls.bundle. */
        private String bundle;

        /** SNI name and name verified against the certificate, when it differs from the host. */
        private String serverName;

        /** Whether the certificate must match the host (or server-name); unset means conpool.tls.verify-hostname. */
        private Boolean verifyHostname;

        /** TLS protocol versions offered; unset means conpool.tls.protocols. */
        private List<String> protocols;

        public Boolean getEnabled() {
            return enabled;
        }

        public void setEnabled(Boolean enabled) {
            this.enabled = enabled;
        }

        public String getBundle() {
            return bundle;
        }

        public void setBundle(String bundle) {
            this.bundle = bundle;
        }

        public String getServerName() {
            return serverName;
        }

        public void setServerName(String serverName) {
            this.serverName = serverName;
        }

        public Boolean getVerifyHostname() {
            return verifyHostname;
        }

        public void setVerifyHostname(Boolean verifyHostname) {
            this.verifyHostname = verifyHostname;
        }

        public List<String> getProtocols() {
            return protocols;
        }

        public void setProtocols(List<String> protocols) {
            this.protocols = protocols;
        }
    }
}
