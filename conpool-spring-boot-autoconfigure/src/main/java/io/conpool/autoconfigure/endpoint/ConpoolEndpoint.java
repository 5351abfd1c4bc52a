package io.conpool.autoconfigure.endpoint;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.conpool.CircuitState;
import io.conpool.ClearResult;
import io.conpool.CloseReason;
import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.EndpointStats;
import io.conpool.HealthCheck;
import io.conpool.HealthChecks;
import io.conpool.InvalidEndpointException;
import io.conpool.PoolConfig;
import io.conpool.ProtocolHandler;
import io.conpool.RedisProtocol;
import io.conpool.Tls;
import io.conpool.autoconfigure.CoreSettings;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;

/**
 * The {@code conpool} actuator endpoint.
 *
 * <ul>
 * <li>{@code GET /actuator/conpool}: every endpoint the pool knows (named ones first) with its TLS settings, stats,
 * circuit state and limits, plus totals.</li>
 * <li>{@code GET /actuator/conpool/{endpoint}}: one endpoint, by name, by {@code host:port} or by
 * {@code tls:host:port}; unknown gives 404. Looking up never creates pool state.</li>
 * <li>{@code DELETE /actuator/conpool/{endpoint}}: {@link ConnectionPool#clearEndpoint}: idle connections close at
 * once, leased ones when returned; answers with how many.</li>
 * <li>{@code DELETE /actuator/conpool/{endpoint}?circuit=true}: closes the endpoint's circuit breaker by hand
 * ({@link ConnectionPool#resetCircuit}) and leaves its connections alone; answers with the state before and
 * after.</li>
 * </ul>
 *
 * <p>Read-only by default: the DELETE operations need {@code management.endpoint.conpool.access=unrestricted}. The
 * endpoint shows host names, so like every actuator endpoint except health it is not exposed over the web unless
 * listed in {@code management.endpoints.web.exposure.include}.
 */
@org.springframework.boot.actuate.endpoint.annotation.Endpoint(id = "conpool", defaultAccess = Access.READ_ONLY)
public class ConpoolEndpoint {

    private final ConnectionPool pool;

    private final String poolName;

    /** Health checks and protocol handlers by identity, to show their names. */
    private final Map<Object, String> names = new IdentityHashMap<>();

    /**
     * @param pool the pool to describe
     * @param poolName its name, shown in the answer
     * @param healthCheckBeans the application's {@link HealthCheck} beans by bean name, to show a check's name
     */
    public ConpoolEndpoint(ConnectionPool pool, String poolName, Map<String, HealthCheck> healthCheckBeans) {
        this(pool, poolName, healthCheckBeans, Map.of());
    }

    /**
     * @param pool the pool to describe
     * @param poolName its name, shown in the answer
     * @param healthCheckBeans the application's {@link HealthCheck} beans by bean name, to show a check's name
     * @param protocolHandlerBeans the application's {@link ProtocolHandler} beans by bean name, likewise
     */
    @SuppressWarnings("rawtypes")
    public ConpoolEndpoint(ConnectionPool pool, String poolName, Map<String, HealthCheck> healthCheckBeans,
            Map<String, ? extends ProtocolHandler> protocolHandlerBeans) {
        this.pool = pool;
        this.poolName = poolName;
        healthCheckBeans.forEach((name, check) -> names.put(check, name));
        protocolHandlerBeans.forEach((name, handler) -> names.put(handler, name));
        for (String name : HealthChecks.builtInNames()) {
            HealthChecks.builtIn(name).ifPresent(check -> names.put(check, name));
        }
    }

    /** Every endpoint and the totals. */
    @ReadOperation
    public PoolDescriptor pool() {
        List<EndpointDescriptor> endpoints = new ArrayList<>();
        long[] t = new long[10];
        int openCircuits = 0;
        for (EndpointStats s : pool.allStats()) {
            endpoints.add(describe(s));
            t[0] += s.active();
            t[1] += s.idle();
            t[2] += s.pending();
            t[3] += s.created();
            t[4] += s.reused();
            t[5] += s.misses();
            t[6] += s.closed();
            t[7] += s.errors();
            t[8] += s.acquireTimeouts();
            t[9] += s.rejected();
            if (s.circuitState() != CircuitState.CLOSED) {
                openCircuits++;
            }
        }
        Totals totals = new Totals(endpoints.size(), (int) t[0], (int) t[1], (int) t[2], t[3], t[4], t[5], t[6], t[7],
                t[8], t[9], openCircuits);
        return new PoolDescriptor(poolName, pool.isClosed(), totals, endpoints);
    }

    /** One endpoint by name, {@code host:port} or {@code tls:host:port}; {@code null} (404) if the pool has none. */
    @ReadOperation
    public @Nullable EndpointDescriptor endpoint(@Selector String endpoint) {
        Endpoint found = find(endpoint);
        return found != null ? describe(pool.stats(found)) : null;
    }

    /**
     * Clears the endpoint's connections, or with {@code circuit=true} resets its circuit breaker instead;
     * {@code null} (404 over the web) if the pool has no such endpoint.
     */
    @DeleteOperation
    public @Nullable Change clear(@Selector String endpoint, @Nullable Boolean circuit) {
        Endpoint found = find(endpoint);
        if (found == null) {
            return null;
        }
        String name = pool.stats(found).name();
        if (Boolean.TRUE.equals(circuit)) {
            CircuitState before = pool.stats(found).circuitState();
            pool.resetCircuit(found);
            return new CircuitReset(name, found.toString(), before, pool.stats(found).circuitState());
        }
        ClearResult result = pool.clearEndpoint(found);
        return new Cleared(name, found.toString(), result.idleClosed(), result.leasedMarked());
    }

    /**
     * The endpoint the pool knows under that key, or {@code null}. Only looks at endpoints the pool already has, so
     * an unknown key never creates an entry.
     */
    Endpoint find(String key) {
        Endpoint named = pool.endpoint(key).orElse(null);
        if (named != null) {
            return named;
        }
        List<EndpointStats> all = pool.allStats();
        for (EndpointStats s : all) {
            if (s.endpoint().toString().equals(key)) {
                return s.endpoint();
            }
        }
        String address;
        try {
            address = Endpoint.parse(key.startsWith("tls:") ? key.substring(4) : key).address();
        }
        catch (InvalidEndpointException ex) {
            return null;
        }
        boolean tls = key.startsWith("tls:");
        Endpoint match = null;
        for (EndpointStats s : all) {
            Endpoint e = s.endpoint();
            if (e.address().equals(address) && (!tls || e.isTls())) {
                if (match != null) {
                    return null; // ambiguous (several TLS variants of one address): ask for the name
                }
                match = e;
            }
        }
        return match;
    }

    private EndpointDescriptor describe(EndpointStats s) {
        Endpoint e = s.endpoint();
        Map<String, Long> closedByReason = new LinkedHashMap<>();
        for (CloseReason reason : CloseReason.values()) {
            closedByReason.put(reason.tag(), s.closed(reason));
        }
        StatsDescriptor stats = new StatsDescriptor(s.active(), s.idle(), s.pending(), s.maxConnections(), s.created(),
                s.reused(), s.misses(), s.hitRate(), s.closed(), closedByReason, s.errors(), s.acquireTimeouts(),
                s.rejected(), s.retried(), s.leaksDetected(), s.listenerErrors());
        Tls tls = e.tls();
        TlsDescriptor tlsDescriptor = tls == null ? null
                : new TlsDescriptor(tls.serverName() != null ? tls.serverName() : e.host(), tls.verifyHostname(),
                        tls.protocols());
        return new EndpointDescriptor(s.name(), e.toString(), e.host(), e.port(), tlsDescriptor, s.circuitState(),
                stats, config(pool.config(e)));
    }

    /** The settings in force, named as an endpoint's properties (see {@link CoreSettings#describe}). */
    private Map<String, Object> config(PoolConfig c) {
        return CoreSettings.describe(c, named -> names.getOrDefault(named,
                named instanceof RedisProtocol ? RedisProtocol.NAME : named.getClass().getName()));
    }

    /**
     * The whole pool.
     *
     * @param pool the pool's name
     * @param closed whether the pool was closed
     * @param totals sums over every endpoint
     * @param endpoints every endpoint, named ones first
     */
    public record PoolDescriptor(String pool, boolean closed, Totals totals, List<EndpointDescriptor> endpoints) {
    }

    /**
     * Sums over every endpoint the pool knows.
     *
     * @param endpoints how many endpoints
     * @param active connections leased now
     * @param idle connections idle now
     * @param pending callers waiting now
     * @param created connections opened
     * @param reused acquires served by an idle connection
     * @param misses acquires that opened a connection
     * @param closed connections closed
     * @param errors failed attempts to open a connection
     * @param acquireTimeouts acquires that gave up waiting
     * @param rejected acquires turned away at once
     * @param openCircuits endpoints whose circuit breaker is open or half-open
     */
    public record Totals(int endpoints, int active, int idle, int pending, long created, long reused, long misses,
            long closed, long errors, long acquireTimeouts, long rejected, int openCircuits) {
    }

    /**
     * One endpoint.
     *
     * @param name its configured name, or {@code null}
     * @param endpoint {@code host:port}, prefixed {@code tls:} for TLS; usable as the selector
     * @param host host name or IP literal
     * @param port port
     * @param tls TLS settings, {@code null} for plaintext
     * @param circuitState the circuit breaker's state
     * @param stats connections and counters
     * @param config the limits and timeouts in force for it, named as an endpoint's properties in camel case
     *        ({@code maxConnections}, {@code circuitBreaker: {enabled, ...}}); durations as in
     *        {@code application.yml}; {@code null} means unlimited or off
     */
    public record EndpointDescriptor(String name, String endpoint, String host, int port, TlsDescriptor tls,
            CircuitState circuitState, StatsDescriptor stats, Map<String, Object> config) {
    }

    /**
     * TLS settings of an endpoint (never key material).
     *
     * @param serverName SNI name and the name verified against the certificate
     * @param verifyHostname whether the certificate must match it
     * @param protocols protocol versions offered
     */
    public record TlsDescriptor(String serverName, boolean verifyHostname, List<String> protocols) {
    }

    /**
     * Stats of an endpoint, see {@link EndpointStats}.
     *
     * @param active connections leased now
     * @param idle connections idle now
     * @param pending callers waiting now
     * @param maxConnections the connection limit
     * @param created connections opened
     * @param reused acquires served by an idle connection (hits)
     * @param misses acquires that opened a connection
     * @param hitRate reused / (reused + misses)
     * @param closed connections closed
     * @param closedByReason connections closed, per reason
     * @param errors failed attempts to open a connection
     * @param acquireTimeouts acquires that gave up waiting
     * @param rejected acquires turned away at once (too many waiters, open circuit)
     * @param retried idempotent work run again on a new connection after an I/O error on a reused one
     * @param leaksDetected leases held past the leak detection threshold
     * @param listenerErrors listener hooks or health checks that threw
     */
    public record StatsDescriptor(int active, int idle, int pending, int maxConnections, long created, long reused,
            long misses, double hitRate, long closed, Map<String, Long> closedByReason, long errors,
            long acquireTimeouts, long rejected, long retried, long leaksDetected, long listenerErrors) {
    }

    /** What a DELETE did. */
    public interface Change {
    }

    /**
     * Answer to {@code DELETE /actuator/conpool/{endpoint}}.
     *
     * @param name the endpoint's name, or {@code null}
     * @param endpoint {@code host:port} (prefixed {@code tls:} for TLS)
     * @param idleClosed idle connections closed at once
     * @param leasedMarked leased connections that will be closed when returned
     */
    public record Cleared(String name, String endpoint, int idleClosed, int leasedMarked) implements Change {
    }

    /**
     * Answer to {@code DELETE /actuator/conpool/{endpoint}?circuit=true}.
     *
     * @param name the endpoint's name, or {@code null}
     * @param endpoint {@code host:port} (prefixed {@code tls:} for TLS)
     * @param circuitBefore the breaker's state before
     * @param circuitAfter the breaker's state after (closed)
     */
    public record CircuitReset(String name, String endpoint, CircuitState circuitBefore, CircuitState circuitAfter)
            implements Change {
    }
}
