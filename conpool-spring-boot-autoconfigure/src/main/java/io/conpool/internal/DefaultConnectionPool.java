package io.conpool.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.commons.pool2.impl.GenericKeyedObjectPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.conpool.ClearResult;
import io.conpool.ConnectionPool;
import io.conpool.ConnectionPoolListener;
import io.conpool.ConnectionPoolObserver;
import io.conpool.ConnectionWork;
import io.conpool.CloseReason;
import io.conpool.ConpoolException;
import io.conpool.Idempotence;
import io.conpool.Endpoint;
import io.conpool.EndpointStats;
import io.conpool.PoolClosedException;
import io.conpool.PoolConfig;
import io.conpool.PooledConnection;
import io.conpool.Resolver;
import io.conpool.Ticker;

/**
 * The {@link ConnectionPool} behind {@link ConnectionPool#builder()}: one commons-pool2
 * {@code GenericKeyedObjectPool} of connections keyed by endpoint, whose {@link SocketFactory} opens, checks and
 * closes them; a map from endpoint to {@link EndpointPool} (the gate, rules and counters in front of it); the
 * optional {@link TotalLimit}; one DNS cache; and a {@link Maintenance} thread pair.
 */
public final class DefaultConnectionPool implements ConnectionPool {

    private static final Logger log = LoggerFactory.getLogger(DefaultConnectionPool.class);

    private final String name;

    private final PoolConfig defaults;

    private final Map<String, Endpoint> named;

    private final Map<Endpoint, String> namesByEndpoint = new HashMap<>();

    private final Map<Endpoint, PoolConfig> overrides;

    private final Listeners listeners;

    /** {@code null} when there is no observer: an unobserved phase costs a null check. */
    private final Observers observers;

    private final Ticker ticker;

    private final DnsCache dns;

    private final TotalLimit total;

    /** An unnamed endpoint with nothing open and nobody calling is forgotten after this long. */
    final long forgetUnusedAfterNanos;

    private final GenericKeyedObjectPool<Endpoint, Connection> connections;

    /** Told when a virtual thread waits without a timer: schedules the deadline checks that wake it. */
    final DeadlineChecks deadlineWatch;

    private final ConcurrentHashMap<Endpoint, EndpointPool> pools = new ConcurrentHashMap<>();

    private final Maintenance maintenance;

    private final AtomicBoolean closed = new AtomicBoolean();

    /** How long {@code close()} lets protocol handlers' goodbyes take, all idle connections together. */
    private static final Duration GOODBYE_BUDGET = Duration.ofSeconds(1);

    /**
     * While {@code close()} closes the idle connections: the {@link System#nanoTime()} by which their goodbyes must be
     * done; {@code 0} at every other time (each goodbye then has only its own short timeout).
     */
    private volatile long goodbyeDeadline;


    public DefaultConnectionPool(String name, PoolConfig defaults, Map<String, Endpoint> named,
            Map<Endpoint, PoolConfig> overrides, List<ConnectionPoolListener> listeners,
            List<ConnectionPoolObserver> observers, Resolver resolver,
            Duration dnsCacheTtl, Duration dnsNegativeCacheTtl, int dnsCacheMaxSize, Ticker ticker,
            Integer maxTotalConnections, boolean jmxEnabled, Duration forgetUnusedEndpointsAfter) {
        this.name = name;
        this.defaults = defaults;
        this.named = Collections.unmodifiableMap(new LinkedHashMap<>(named));
        named.forEach((n, e) -> namesByEndpoint.putIfAbsent(e, n));
        this.overrides = Map.copyOf(overrides);
        this.listeners = new Listeners(listeners);
        this.observers = Observers.of(observers, this);
        this.forgetUnusedAfterNanos = forgetUnusedEndpointsAfter.toNanos();
        this.ticker = ticker;
        this.dns = new DnsCache(resolver, dnsCacheTtl, dnsNegativeCacheTtl, dnsCacheMaxSize, ticker,
                this::addressesChanged);
        this.total = maxTotalConnections == null ? null : new TotalLimit(maxTotalConnections);
        Dialer dialer = new Dialer(dns, ticker, this.observers);
        this.connections = new GenericKeyedObjectPool<>(new SocketFactory(this, dialer, total),
                GkopSettings.forPool(name, jmxEnabled, new SweepPolicy()));
        Duration sweepEvery = defaults.validationInterval();
        List<PoolConfig> configs = new ArrayList<>(this.overrides.values());
        configs.add(defaults);
        for (PoolConfig c : configs) {
            // The sweep also starts the background health checks: often enough for the shortest interval of either.
            for (Duration every : List.of(c.validationInterval(), c.healthCheckInterval().orElse(sweepEvery))) {
                if (every.compareTo(sweepEvery) < 0) {
                    sweepEvery = every;
                }
            }
        }
        this.maintenance = new Maintenance(name, this, sweepEvery);
        this.deadlineWatch = new DeadlineChecks(this, maintenance);
        for (Endpoint e : this.named.values()) {
            poolFor(e); // named endpoints are known (stats, metrics) before first use
        }
        maintenance.start();
        log.debug("pool '{}' started: {} named endpoints, defaults {}, max total connections {}", name,
                this.named.size(), defaults, maxTotalConnections == null ? "unlimited" : maxTotalConnections);
    }

    // ---------------------------------------------------------------- leasing

    @Override
    public PooledConnection acquire(Endpoint endpoint) {
        Objects.requireNonNull(endpoint, "endpoint");
        return acquireNanos(endpoint, config(endpoint).acquireTimeout().toNanos(), false);
    }

    @Override
    public PooledConnection acquire(Endpoint endpoint, Duration timeout) {
        Objects.requireNonNull(endpoint, "endpoint");
        return acquireNanos(endpoint, positive(timeout), false);
    }

    @Override
    public PooledConnection acquireNew(Endpoint endpoint) {
        Objects.requireNonNull(endpoint, "endpoint");
        return acquireNanos(endpoint, config(endpoint).acquireTimeout().toNanos(), true);
    }

    @Override
    public PooledConnection acquireNew(Endpoint endpoint, Duration timeout) {
        Objects.requireNonNull(endpoint, "endpoint");
        return acquireNanos(endpoint, positive(timeout), true);
    }

    private static long positive(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout (" + timeout + ") must be positive");
        }
        return timeout.toNanos();
    }

    private Lease acquireNanos(Endpoint endpoint, long timeoutNanos, boolean fresh) {
        return observers == null ? lease(endpoint, timeoutNanos, fresh) : observedLease(endpoint, timeoutNanos, fresh);
    }

    private Lease observedLease(Endpoint endpoint, long timeoutNanos, boolean fresh) {
        Observers.Observed acquire = observers.start(ConnectionPoolObserver.Phase.ACQUIRE, endpoint);
        Lease lease;
        try {
            lease = lease(endpoint, timeoutNanos, fresh);
        }
        catch (RuntimeException | Error ex) {
            acquire.failed(ex);
            throw ex;
        }
        acquire.succeeded(lease.reused());
        return lease;
    }

    private Lease lease(Endpoint endpoint, long timeoutNanos, boolean fresh) {
        while (true) {
            if (closed.get()) {
                throw new PoolClosedException("acquiring a connection to " + endpoint + ": the pool is closed");
            }
            EndpointPool p = poolFor(endpoint);
            if (closed.get()) {
                p.close(); // created after close() swept the map: close it too, so nothing opens a socket
            }
            Lease lease = p.acquire(timeoutNanos, fresh);
            if (lease != null) {
                return lease;
            }
            // The endpoint's pool was removed as unused just now: look it up again.
        }
    }

    @Override
    public <T, E extends Exception> T withConnection(Endpoint endpoint, ConnectionWork<T, E> work) throws E {
        Objects.requireNonNull(work, "work");
        return run((Lease) acquire(endpoint), work);
    }

    /**
     * Idempotent work gets one retry on a newly opened connection, on the conditions below (see the interface); the
     * retry's lease comes from {@code acquireNew} with what is left of the first acquire's deadline.
     */
    @Override
    public <T, E extends Exception> T withConnection(Endpoint endpoint, Idempotence idempotence,
            ConnectionWork<T, E> work) throws E {
        Objects.requireNonNull(idempotence, "idempotence");
        Objects.requireNonNull(work, "work");
        if (idempotence != Idempotence.IDEMPOTENT) {
            return withConnection(endpoint, work);
        }
        Objects.requireNonNull(endpoint, "endpoint");
        long timeoutNanos = config(endpoint).acquireTimeout().toNanos();
        long deadline = System.nanoTime() + timeoutNanos;
        Lease lease = acquireNanos(endpoint, timeoutNanos, false);
        Connection c = lease.connection;
        c.readSome = false; // from here on, any byte read rules a retry out
        T result;
        try {
            result = work.apply(lease);
        }
        catch (Throwable t) {
            // Safe to run again only if the peer cannot have seen it act: a connection that had served others (the
            // race is a peer closing an idle connection), an I/O failure, nothing read, no raw socket handed out.
            boolean retry = lease.reused() && (t instanceof IOException || t instanceof UncheckedIOException)
                    && !c.readSome && !c.optionsTouched;
            if (!lease.isEnded()) {
                lease.end(CloseReason.WORK_FAILED, "destroy");
            }
            long left = deadline - System.nanoTime();
            if (!retry || left <= 0) {
                throw t;
            }
            lease.owner.retried(t);
            Lease again;
            try {
                again = acquireNanos(endpoint, left, true);
            }
            catch (ConpoolException ex) {
                ex.addSuppressed(t);
                throw ex;
            }
            try {
                return run(again, work);
            }
            catch (Throwable second) {
                second.addSuppressed(t);
                throw second;
            }
        }
        if (!lease.isEnded()) {
            lease.close();
        }
        return result;
    }

    /** Runs the work on the lease and ends it: returned if the work completed, destroyed if it threw. */
    private static <T, E extends Exception> T run(Lease lease, ConnectionWork<T, E> work) throws E {
        T result;
        try {
            result = work.apply(lease);
        }
        catch (Throwable t) {
            if (!lease.isEnded()) {
                lease.end(CloseReason.WORK_FAILED, "destroy");
            }
            throw t;
        }
        if (!lease.isEnded()) {
            lease.close();
        }
        return result;
    }

    @Override
    public void release(PooledConnection connection) {
        Objects.requireNonNull(connection, "connection");
        if (!(connection instanceof Lease) || ((Lease) connection).owner.pool() != this) {
            throw new IllegalStateException("cannot release " + connection + ": it was not leased from this pool");
        }
        connection.close();
    }

    // ---------------------------------------------------------------- lookup and stats

    @Override
    public Optional<Endpoint> endpoint(String endpointName) {
        return Optional.ofNullable(named.get(endpointName));
    }

    @Override
    public Map<String, Endpoint> namedEndpoints() {
        return named;
    }

    @Override
    public PoolConfig config(Endpoint endpoint) {
        PoolConfig c = overrides.get(endpoint);
        return c != null ? c : defaults;
    }

    @Override
    public EndpointStats stats(Endpoint endpoint) {
        EndpointPool p = pools.get(endpoint);
        return p != null ? p.stats()
                : EndpointCounters.empty(endpoint, namesByEndpoint.get(endpoint), config(endpoint).maxConnectionsPerEndpoint());
    }

    @Override
    public List<EndpointStats> allStats() {
        List<EndpointStats> out = new ArrayList<>();
        for (Endpoint e : named.values()) {
            out.add(stats(e));
        }
        List<EndpointPool> others = new ArrayList<>();
        for (EndpointPool p : pools.values()) {
            if (p.name == null) {
                others.add(p);
            }
        }
        others.sort(Comparator.comparing(p -> p.endpoint.toString()));
        for (EndpointPool p : others) {
            out.add(p.stats());
        }
        return out;
    }

    // ---------------------------------------------------------------- management

    @Override
    public ClearResult clearEndpoint(Endpoint endpoint) {
        EndpointPool p = pools.get(Objects.requireNonNull(endpoint, "endpoint"));
        return p == null ? new ClearResult(endpoint, 0, 0) : p.clear();
    }

    @Override
    public ClearResult tlsMaterialChanged(Endpoint endpoint) {
        Objects.requireNonNull(endpoint, "endpoint");
        if (!endpoint.isTls()) {
            throw new IllegalArgumentException(endpoint + " is not a TLS endpoint: it has no TLS material to change");
        }
        EndpointPool p = pools.get(endpoint);
        if (p == null || closed.get()) {
            return new ClearResult(endpoint, 0, 0);
        }
        ClearResult result = p.retire(CloseReason.TLS_MATERIAL_CHANGED);
        log.info("TLS material of {} changed: {} idle connections closed, {} leased ones will close when returned",
                endpoint, result.idleClosed(), result.leasedMarked());
        return result;
    }

    @Override
    public int closeIdleConnections(Endpoint endpoint) {
        EndpointPool p = pools.get(Objects.requireNonNull(endpoint, "endpoint"));
        return p == null ? 0 : p.closeIdle();
    }

    @Override
    public int warm(Endpoint endpoint, int count) {
        Objects.requireNonNull(endpoint, "endpoint");
        int max = config(endpoint).maxConnectionsPerEndpoint();
        if (count < 0 || count > max) {
            throw new IllegalArgumentException(
                    "count (" + count + ") must be between 0 and maxConnectionsPerEndpoint (" + max + ") for " + endpoint);
        }
        if (closed.get()) {
            throw new PoolClosedException("warming " + endpoint + ": the pool is closed");
        }
        return poolFor(endpoint).warm(count);
    }

    @Override
    public void resetCircuit(Endpoint endpoint) {
        EndpointPool p = pools.get(Objects.requireNonNull(endpoint, "endpoint"));
        if (p != null) {
            p.resetCircuit();
        }
    }

    @Override
    public boolean isClosed() {
        return closed.get();
    }

    @Override
    public void close() {
        shutdown(GOODBYE_BUDGET);
    }

    private void shutdown(Duration goodbyeBudget) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (EndpointPool p : pools.values()) {
            p.close();
        }
        if (total != null) {
            total.gate().close(new PoolClosedException("opening a connection: the pool is closed"));
        }
        maintenance.stop();
        long until = System.nanoTime() + goodbyeBudget.toNanos();
        goodbyeDeadline = until == 0 ? 1 : until;
        try {
            connections.close(); // closes every idle connection; leased ones close when returned
        }
        finally {
            goodbyeDeadline = 0;
        }
        log.debug("pool '{}' closed", name);
    }

    @Override
    public int close(Duration gracePeriod) {
        Objects.requireNonNull(gracePeriod, "gracePeriod");
        shutdown(gracePeriod.compareTo(GOODBYE_BUDGET) < 0 ? gracePeriod : GOODBYE_BUDGET);
        long deadline = System.nanoTime() + gracePeriod.toNanos();
        while (leasedTotal() > 0 && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(10);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        int forced = 0;
        for (EndpointPool p : pools.values()) {
            forced += p.forceCloseLeased();
        }
        if (forced > 0) {
            log.warn("pool '{}' closed {} connections still leased after the {} ms grace period", name, forced,
                    gracePeriod.toMillis());
        }
        return forced;
    }

    private int leasedTotal() {
        int n = 0;
        for (EndpointPool p : pools.values()) {
            n += p.leasedCount();
        }
        return n;
    }

    // ---------------------------------------------------------------- internals used by Maintenance

    EndpointPool poolFor(Endpoint endpoint) {
        EndpointPool p = pools.get(endpoint);
        if (p != null) {
            return p;
        }
        return pools.computeIfAbsent(endpoint, e -> new EndpointPool(e, namesByEndpoint.get(e), config(e), this));
    }

    Iterable<EndpointPool> endpointPools() {
        return pools.values();
    }

    void remove(EndpointPool p) {
        if (pools.remove(p.endpoint, p)) {
            log.debug("forgot unused endpoint {}", p.endpoint);
            listeners.fire(p.endpoint, p.counters, l -> l.onEndpointRemoved(p.endpoint));
        }
    }

    /** See {@link #goodbyeDeadline}. */
    long goodbyeDeadline() {
        return goodbyeDeadline;
    }

    DnsCache dns() {
        return dns;
    }

    Ticker ticker() {
        return ticker;
    }

    Listeners listeners() {
        return listeners;
    }

    /** The observers, or {@code null} if there are none. */
    Observers observers() {
        return observers;
    }

    /** The endpoint's registered name, or {@code null}. */
    String nameOf(Endpoint endpoint) {
        return namesByEndpoint.get(endpoint);
    }

    /** An observer threw: counted on the endpoint (if the pool knows it) and logged, like a listener's throw. */
    void observerFailed(Endpoint endpoint, RuntimeException ex) {
        EndpointPool p = pools.get(endpoint);
        Listeners.failed(endpoint, p != null ? p.counters : new EndpointCounters(), ex);
    }

    TotalLimit totalLimit() {
        return total;
    }

    GenericKeyedObjectPool<Endpoint, Connection> connections() {
        return connections;
    }

    /**
     * Has commons-pool2 show every idle connection to the {@link SweepPolicy} once (the sweep's full rules for the
     * endpoints marked {@link EndpointPool#sweeping}, the cheap ones for the rest).
     */
    void examineIdle() {
        if (closed.get()) {
            return;
        }
        try {
            connections.evict();
        }
        catch (IllegalStateException ex) {
            // closed meanwhile
        }
        catch (Exception ex) {
            log.warn("examining the idle connections of pool '{}' failed", name, ex);
        }
    }

    private void addressesChanged(String host, List<InetAddress> now) {
        HashSet<InetAddress> current = new HashSet<>(now);
        boolean retired = false;
        for (EndpointPool p : pools.values()) {
            if (p.endpoint.host().equals(host)) {
                retired |= p.retireAddressesNotIn(current);
            }
        }
        if (retired) {
            examineIdle(); // idle connections to retired addresses close now, leased ones when returned
        }
    }

    @Override
    public String toString() {
        return "ConnectionPool[" + name + ", " + pools.size() + " endpoints" + (closed.get() ? ", closed" : "") + "]";
    }
}
