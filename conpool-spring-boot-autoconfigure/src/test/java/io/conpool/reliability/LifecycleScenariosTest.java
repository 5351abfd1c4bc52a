package io.conpool.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.ClearResult;
import io.conpool.CloseReason;
import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.EndpointStats;
import io.conpool.PoolClosedException;
import io.conpool.PoolConfig;
import io.conpool.PooledConnection;
import io.conpool.testkit.Await;
import io.conpool.testkit.EchoClient;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.LeakCheck;

/**
 * Scenarios 12 and 15: a connection past its lifetime while leased finishes its work and is closed on return;
 * {@code clearEndpoint} with leases out and callers waiting, {@code close()} twice, and acquire after close.
 */
@Timeout(30)
class LifecycleScenariosTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    /** Scenario 12, in real time with the sweep running every 20 ms while the lease is held. */
    @Test
    void connectionPastItsLifetimeWhileLeasedKeepsWorkingAndIsClosedOnReturn() throws Exception {
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(PoolConfig.builder()
                    .maxConnectionLifetime(Duration.ofMillis(200)).lifetimeJitter(0)
                    .validationInterval(Duration.ofMillis(20)).build()));
            PooledConnection c = pool.acquire(ep);
            long t0 = System.nanoTime();
            int round = 0;
            while (Await.millisSince(t0) < 700) { // well past the 200 ms lifetime, many sweeps
                assertThat(EchoClient.roundTrip(c, "use" + round)).isEqualTo("use" + round);
                assertThat(pool.stats(ep).closed()).as("never closed mid-use").isZero();
                round++;
                Thread.sleep(20);
            }
            assertThat(c.age()).isGreaterThan(Duration.ofMillis(200));
            c.close();
            EndpointStats s = pool.stats(ep);
            assertThat(s.closed(CloseReason.LIFETIME_EXPIRED)).isEqualTo(1);
            assertThat(s.idle()).isZero();
            assertThat(server.connections().get(0).bytesReceived()).isPositive();
            Await.until(() -> server.openConnections().isEmpty(), "the server to see the close");
        }
    }

    /** Scenario 15: clear with two leases out and one caller waiting. */
    @Test
    void clearWhileLeasesAreOutAndCallersWait() throws Exception {
        ExecutorService threads = Executors.newSingleThreadExecutor();
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(PoolConfig.builder()
                    .maxConnectionsPerEndpoint(2).maxIdlePerEndpoint(2).acquireTimeout(Duration.ofSeconds(10)).build()));
            PooledConnection a = pool.acquire(ep);
            PooledConnection b = pool.acquire(ep);
            Socket sa = a.socket();
            Socket sb = b.socket();
            Future<Socket> waiter = threads.submit(() -> {
                try (PooledConnection c = pool.acquire(ep)) {
                    assertThat(EchoClient.roundTrip(c, "waiter")).isEqualTo("waiter");
                    return c.socket();
                }
            });
            Await.pending(pool, ep, 1);

            ClearResult cleared = pool.clearEndpoint(ep);
            assertThat(cleared.idleClosed()).isZero();
            assertThat(cleared.leasedMarked()).isEqualTo(2);
            assertThat(EchoClient.roundTrip(a, "a still works")).isEqualTo("a still works");
            assertThat(pool.stats(ep).pending()).as("the waiter keeps waiting").isEqualTo(1);

            a.close(); // cleared: destroyed, its slot goes to the waiter, who opens a fresh connection
            Socket waited = waiter.get(5, TimeUnit.SECONDS);
            assertThat(waited).isNotSameAs(sa).isNotSameAs(sb);
            b.close();

            EndpointStats s = pool.stats(ep);
            assertThat(s.closed(CloseReason.CLEARED)).isEqualTo(2);
            assertThat(s.created()).isEqualTo(3);
            assertThat(s.idle()).isEqualTo(1);

            ClearResult again = pool.clearEndpoint(ep);
            assertThat(again.idleClosed()).isEqualTo(1);
            assertThat(again.leasedMarked()).isZero();
            LeakCheck.assertNoPermitLost(pool, ep);
        }
        finally {
            Await.shutdown(threads);
        }
    }

    /** Scenario 15: close twice, acquire after close, waiters and leases at close. */
    @Test
    void closeTwiceAndAcquireAfterClose() throws Exception {
        ExecutorService threads = Executors.newSingleThreadExecutor();
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            String name = leaks.newPoolName();
            ConnectionPool pool = ConnectionPool.builder().name(name).config(PoolConfig.builder()
                    .maxConnectionsPerEndpoint(1).maxIdlePerEndpoint(1).acquireTimeout(Duration.ofSeconds(10)).build())
                    .build();
            PooledConnection leased = pool.acquire(ep);
            Future<Throwable> waiter = threads.submit(() -> Await.failureOf(() -> pool.acquire(ep).close()));
            Await.pending(pool, ep, 1);

            pool.close();
            pool.close();
            assertThat(pool.isClosed()).isTrue();
            assertThat(waiter.get(5, TimeUnit.SECONDS)).as("the waiter is failed at once")
                    .isInstanceOf(PoolClosedException.class);
            assertThatThrownBy(() -> pool.acquire(ep)).isInstanceOf(PoolClosedException.class);
            assertThatThrownBy(() -> pool.acquire(Endpoint.of("127.0.0.1", 1))).isInstanceOf(PoolClosedException.class);

            assertThat(EchoClient.roundTrip(leased, "still leased")).isEqualTo("still leased");
            leased.close();
            EndpointStats s = pool.stats(ep);
            assertThat(s.closed(CloseReason.POOL_CLOSED)).isEqualTo(1);
            assertThat(s.created() - s.closed()).isZero();
            assertThat(s.active() + s.idle() + s.pending()).isZero();
            assertThat(pool.close(Duration.ofMillis(10))).as("nothing left to force-close").isZero();
            Await.until(() -> server.openConnections().isEmpty(), "the server to see the close");
            Await.until(() -> Thread.getAllStackTraces().keySet().stream()
                    .noneMatch(t -> t.getName().startsWith(name + "-")), "the pool's threads to end");
        }
        finally {
            Await.shutdown(threads);
        }
    }
}
