package io.conpool.internal;

import java.lang.reflect.Field;
import java.net.InetSocketAddress;

import org.apache.commons.pool2.impl.DefaultEvictionPolicy;
import org.apache.commons.pool2.impl.GenericKeyedObjectPoolConfig;

import io.conpool.CloseReason;
import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.PooledConnection;

/**
 * BENCHMARKS ONLY: reaches into conpool's implementation from the benchmarks module (same package name, on the class
 * path), so the core needs no benchmark hooks. Not part of conpool's API; nothing here is used by the library.
 */
public final class BenchmarkAccess {

    /** The system property that keeps conpool's sockets in blocking mode ({@link NonBlockingSockets}). */
    public static final String NON_BLOCKING_SOCKETS_PROPERTY = NonBlockingSockets.PROPERTY;

    private BenchmarkAccess() {
    }

    /**
     * Runs one background sweep over every endpoint right now, in this thread, and returns how long it took as
     * {@link Maintenance} recorded it. Every endpoint is made due first (as in the first sweep after it appeared).
     */
    public static long sweepNanos(ConnectionPool pool) {
        DefaultConnectionPool d = (DefaultConnectionPool) pool;
        Maintenance m = maintenance(d);
        for (EndpointPool p : d.endpointPools()) {
            p.lastSweepNanos = 0;
        }
        m.sweep();
        return m.lastSweepNanos();
    }

    /**
     * Adds {@code count} idle connections to the endpoint that carry no socket (a channel whose every operation is a
     * no-op that reads nothing): borrowing them runs all of conpool's bookkeeping, including the Java side of the
     * liveness probe, but makes no system call. For measuring bookkeeping apart from the probe's syscalls.
     */
    public static int addTrivialIdle(ConnectionPool pool, Endpoint endpoint, int count) {
        DefaultConnectionPool d = (DefaultConnectionPool) pool;
        EndpointPool p = d.poolFor(endpoint);
        long lifetime = p.config.maxConnectionLifetime().toNanos();
        int added = 0;
        while (added < count) {
            CallContext call = CallContext.enter(System.nanoTime() + 1_000_000_000L, 1_000_000_000L, null);
            call.owner = p;
            call.adopt = new Connection(new NullSocketChannel(), null,
                    InetSocketAddress.createUnresolved(endpoint.host(), endpoint.port()), d.ticker().nanoTime(),
                    lifetime, p.generation());
            try {
                d.connections().addObject(endpoint); // through the socket factory, as warming does
            }
            catch (Exception ex) {
                break; // the endpoint is full
            }
            finally {
                call.exit();
            }
            added++;
        }
        return added;
    }

    /**
     * The commons-pool2 settings conpool runs its {@code GenericKeyedObjectPool} with (its sweep's eviction policy
     * replaced by commons-pool2's default, which a pool without an evictor never calls): for measuring a bare
     * commons-pool2 configured exactly as conpool's, without conpool's gate and rules.
     */
    public static <T> GenericKeyedObjectPoolConfig<T> conpoolGkopSettings() {
        return GkopSettings.forPool("benchmark", false, new DefaultEvictionPolicy<>());
    }

    /** The connection behind a lease (to probe it after the lease ends, while it is idle in the pool). */
    public static Object connectionOf(PooledConnection lease) {
        return ((Lease) lease).connection;
    }

    /** conpool's liveness check of an idle connection ({@code null} = healthy). */
    public static CloseReason probe(Object connection) {
        return ((Connection) connection).probe();
    }

    private static Maintenance maintenance(DefaultConnectionPool d) {
        try {
            Field f = DefaultConnectionPool.class.getDeclaredField("maintenance");
            f.setAccessible(true);
            return (Maintenance) f.get(d);
        }
        catch (ReflectiveOperationException ex) {
            throw new IllegalStateException("conpool's DefaultConnectionPool has no 'maintenance' field any more", ex);
        }
    }
}
