package io.conpool;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import io.conpool.internal.DefaultConnectionPool;

/**
 * A pool of connected TCP (or TLS) sockets, kept per {@link Endpoint}. Callers borrow a connection, speak any
 * protocol over it, and give it back; the pool owns DNS, connecting, the TLS handshake, limits, waiting, health,
 * staleness, eviction, statistics and shutdown.
 *
 * <pre>{@code
 * try (ConnectionPool pool = ConnectionPool.builder().build()) {
 *     Endpoint redis = Endpoint.of("localhost", 6379);
 *     String pong = pool.withConnection(redis, c -> {
 *         c.out().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
 *         c.out().flush();
 *         return new BufferedReader(new InputStreamReader(c.in(), StandardCharsets.US_ASCII)).readLine();
 *     });
 * }
 * }</pre>
 *
 * <p>Guarantees: a connection is leased to one caller at a time; an idle connection is checked before it is
 * handed out (peer closed? bytes waiting? too old, too idle, used too often? health check), and a bad one is
 * replaced transparently; waiters are served first come, first served and never wait past their timeout; every
 * socket the pool opens is closed by it exactly once; {@link #close()} leaves no thread behind.
 *
 * <p>Thread-safe. Build one per application and share it.
 */
public interface ConnectionPool extends AutoCloseable {

    /** A builder with default settings ({@link PoolConfig#defaults()}). */
    static Builder builder() {
        return new Builder();
    }

    /**
     * Leases a connection to the endpoint, waiting at most the endpoint's {@code acquireTimeout}.
     *
     * @throws AcquireTimeoutException no connection within the timeout
     * @throws ConnectException opening a connection failed (subtypes for timeouts; the cause is the last error)
     * @throws DnsResolutionException the host did not resolve
     * @throws CircuitOpenException the endpoint's breaker is open
     * @throws PendingAcquiresExceededException too many callers are already waiting
     * @throws AcquireInterruptedException the thread was interrupted while waiting (its flag is set again)
     * @throws PoolClosedException the pool is closed
     */
    PooledConnection acquire(Endpoint endpoint);

    /** Leases a connection, waiting at most {@code timeout} (which must be positive) for all of it. */
    PooledConnection acquire(Endpoint endpoint, Duration timeout);

    /** Leases a connection to a named endpoint (see {@link Builder#endpoint(String, Endpoint)}). */
    default PooledConnection acquire(String endpointName) {
        return acquire(endpoint(endpointName).orElseThrow(() -> new IllegalArgumentException(
                "no endpoint named '" + endpointName + "'; known: " + namedEndpoints().keySet())));
    }

    /**
     * Leases a connection, runs the work, and returns the connection. If the work throws, the connection is
     * destroyed (its protocol state is unknown) and the exception reaches the caller unchanged.
     */
    <T, E extends Exception> T withConnection(Endpoint endpoint, ConnectionWork<T, E> work) throws E;

    /**
     * Like {@link #withConnection(Endpoint, ConnectionWork)}, and for {@link Idempotence#IDEMPOTENT} work one retry:
     * when the work fails with an I/O error ({@link java.io.IOException} or {@link java.io.UncheckedIOException}) on
     * a <em>reused</em> connection before it read a single byte from {@code in()} in this lease, that connection is
     * destroyed and the work runs once more on a newly opened connection (never another idle one; see
     * {@link #acquireNew}), within what is left of the acquire timeout. Never for {@link Idempotence#NOT_IDEMPOTENT}
     * work, never twice, never after a byte was read, never when the lease took the socket itself ({@code socket()}:
     * what was read through it is out of the pool's sight). The retry is counted in
     * {@link EndpointStats#retried()} and logged at debug.
     *
     * <p>If the retry fails, its failure reaches the caller with the first one attached as suppressed; if no
     * connection can be opened for it, the {@link ConpoolException} does.
     */
    <T, E extends Exception> T withConnection(Endpoint endpoint, Idempotence idempotence, ConnectionWork<T, E> work)
            throws E;

    /**
     * Leases a <em>newly opened</em> connection to the endpoint, never an idle one (Pingora's {@code acquireNew}):
     * for a caller that knows the idle connections are suspect, after a failover say. Within the endpoint's limits and
     * its {@code acquireTimeout}, like {@link #acquire(Endpoint)}: it waits for a permit first come, first served; at
     * the endpoint's maximum it closes one idle connection to make room ({@link CloseReason#IDLE_TRIMMED}). The idle
     * connections are otherwise left alone.
     */
    PooledConnection acquireNew(Endpoint endpoint);

    /** {@link #acquireNew(Endpoint)}, waiting at most {@code timeout} (which must be positive) for all of it. */
    PooledConnection acquireNew(Endpoint endpoint, Duration timeout);

    /** Same as {@code connection.close()}; fails with {@link IllegalStateException} for a lease of another pool. */
    void release(PooledConnection connection);

    /** The endpoint registered under that name. */
    Optional<Endpoint> endpoint(String name);

    /** Every named endpoint, in registration order. */
    Map<String, Endpoint> namedEndpoints();

    /** The settings in force for that endpoint (its overrides, or the pool's defaults). */
    PoolConfig config(Endpoint endpoint);

    /** A snapshot of the endpoint's stats; all zero for an endpoint never used. Never creates pool state. */
    EndpointStats stats(Endpoint endpoint);

    /** Snapshots of every endpoint the pool knows: named ones first, then the others. */
    List<EndpointStats> allStats();

    /**
     * Closes the endpoint's idle connections now and marks its leased ones to be closed when returned; acquires
     * after this get fresh connections. Waiters keep waiting and are served with fresh connections.
     */
    ClearResult clearEndpoint(Endpoint endpoint);

    /**
     * The TLS material of the endpoint changed: its {@link Tls#sslContextSource() source} gives a new context now
     * (a rotated certificate or trust). New connections shake hands with the new material; idle connections made
     * with the old one close now and leased ones when returned, both counted under
     * {@link CloseReason#TLS_MATERIAL_CHANGED}. Waiters keep waiting and are served with new connections. The
     * endpoint stays the same (its stats go on). Nothing happens for an endpoint the pool does not know or a closed
     * pool.
     *
     * @throws IllegalArgumentException if the endpoint is not a TLS endpoint
     */
    ClearResult tlsMaterialChanged(Endpoint endpoint);

    /** Closes the endpoint's idle connections now (leased ones are untouched). Returns how many were closed. */
    int closeIdleConnections(Endpoint endpoint);

    /**
     * Opens up to {@code count} new idle connections to the endpoint, within its limits, in the calling thread.
     * Returns how many were opened.
     *
     * @throws IllegalArgumentException if {@code count} is negative or above {@code maxConnectionsPerEndpoint}
     * @throws ConnectException if opening one fails (the ones opened before stay in the pool)
     */
    int warm(Endpoint endpoint, int count);

    /** Closes the endpoint's circuit breaker by hand and resets its failure count. */
    void resetCircuit(Endpoint endpoint);

    /** Whether {@link #close()} was called. */
    boolean isClosed();

    /**
     * Closes the pool: new acquires and waiters fail with {@link PoolClosedException}, idle connections close at
     * once, leased connections are closed when returned, and the pool's threads stop. Idempotent.
     */
    @Override
    void close();

    /**
     * Like {@link #close()}, then waits up to {@code gracePeriod} for leased connections to come back, and closes
     * the sockets of those still out when it ends. Returns the number of connections still leased at the end.
     */
    int close(Duration gracePeriod);

    /** Builds a {@link ConnectionPool}. */
    final class Builder {

        /** The pool's name unless {@link #name(String)} says otherwise. */
        public static final String DEFAULT_NAME = "conpool";

        /** How long a DNS answer is used unless {@link #dnsCacheTtl(Duration)} says otherwise. */
        public static final Duration DEFAULT_DNS_CACHE_TTL = Duration.ofMinutes(5);

        /** How long a failed lookup is remembered unless {@link #dnsNegativeCacheTtl(Duration)} says otherwise. */
        public static final Duration DEFAULT_DNS_NEGATIVE_CACHE_TTL = Duration.ofSeconds(5);

        /** Most host names cached unless {@link #dnsCacheMaxSize(int)} says otherwise. */
        public static final int DEFAULT_DNS_CACHE_MAX_SIZE = 10_000;

        /** How long an unused, unnamed endpoint stays known unless {@link #forgetUnusedEndpointsAfter} says otherwise. */
        public static final Duration DEFAULT_FORGET_UNUSED_ENDPOINTS_AFTER = Duration.ofMinutes(10);

        private PoolConfig defaults = PoolConfig.defaults();

        private final Map<String, Endpoint> named = new LinkedHashMap<>();

        private final Map<Endpoint, PoolConfig> overrides = new LinkedHashMap<>();

        private final List<ConnectionPoolListener> listeners = new ArrayList<>();

        private final List<ConnectionPoolObserver> observers = new ArrayList<>();

        private Resolver resolver = Resolver.SYSTEM;

        private Duration dnsCacheTtl = DEFAULT_DNS_CACHE_TTL;

        private Duration dnsNegativeCacheTtl = DEFAULT_DNS_NEGATIVE_CACHE_TTL;

        private int dnsCacheMaxSize = DEFAULT_DNS_CACHE_MAX_SIZE;

        private Ticker ticker = Ticker.SYSTEM;

        private String name = DEFAULT_NAME;

        private Integer maxTotalConnections;

        private boolean jmxEnabled;

        private Duration forgetUnusedEndpointsAfter = DEFAULT_FORGET_UNUSED_ENDPOINTS_AFTER;

        private Builder() {
        }

        /** Settings for every endpoint without overrides. */
        public Builder config(PoolConfig config) {
            this.defaults = Objects.requireNonNull(config, "config").validate();
            return this;
        }

        /** Registers an endpoint under a name, with the pool's default settings. */
        public Builder endpoint(String name, Endpoint endpoint) {
            return endpoint(name, endpoint, null);
        }

        /** Registers an endpoint under a name, with its own settings ({@code null}: the pool's defaults). */
        public Builder endpoint(String name, Endpoint endpoint, PoolConfig config) {
            if (name == null || name.isBlank()) {
                throw new InvalidConfigException("endpoint name", "'" + name + "'", "must not be blank");
            }
            Objects.requireNonNull(endpoint, "endpoint");
            if (named.containsKey(name)) {
                throw new InvalidConfigException("endpoint name", "'" + name + "'", "is registered twice");
            }
            named.put(name, endpoint);
            if (config != null) {
                endpointConfig(endpoint, config);
            }
            return this;
        }

        /** Settings for one endpoint, replacing the pool's defaults for it only. */
        public Builder endpointConfig(Endpoint endpoint, PoolConfig config) {
            overrides.put(Objects.requireNonNull(endpoint, "endpoint"), Objects.requireNonNull(config, "config").validate());
            return this;
        }

        /** Adds a listener (hooks on created, reused, closed with reason, ...). */
        public Builder listener(ConnectionPoolListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /**
         * Adds an observer, told when each acquire, wait, connect attempt and TLS handshake starts and ends (for
         * tracing). Several are called in the order added; none by default, which costs nothing.
         */
        public Builder observer(ConnectionPoolObserver observer) {
            observers.add(Objects.requireNonNull(observer, "observer"));
            return this;
        }

        /** Resolves host names; default {@link Resolver#SYSTEM}. Answers are cached. */
        public Builder resolver(Resolver resolver) {
            this.resolver = Objects.requireNonNull(resolver, "resolver");
            return this;
        }

        /** How long a DNS answer is used before it is asked again (default 5 min). */
        public Builder dnsCacheTtl(Duration ttl) {
            this.dnsCacheTtl = positive("dnsCacheTtl", ttl);
            return this;
        }

        /** How long a failed lookup is remembered (default 5 s). */
        public Builder dnsNegativeCacheTtl(Duration ttl) {
            this.dnsNegativeCacheTtl = positive("dnsNegativeCacheTtl", ttl);
            return this;
        }

        /** Most host names cached (default 10,000); the oldest entry goes first. */
        public Builder dnsCacheMaxSize(int size) {
            if (size < 1) {
                throw new InvalidConfigException("dnsCacheMaxSize", size, "must be at least 1");
            }
            this.dnsCacheMaxSize = size;
            return this;
        }

        /** Time source for every time-based rule; tests inject one. */
        public Builder ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        /** Name used in thread names and logs (default {@code conpool}). */
        public Builder name(String name) {
            if (name == null || name.isBlank()) {
                throw new InvalidConfigException("name", "'" + name + "'", "must not be blank");
            }
            this.name = name;
            return this;
        }

        /**
         * Caps the connections open across all endpoints together (default: no cap, each endpoint has only its own
         * {@code maxConnectionsPerEndpoint}). At the cap, a caller that needs a new connection closes the idle
         * connection of another endpoint unused the longest, or waits (first come, first served, within its acquire
         * timeout) for one to close.
         */
        public Builder maxTotalConnections(int max) {
            if (max < 1) {
                throw new InvalidConfigException("maxTotalConnections", max, "must be at least 1");
            }
            this.maxTotalConnections = max;
            return this;
        }

        /**
         * Registers the commons-pool2 {@code GenericKeyedObjectPool} that keeps the connections as a JMX MXBean
         * named {@code io.conpool:type=GenericKeyedObjectPool,name=<pool name>} (default off).
         */
        public Builder jmxEnabled(boolean enabled) {
            this.jmxEnabled = enabled;
            return this;
        }

        /**
         * How long an endpoint that is not named stays known after its last connection closed and its last caller
         * left (default 10 min): its stats (totals such as created and closed), its meters and its row in the
         * actuator go with it. A pool that talks to many hosts over a day must not keep them all; one used again
         * after this starts from zero. Named endpoints are never forgotten.
         */
        public Builder forgetUnusedEndpointsAfter(Duration after) {
            this.forgetUnusedEndpointsAfter = positive("forgetUnusedEndpointsAfter", after);
            return this;
        }

        public ConnectionPool build() {
            return new DefaultConnectionPool(name, defaults, named, overrides, listeners, observers, resolver,
                    dnsCacheTtl, dnsNegativeCacheTtl, dnsCacheMaxSize, ticker, maxTotalConnections, jmxEnabled,
                    forgetUnusedEndpointsAfter);
        }

        private static Duration positive(String name, Duration d) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new InvalidConfigException(name, d, "must be positive");
            }
            return d;
        }
    }
}
