package io.conpool.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.EndpointStats;
import io.conpool.PoolConfig;
import io.conpool.PooledConnection;
import io.conpool.testkit.Await;
import io.conpool.testkit.EchoClient;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.LeakCheck;

/**
 * Scenario 4: returning twice, returning after invalidate, returning a lease to another pool. Each is a clear
 * {@link IllegalStateException}, leaves the stats unchanged, and never puts one socket in the pool twice.
 */
@Timeout(30)
class MisuseTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private static final PoolConfig TWO = PoolConfig.builder().maxConnectionsPerEndpoint(2).maxIdlePerEndpoint(2)
            .acquireTimeout(Duration.ofSeconds(3)).build();

    @Test
    void returningTwiceFailsClearlyAndChangesNothing() throws Exception {
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(TWO));
            PooledConnection c = pool.acquire(ep);
            EchoClient.roundTrip(c, "x");
            c.close();
            EndpointStats before = pool.stats(ep);

            assertThatThrownBy(c::close).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already ended").hasMessageContaining(ep.toString());
            assertThatThrownBy(() -> pool.release(c)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(c::socket).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(c::in).isInstanceOf(IllegalStateException.class);

            assertThat(pool.stats(ep)).isEqualTo(before);
            assertThat(before.idle()).isEqualTo(1);
            assertDistinctSocketsUpToTheLimit(pool, ep);
        }
    }

    @Test
    void returningAfterInvalidateFailsClearlyAndChangesNothing() throws Exception {
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(TWO));
            PooledConnection c = pool.acquire(ep);
            c.invalidate();
            EndpointStats before = pool.stats(ep);

            assertThatThrownBy(c::close).isInstanceOf(IllegalStateException.class).hasMessageContaining("already ended");
            assertThatThrownBy(c::invalidate).isInstanceOf(IllegalStateException.class);

            assertThat(pool.stats(ep)).isEqualTo(before);
            assertThat(before.idle()).isZero();
            assertThat(before.closed()).isEqualTo(1);
            assertDistinctSocketsUpToTheLimit(pool, ep);
        }
    }

    @Test
    void returningALeaseToAnotherPoolFailsClearlyAndTheLeaseStaysValid() throws Exception {
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            ConnectionPool owner = leaks.track(ConnectionPool.builder().config(TWO));
            ConnectionPool other = leaks.track(ConnectionPool.builder().config(TWO));
            PooledConnection c = owner.acquire(ep);
            EndpointStats ownerBefore = owner.stats(ep);
            EndpointStats otherBefore = other.stats(ep);

            assertThatThrownBy(() -> other.release(c)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("not leased from this pool");

            assertThat(owner.stats(ep)).isEqualTo(ownerBefore);
            assertThat(other.stats(ep)).isEqualTo(otherBefore);
            assertThat(EchoClient.roundTrip(c, "still mine")).isEqualTo("still mine");
            owner.release(c);
            assertThat(owner.stats(ep).idle()).isEqualTo(1);
            assertDistinctSocketsUpToTheLimit(owner, ep);
        }
    }

    @Test
    void racingDoubleReturnsEndTheLeaseExactlyOnce() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(TWO));
            CyclicBarrier start = new CyclicBarrier(2);
            for (int i = 0; i < 200; i++) {
                PooledConnection c = pool.acquire(ep);
                boolean invalidateOne = i % 2 == 0;
                Future<Throwable> a = threads.submit(() -> {
                    start.await(5, TimeUnit.SECONDS);
                    return Await.failureOf(invalidateOne ? c::invalidate : c::close);
                });
                Future<Throwable> b = threads.submit(() -> {
                    start.await(5, TimeUnit.SECONDS);
                    return Await.failureOf(c::close);
                });
                List<Throwable> failures = new ArrayList<>();
                for (Future<Throwable> f : List.of(a, b)) {
                    Throwable t = f.get(5, TimeUnit.SECONDS);
                    if (t != null) {
                        failures.add(t);
                    }
                }
                assertThat(failures).as("round " + i + ": exactly one of two racing ends fails").hasSize(1);
                assertThat(failures.get(0)).isInstanceOf(IllegalStateException.class);
                EndpointStats s = pool.stats(ep);
                assertThat(s.idle()).as("never two idle entries for one socket").isLessThanOrEqualTo(1);
                assertThat(s.created() - s.closed()).isEqualTo(s.active() + s.idle());
            }
            assertDistinctSocketsUpToTheLimit(pool, ep);
        }
        finally {
            Await.shutdown(threads);
        }
    }

    /** Leases the full limit at once: each on its own socket (no socket is in the pool twice). */
    private static void assertDistinctSocketsUpToTheLimit(ConnectionPool pool, Endpoint ep) throws Exception {
        List<PooledConnection> leases = new ArrayList<>();
        Set<Socket> sockets = Collections.newSetFromMap(new IdentityHashMap<>());
        try {
            for (int i = 0; i < pool.config(ep).maxConnectionsPerEndpoint(); i++) {
                PooledConnection c = pool.acquire(ep);
                leases.add(c);
                assertThat(sockets.add(c.socket())).as("lease " + i + " has a socket of its own").isTrue();
                assertThat(EchoClient.roundTrip(c, "lease" + i)).isEqualTo("lease" + i);
            }
        }
        finally {
            leases.forEach(PooledConnection::close);
        }
        LeakCheck.assertAtRest(pool, ep);
    }
}
