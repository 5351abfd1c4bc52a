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
 * <p>The limits and timeouts inherited from {@link EndpointSettings} are the defaults of every endpoint; each named
 * endpoint under {@code conpool.endpoints.<name>} may override them for itself only (an {@link EndpointProperties}
 * is an {@link EndpointSettings} too). Values of the core left unset here are the core's defaults. Unknown keys fail
 * the start-up, as do bad values: the failure names the property and the value as written.
 *
 * <p>Durations need a unit ({@code 10s}, {@code 500ms}, {@code 5m}, or ISO-8601 such as {@code PT10S}). A bare number
 * is rejected: Spring Boot would read it as milliseconds, and {@code connection-timeout: 10} meaning ten
 * milliseconds is a mistake nobody should find in production.
 */
@ConfigurationProperties(prefix = "conpool", ignoreUnknownFields = false)
public class ConpoolProperties extends EndpointSettings {

    /** Whether to auto-configure the ConnectionPool bean. */
    private boolean enabled = true;

    /** Pool name, used in thread names, logs and the 'pool' metric tag. */
    private String name;

    /** Most connections (leased plus idle) per endpoint. */
    private Integer maxConnectionsPerEndpoint;

    /** Most idle connections kept per endpoint; the surplus is closed by the background sweep, oldest first. */
    private Integer maxIdlePerEndpoint;

    /** Idle connections kept open per endpoint, opened in the background (named endpoints are warmed at start-up). */
    private Integer minIdlePerEndpoint;

    /**
     * Most connections open across all endpoints together; unset means no cap beyond each endpoint's own. At the
     * cap, a caller needing a new connection closes another endpoint's idle connection unused the longest, or waits
     * (first come, first served, within its acquire timeout) for one to close.
     */
    private Integer maxTotalConnections;

    /**
     * How long an endpoint that is not named stays known after its last connection closed: its stats, meters and
     * actuator row go with it. Named endpoints are never forgotten.
     */
    private Duration forgetUnusedEndpointsAfter;

    /** How long close waits for leased connections to come back when the application shuts down. */
    private Duration shutdownGracePeriod = Duration.ofSeconds(10);

    /** Warm-up of named endpoints (their min-idle connections) at start-up. */
    private final WarmUp warmUp = new WarmUp();

    /** JMX: commons-pool2's MXBean for the pool's connections. */
    private final Jmx jmx = new Jmx();

    /** DNS cache settings (pool-wide). */
    private final Dns dns = new Dns();

    /** TLS defaults for endpoints with TLS enabled. */
    private final Tls tls = new Tls();

    /** Micrometer metrics settings. */
    private final Metrics metrics = new Metrics();

    /** Health contributor settings. */
    private final Health health = new Health();

    /** Micrometer Observation settings (tracing of acquire, wait, connect and TLS handshake). */
    private final Observations observations = new Observations();

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

    /** The pool's name: {@code conpool.name}, or the core's default name when it is not set. */
    public String poolName() {
        return name != null ? name : io.conpool.ConnectionPool.Builder.DEFAULT_NAME;
    }

    public Integer getMaxConnectionsPerEndpoint() {
        return maxConnectionsPerEndpoint;
    }

    public void setMaxConnectionsPerEndpoint(Integer maxConnectionsPerEndpoint) {
        this.maxConnectionsPerEndpoint = maxConnectionsPerEndpoint;
    }

    public Integer getMaxIdlePerEndpoint() {
        return maxIdlePerEndpoint;
    }

    public void setMaxIdlePerEndpoint(Integer maxIdlePerEndpoint) {
        this.maxIdlePerEndpoint = maxIdlePerEndpoint;
    }

    public Integer getMinIdlePerEndpoint() {
        return minIdlePerEndpoint;
    }

    public void setMinIdlePerEndpoint(Integer minIdlePerEndpoint) {
        this.minIdlePerEndpoint = minIdlePerEndpoint;
    }

    public Integer getMaxTotalConnections() {
        return maxTotalConnections;
    }

    public void setMaxTotalConnections(Integer maxTotalConnections) {
        this.maxTotalConnections = maxTotalConnections;
    }

    public Duration getForgetUnusedEndpointsAfter() {
        return forgetUnusedEndpointsAfter;
    }

    public void setForgetUnusedEndpointsAfter(Duration forgetUnusedEndpointsAfter) {
        this.forgetUnusedEndpointsAfter = forgetUnusedEndpointsAfter;
    }

    public Jmx getJmx() {
        return jmx;
    }

    public Duration getShutdownGracePeriod() {
        return shutdownGracePeriod;
    }

    public void setShutdownGracePeriod(Duration shutdownGracePeriod) {
        this.shutdownGracePeriod = shutdownGracePeriod;
    }

    public WarmUp getWarmUp() {
        return warmUp;
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

    public Observations getObservations() {
        return observations;
    }

    public Map<String, EndpointProperties> getEndpoints() {
        return endpoints;
    }

    public void setEndpoints(Map<String, EndpointProperties> endpoints) {
        this.endpoints = endpoints;
    }

    /**
     * Warm-up at start-up: named endpoints with a min-idle get their connections opened in the background as soon as
     * the pool is built. By default the application does not wait for them.
     */
    public static class WarmUp {

        /**
         * Whether the application's readiness (ReadinessState, /actuator/health/readiness) stays REFUSING_TRAFFIC
         * until every named endpoint has its min-idle connections open, or the timeout passes. Liveness is not
         * affected.
         */
        private boolean holdReadiness = false;

        /**
         * Longest time readiness is held once the application is otherwise ready; after it, the application becomes
         * ready anyway and the endpoints that did not warm are logged.
         */
        private Duration timeout = Duration.ofSeconds(30);

        public boolean isHoldReadiness() {
            return holdReadiness;
        }

        public void setHoldReadiness(boolean holdReadiness) {
            this.holdReadiness = holdReadiness;
        }

        public Duration getTimeout() {
            return timeout;
        }

        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }
    }

    /**
     * DNS cache: answers are reused for a while, failures briefly remembered, and the cache is bounded. Unset values
     * are the core's defaults.
     */
    /** commons-pool2's JMX MXBean for the connections of the pool. */
    public static class Jmx {

        /**
         * Whether to register commons-pool2's GenericKeyedObjectPool MXBean, named
         * io.conpool:type=GenericKeyedObjectPool,name=(conpool.name).
         */
        private Boolean enabled;

        public Boolean getEnabled() {
            return enabled;
        }

        public void setEnabled(Boolean enabled) {
            this.enabled = enabled;
        }
    }

    public static class Dns {

        /** How long a resolved answer is used before the host is resolved again. */
        private Duration ttl;

        /** How long a failed lookup is remembered. */
        private Duration negativeTtl;

        /** Most host names cached; the oldest entry goes first. */
        private Integer maxSize;

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

        public Integer getMaxSize() {
            return maxSize;
        }

        public void setMaxSize(Integer maxSize) {
            this.maxSize = maxSize;
        }
    }

    /** TLS defaults applied to every endpoint with TLS enabled, unless the endpoint says otherwise. */
    public static class Tls {

        /** SSL bundle (spring.ssl.bundle.*) for TLS endpoints without their own; unset means the JDK's default trust. */
        private String bundle;

        /** Whether the server certificate must match the host (or server-name); unset means yes. Turn off only on purpose. */
        private Boolean verifyHostname;

        /** TLS protocol versions offered; unset means the bundle's enabled protocols, else TLSv1.3 and TLSv1.2. */
        private List<String> protocols = new ArrayList<>();

        public String getBundle() {
            return bundle;
        }

        public void setBundle(String bundle) {
            this.bundle = bundle;
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

    /** Micrometer Observations of the pool's work. */
    public static class Observations {

        /**
         * Whether acquire, wait, connect and TLS handshake are Micrometer Observations (conpool.acquire, conpool.wait,
         * conpool.connect, conpool.handshake) when the application has an ObservationRegistry. Off, the pool does
         * not observe at all (nothing is created per acquire).
         */
        private boolean enabled = true;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
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

    /**
     * One named endpoint: where it is, how to speak TLS to it, and its own limits and timeouts (unset values inherit
     * the pool-wide ones).
     */
    public static class EndpointProperties extends EndpointSettings {

        /** Host name or IP literal. */
        private String host;

        /** TCP port, 1-65535. */
        private Integer port;

        /** TLS settings of this endpoint. */
        private final EndpointTls tls = new EndpointTls();

        /** Most connections (leased plus idle) to this endpoint. */
        @CoreName("maxConnectionsPerEndpoint")
        private Integer maxConnections;

        /** Most idle connections kept; inherits min(max-idle-per-endpoint, max-connections) when unset. */
        @CoreName("maxIdlePerEndpoint")
        private Integer maxIdle;

        /** Idle connections kept open, warmed at start-up; inherits min(min-idle-per-endpoint, max-idle) when unset. */
        @CoreName("minIdlePerEndpoint")
        private Integer minIdle;

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
