package io.conpool.benchmarks;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.LongAdder;

import javax.net.ssl.SSLContext;

import org.apache.commons.pool2.BaseKeyedPooledObjectFactory;
import org.apache.commons.pool2.PooledObject;
import org.apache.commons.pool2.impl.DefaultPooledObject;
import org.apache.commons.pool2.impl.GenericKeyedObjectPool;
import org.apache.commons.pool2.impl.GenericKeyedObjectPoolConfig;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.pool.LaxConnPool;
import org.apache.hc.core5.pool.ManagedConnPool;
import org.apache.hc.core5.pool.PoolEntry;
import org.apache.hc.core5.pool.StrictConnPool;
import org.apache.hc.core5.util.Timeout;

import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.EndpointStats;
import io.conpool.PoolConfig;
import io.conpool.PooledConnection;
import io.conpool.Tls;
import io.conpool.internal.BenchmarkAccess;

/**
 * One implementation under load: a request takes a connection to an endpoint, writes 64 bytes, reads the 64-byte
 * reply and gives the connection back. Every implementation gets the same endpoints and the same per-endpoint limit.
 */
abstract class Client implements AutoCloseable {

    /** Per worker thread state (dedicated connections, a per-thread TLS context). */
    static final class WorkerState {
        BenchSocket[] dedicated;

        SSLContext tls;
    }

    final List<Target> targets;

    final int limit;

    final LongAdder created = new LongAdder();

    Client(List<Target> targets, int limit) {
        this.targets = targets;
        this.limit = limit;
    }

    /**
     * One request on endpoint {@code ep}. Returns {@link System#nanoTime()} at the moment the connection was in hand
     * (so the caller can tell waiting from using).
     */
    abstract long request(WorkerState w, int ep, byte[] request, byte[] reply) throws Exception;

    /** Connections opened so far. */
    long connectionsCreated() {
        return created.sum();
    }

    void initWorker(WorkerState w) {
    }

    @Override
    public abstract void close();

    /**
     * {@code maxTotalConnections} of the {@code conpool-max-total} variant: 2 per endpoint in the 100-endpoint
     * scenario, where 8 threads picking endpoints at random rarely need more than 2 at once but would leave up to
     * 8 per endpoint (800) open without it.
     */
    static final int MAX_TOTAL_CONNECTIONS = 200;

    static Client create(Impl impl, List<Target> targets, int limit, TestCertificate cert) {
        return switch (impl) {
            case DEDICATED -> new Dedicated(targets, limit, cert);
            case PER_REQUEST -> new PerRequest(targets, limit, cert, false);
            case PER_REQUEST_RESUMED -> new PerRequest(targets, limit, cert, true);
            case COMMONS_POOL2_DEFAULT -> new CommonsPool2(targets, limit, cert, MicroPool.CommonsPool2.defaults(limit));
            case COMMONS_POOL2_TUNED -> new CommonsPool2(targets, limit, cert, MicroPool.CommonsPool2.tuned(limit));
            case COMMONS_POOL2_AS_CONPOOL -> new CommonsPool2(targets, limit, cert,
                    io.conpool.internal.BenchmarkAccess.conpoolGkopSettings());
            case HTTPCORE_STRICT -> new HttpCore(targets, limit, cert, true);
            case HTTPCORE_LAX -> new HttpCore(targets, limit, cert, false);
            case CONPOOL -> new Conpool(targets, limit, cert, true, null);
            case CONPOOL_BLOCKING_SOCKETS -> new Conpool(targets, limit, cert, false, null);
            case CONPOOL_MAX_TOTAL -> new Conpool(targets, limit, cert, true, MAX_TOTAL_CONNECTIONS);
        };
    }

    static SSLContext clientContext(List<Target> targets, TestCertificate cert) {
        return targets.get(0).tls ? cert.clientContext() : null;
    }

    // ------------------------------------------------------------------ no pool

    static final class Dedicated extends Client {
        private final SSLContext tls;

        private final java.util.Queue<BenchSocket> all = new java.util.concurrent.ConcurrentLinkedQueue<>();

        Dedicated(List<Target> targets, int limit, TestCertificate cert) {
            super(targets, limit);
            this.tls = clientContext(targets, cert);
        }

        @Override
        void initWorker(WorkerState w) {
            w.dedicated = new BenchSocket[targets.size()];
        }

        @Override
        long request(WorkerState w, int ep, byte[] request, byte[] reply) throws IOException {
            BenchSocket s = w.dedicated[ep];
            if (s == null) {
                s = w.dedicated[ep] = BenchSocket.connect(targets.get(ep), tls);
                all.add(s);
                created.increment();
            }
            long inHand = System.nanoTime();
            try {
                s.exchange(request, reply);
            }
            catch (IOException ex) {
                w.dedicated[ep] = null;
                s.close();
                throw ex;
            }
            return inHand;
        }

        @Override
        public void close() {
            BenchSocket s;
            while ((s = all.poll()) != null) {
                s.close();
            }
        }
    }

    static final class PerRequest extends Client {
        private final TestCertificate cert;

        private final boolean resume;

        PerRequest(List<Target> targets, int limit, TestCertificate cert, boolean resume) {
            super(targets, limit);
            this.cert = cert;
            this.resume = resume;
        }

        @Override
        void initWorker(WorkerState w) {
            // Each thread has its own context (its own session cache), so emptying it cannot race with others.
            w.tls = clientContext(targets, cert);
        }

        @Override
        long request(WorkerState w, int ep, byte[] request, byte[] reply) throws IOException {
            BenchSocket s = BenchSocket.connect(targets.get(ep), w.tls);
            created.increment();
            long inHand = System.nanoTime();
            try {
                s.exchange(request, reply);
            }
            finally {
                s.close();
                if (w.tls != null && !resume) {
                    forgetSessions(w.tls);
                }
            }
            return inHand;
        }

        /** Empties the client session cache: the next connection does a full handshake. */
        private static void forgetSessions(SSLContext ctx) {
            var sessions = ctx.getClientSessionContext();
            var ids = sessions.getIds();
            while (ids.hasMoreElements()) {
                var session = sessions.getSession(ids.nextElement());
                if (session != null) {
                    session.invalidate();
                }
            }
        }

        @Override
        public void close() {
        }
    }

    // ------------------------------------------------------------------ peers

    static final class CommonsPool2 extends Client {
        private final GenericKeyedObjectPool<Target, BenchSocket> pool;

        CommonsPool2(List<Target> targets, int limit, TestCertificate cert,
                GenericKeyedObjectPoolConfig<BenchSocket> config) {
            super(targets, limit);
            SSLContext tls = clientContext(targets, cert);
            this.pool = new GenericKeyedObjectPool<>(new BaseKeyedPooledObjectFactory<>() {
                @Override
                public BenchSocket create(Target key) throws IOException {
                    BenchSocket s = BenchSocket.connect(key, tls);
                    created.increment();
                    return s;
                }

                @Override
                public PooledObject<BenchSocket> wrap(BenchSocket value) {
                    return new DefaultPooledObject<>(value);
                }

                @Override
                public void destroyObject(Target key, PooledObject<BenchSocket> p) {
                    p.getObject().close();
                }
            }, config);
        }

        @Override
        long request(WorkerState w, int ep, byte[] request, byte[] reply) throws Exception {
            Target t = targets.get(ep);
            BenchSocket s = pool.borrowObject(t);
            long inHand = System.nanoTime();
            try {
                s.exchange(request, reply);
            }
            catch (IOException ex) {
                pool.invalidateObject(t, s);
                throw ex;
            }
            pool.returnObject(t, s);
            return inHand;
        }

        @Override
        public void close() {
            pool.close();
        }
    }

    static final class HttpCore extends Client {
        private final ManagedConnPool<Target, BenchSocket> pool;

        private final SSLContext tls;

        private static final Timeout LEASE_TIMEOUT = Timeout.ofSeconds(30);

        HttpCore(List<Target> targets, int limit, TestCertificate cert, boolean strict) {
            super(targets, limit);
            this.tls = clientContext(targets, cert);
            this.pool = strict ? new StrictConnPool<>(limit, limit * targets.size()) : new LaxConnPool<>(limit);
        }

        @Override
        long request(WorkerState w, int ep, byte[] request, byte[] reply) throws Exception {
            Target t = targets.get(ep);
            Future<PoolEntry<Target, BenchSocket>> f = pool.lease(t, null, LEASE_TIMEOUT, null);
            PoolEntry<Target, BenchSocket> entry;
            try {
                entry = f.get();
            }
            catch (ExecutionException ex) {
                throw (Exception) ex.getCause();
            }
            boolean reusable = false;
            try {
                if (!entry.hasConnection()) {
                    entry.assignConnection(BenchSocket.connect(t, tls));
                    created.increment();
                }
                long inHand = System.nanoTime();
                entry.getConnection().exchange(request, reply);
                reusable = true;
                return inHand;
            }
            finally {
                if (!reusable) {
                    entry.discardConnection(CloseMode.IMMEDIATE);
                }
                pool.release(entry, reusable);
            }
        }

        @Override
        public void close() {
            pool.close(CloseMode.IMMEDIATE);
        }
    }

    // ------------------------------------------------------------------ conpool

    static final class Conpool extends Client {
        private final ConnectionPool pool;

        private final Endpoint[] endpoints;

        Conpool(List<Target> targets, int limit, TestCertificate cert, boolean nonBlockingSockets, Integer maxTotal) {
            super(targets, limit);
            SSLContext ctx = clientContext(targets, cert);
            Tls tls = ctx == null ? null : Tls.builder().sslContext(ctx).protocols(List.of("TLSv1.3")).build();
            this.endpoints = new Endpoint[targets.size()];
            for (int i = 0; i < endpoints.length; i++) {
                Target t = targets.get(i);
                endpoints[i] = tls == null ? Endpoint.of(t.host(), t.address.getPort())
                        : Endpoint.of(t.host(), t.address.getPort(), tls);
            }
            this.pool = build(PoolConfig.builder().maxConnectionsPerEndpoint(limit).build(), nonBlockingSockets,
                    maxTotal);
        }

        /**
         * A pool with these settings, its sockets switched to non-blocking mode (the default) or left blocking, with
         * {@code maxTotalConnections} if not {@code null}.
         */
        static ConnectionPool build(PoolConfig config, boolean nonBlockingSockets, Integer maxTotal) {
            ConnectionPool.Builder builder = ConnectionPool.builder().config(config);
            if (maxTotal != null) {
                builder.maxTotalConnections(maxTotal);
            }
            if (nonBlockingSockets) {
                return builder.build();
            }
            System.setProperty(BenchmarkAccess.NON_BLOCKING_SOCKETS_PROPERTY, "false"); // read when the pool is built
            try {
                return builder.build();
            }
            finally {
                System.clearProperty(BenchmarkAccess.NON_BLOCKING_SOCKETS_PROPERTY);
            }
        }

        @Override
        long request(WorkerState w, int ep, byte[] request, byte[] reply) throws IOException {
            try (PooledConnection c = pool.acquire(endpoints[ep])) {
                long inHand = System.nanoTime();
                var out = c.out();
                out.write(request);
                out.flush();
                BenchSocket.readFully(c.in(), reply);
                return inHand;
            }
        }

        @Override
        long connectionsCreated() {
            long n = 0;
            for (EndpointStats s : pool.allStats()) {
                n += s.created();
            }
            return n;
        }

        @Override
        public void close() {
            pool.close(Duration.ofSeconds(5));
        }
    }
}
