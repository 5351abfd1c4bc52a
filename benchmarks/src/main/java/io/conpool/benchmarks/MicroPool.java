package io.conpool.benchmarks;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;

import javax.net.ssl.SSLContext;

import org.apache.commons.pool2.BaseKeyedPooledObjectFactory;
import org.apache.commons.pool2.PooledObject;
import org.apache.commons.pool2.impl.DefaultPooledObject;
import org.apache.commons.pool2.impl.GenericKeyedObjectPool;
import org.apache.commons.pool2.impl.GenericKeyedObjectPoolConfig;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.io.ModalCloseable;
import org.apache.hc.core5.pool.LaxConnPool;
import org.apache.hc.core5.pool.ManagedConnPool;
import org.apache.hc.core5.pool.PoolEntry;
import org.apache.hc.core5.pool.StrictConnPool;
import org.apache.hc.core5.util.Timeout;

import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.PoolConfig;
import io.conpool.PooledConnection;
import io.conpool.internal.BenchmarkAccess;

/**
 * Borrow and return with no I/O, for the micro benchmarks. Two kinds of pooled object:
 * <ul>
 * <li>{@code socket}: a real connected (idle) socket to the loopback server. conpool checks its liveness on every
 * borrow (a non-blocking read: system calls); the peers do not check anything.</li>
 * <li>{@code trivial}: no socket at all. For the peers, a plain object; for conpool, a connection over a channel
 * whose operations are no-ops, so the whole acquire/release path runs (including the Java side of the probe) but
 * no system call is made: conpool's bookkeeping alone.</li>
 * </ul>
 */
abstract class MicroPool implements AutoCloseable {

    final List<Target> targets;

    MicroPool(List<Target> targets) {
        this.targets = targets;
    }

    abstract Object borrow(int ep) throws Exception;

    abstract void giveBack(int ep, Object handle) throws Exception;

    /** One 64-byte exchange over a borrowed handle. */
    abstract void use(Object handle, byte[] request, byte[] reply) throws IOException;

    /** Borrow, one exchange, return: leaves the endpoint with a used, idle connection. */
    void exchangeOnce(int ep, byte[] request, byte[] reply) throws Exception {
        Object h = borrow(ep);
        use(h, request, reply);
        giveBack(ep, h);
    }

    @Override
    public abstract void close();

    /** Makes {@code perEndpoint} objects idle in every endpoint, so the measurement creates none. */
    void prefill(int perEndpoint) throws Exception {
        List<Object> held = new ArrayList<>();
        for (int ep = 0; ep < targets.size(); ep++) {
            for (int i = 0; i < perEndpoint; i++) {
                held.add(borrow(ep));
            }
            for (Object h : held) {
                giveBack(ep, h);
            }
            held.clear();
        }
    }

    static MicroPool create(Impl impl, List<Target> targets, int limit, boolean trivial, SSLContext tls) {
        return switch (impl) {
            case COMMONS_POOL2_DEFAULT -> new CommonsPool2(targets, CommonsPool2.defaults(limit), trivial, tls);
            case COMMONS_POOL2_TUNED -> new CommonsPool2(targets, CommonsPool2.tuned(limit), trivial, tls);
            case COMMONS_POOL2_AS_CONPOOL -> new CommonsPool2(targets, BenchmarkAccess.conpoolGkopSettings(), trivial,
                    tls);
            case HTTPCORE_STRICT -> new HttpCore(targets, limit, true, trivial, tls);
            case HTTPCORE_LAX -> new HttpCore(targets, limit, false, trivial, tls);
            case CONPOOL -> new Conpool(targets, limit, trivial, io.conpool.Ticker.SYSTEM);
            default -> throw new IllegalArgumentException(impl.id + " is not a pool");
        };
    }

    /** The trivial pooled object of the peers. */
    static final class Nothing implements ModalCloseable {
        @Override
        public void close(CloseMode mode) {
        }

        @Override
        public void close() {
        }
    }

    static final class CommonsPool2 extends MicroPool {
        private final GenericKeyedObjectPool<Target, Object> pool;

        /** commons-pool2's defaults, only the per-key limit set. */
        static <T> GenericKeyedObjectPoolConfig<T> defaults(int limit) {
            GenericKeyedObjectPoolConfig<T> config = new GenericKeyedObjectPoolConfig<>();
            config.setMaxTotalPerKey(limit);
            return config;
        }

        /** JMX off, reuseCapacityOnReturn off, maxIdlePerKey = maxTotalPerKey, fair. */
        static <T> GenericKeyedObjectPoolConfig<T> tuned(int limit) {
            GenericKeyedObjectPoolConfig<T> config = defaults(limit);
            config.setJmxEnabled(false);
            config.setReuseCapacityOnReturn(false);
            config.setMaxIdlePerKey(limit);
            config.setFairness(true);
            return config;
        }

        CommonsPool2(List<Target> targets, GenericKeyedObjectPoolConfig<Object> config, boolean trivial,
                SSLContext tls) {
            super(targets);
            pool = new GenericKeyedObjectPool<>(new BaseKeyedPooledObjectFactory<>() {
                @Override
                public Object create(Target key) throws IOException {
                    return trivial ? new Nothing() : BenchSocket.connect(key, tls);
                }

                @Override
                public PooledObject<Object> wrap(Object value) {
                    return new DefaultPooledObject<>(value);
                }

                @Override
                public void destroyObject(Target key, PooledObject<Object> p) throws IOException {
                    ((ModalCloseable) p.getObject()).close();
                }
            }, config);
        }

        @Override
        Object borrow(int ep) throws Exception {
            return pool.borrowObject(targets.get(ep));
        }

        @Override
        void giveBack(int ep, Object handle) {
            pool.returnObject(targets.get(ep), handle);
        }

        @Override
        void use(Object handle, byte[] request, byte[] reply) throws IOException {
            ((BenchSocket) handle).exchange(request, reply);
        }

        @Override
        public void close() {
            pool.close();
        }
    }

    static final class HttpCore extends MicroPool {
        private static final Timeout LEASE_TIMEOUT = Timeout.ofSeconds(30);

        private final ManagedConnPool<Target, ModalCloseable> pool;

        private final boolean trivial;

        private final SSLContext tls;

        HttpCore(List<Target> targets, int limit, boolean strict, boolean trivial, SSLContext tls) {
            super(targets);
            this.trivial = trivial;
            this.tls = tls;
            this.pool = strict ? new StrictConnPool<>(limit, limit * targets.size()) : new LaxConnPool<>(limit);
        }

        @Override
        Object borrow(int ep) throws Exception {
            PoolEntry<Target, ModalCloseable> entry;
            try {
                entry = pool.lease(targets.get(ep), null, LEASE_TIMEOUT, null).get();
            }
            catch (ExecutionException ex) {
                throw (Exception) ex.getCause();
            }
            if (!entry.hasConnection()) {
                entry.assignConnection(trivial ? new Nothing() : BenchSocket.connect(targets.get(ep), tls));
            }
            return entry;
        }

        @Override
        @SuppressWarnings("unchecked")
        void giveBack(int ep, Object handle) {
            pool.release((PoolEntry<Target, ModalCloseable>) handle, true);
        }

        @Override
        @SuppressWarnings("unchecked")
        void use(Object handle, byte[] request, byte[] reply) throws IOException {
            ((BenchSocket) ((PoolEntry<Target, ModalCloseable>) handle).getConnection()).exchange(request, reply);
        }

        @Override
        public void close() {
            pool.close(CloseMode.IMMEDIATE);
        }
    }

    static final class Conpool extends MicroPool {
        private final ConnectionPool pool;

        private final Endpoint[] endpoints;

        private final boolean trivial;

        Conpool(List<Target> targets, int limit, boolean trivial, io.conpool.Ticker ticker) {
            super(targets);
            this.trivial = trivial;
            this.endpoints = new Endpoint[targets.size()];
            for (int i = 0; i < endpoints.length; i++) {
                endpoints[i] = Endpoint.of(targets.get(i).host(), targets.get(i).address.getPort());
            }
            this.pool = ConnectionPool.builder()
                    .config(PoolConfig.builder().maxConnectionsPerEndpoint(limit).build())
                    .ticker(ticker)
                    .build();
        }

        @Override
        void prefill(int perEndpoint) throws Exception {
            if (!trivial) {
                super.prefill(perEndpoint);
                return;
            }
            for (Endpoint e : endpoints) {
                if (BenchmarkAccess.addTrivialIdle(pool, e, perEndpoint) != perEndpoint) {
                    throw new IllegalStateException("could not add " + perEndpoint + " idle connections to " + e);
                }
            }
        }

        @Override
        Object borrow(int ep) {
            return pool.acquire(endpoints[ep]);
        }

        @Override
        void giveBack(int ep, Object handle) {
            ((PooledConnection) handle).close();
        }

        @Override
        void use(Object handle, byte[] request, byte[] reply) throws IOException {
            PooledConnection c = (PooledConnection) handle;
            c.out().write(request);
            c.out().flush();
            BenchSocket.readFully(c.in(), reply);
        }

        ConnectionPool pool() {
            return pool;
        }

        Endpoint endpoint(int ep) {
            return endpoints[ep];
        }

        @Override
        public void close() {
            pool.close();
        }
    }
}
