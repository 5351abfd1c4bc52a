package io.conpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.testkit.EchoServer;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.LoopbackServer;
import io.conpool.testkit.ServerConnection;
import io.conpool.testkit.TcpStates;
import io.conpool.testkit.TlsServer;
import io.conpool.testkit.Wire;

/** Management calls and shutdown: clearEndpoint, closeIdleConnections, warm, close with waiters and leases. */
@Timeout(30)
class LifecycleTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    @Test
    void clearEndpointClosesIdleAtOnceAndLeasedOnesWhenReturned() {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder());
            Endpoint ep = server.endpoint();
            PooledConnection a = pool.acquire(ep);
            PooledConnection b = pool.acquire(ep);
            PooledConnection idle = pool.acquire(ep);
            Socket idleSocket = idle.socket();
            idle.close();
            List<Socket> old = List.of(a.socket(), b.socket(), idleSocket);

            ClearResult result = pool.clearEndpoint(ep);
            assertThat(result).isEqualTo(new ClearResult(ep, 1, 2));
            assertThat(idleSocket.isClosed()).isTrue();
            ServerConnection idleOnServer = server.connectionOf(idleSocket);
            ExpiryTest.awaitTrue(idleOnServer::isClosed);
            assertThat(pool.stats(ep).closed(CloseReason.CLEARED)).isEqualTo(1);

            // Leased connections keep working...
            assertThat(Wire.echo(a, "a still works")).isEqualTo("a still works");
            // ...later acquires get fresh connections...
            try (PooledConnection fresh = pool.acquire(ep)) {
                assertThat(old).doesNotContain(fresh.socket());
                assertThat(fresh.reused()).isFalse();
                assertThat(Wire.echo(fresh, "fresh")).isEqualTo("fresh");
            }
            // ...and the leased ones are destroyed when returned.
            a.close();
            assertThat(old.get(0).isClosed()).isTrue();
            assertThat(Wire.echo(b, "b too")).isEqualTo("b too");
            b.close();
            assertThat(old.get(1).isClosed()).isTrue();
            EndpointStats s = pool.stats(ep);
            assertThat(s.closed(CloseReason.CLEARED)).isEqualTo(3);
            assertThat(s.idle()).isEqualTo(1);
            try (PooledConnection again = pool.acquire(ep)) {
                assertThat(old).doesNotContain(again.socket());
                assertThat(again.reused()).isTrue();
            }
            assertThat(pool.clearEndpoint(Endpoint.of("127.0.0.1", 9))).isEqualTo(new ClearResult(
                    Endpoint.of("127.0.0.1", 9), 0, 0));
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    @Test
    void aWaiterDuringClearEndpointIsServedWithAFreshConnection() throws Exception {
        ExecutorService threads = Executors.newSingleThreadExecutor();
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder()
                    .config(PoolConfig.builder().maxConnectionsPerEndpoint(1).maxIdlePerEndpoint(1).build()));
            Endpoint ep = server.endpoint();
            PooledConnection held = pool.acquire(ep);
            Socket old = held.socket();
            Future<Socket> waiter = threads.submit(() -> {
                try (PooledConnection c = pool.acquire(ep, Duration.ofSeconds(10))) {
                    assertThat(Wire.echo(c, "waited")).isEqualTo("waited");
                    return c.socket();
                }
            });
            LeasingTest.awaitPending(pool, ep, 1);
            assertThat(pool.clearEndpoint(ep)).isEqualTo(new ClearResult(ep, 0, 1));
            held.close(); // destroyed (cleared); its slot goes to the waiter, which opens a new connection
            Socket got = waiter.get(5, TimeUnit.SECONDS);
            assertThat(got).isNotSameAs(old);
            assertThat(old.isClosed()).isTrue();
            server.assertAccepted(2);
            assertThat(pool.stats(ep).closed(CloseReason.CLEARED)).isEqualTo(1);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
        finally {
            threads.shutdownNow();
            assertThat(threads.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void closeIdleConnectionsLeavesLeasedOnesAlone() {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder());
            Endpoint ep = server.endpoint();
            PooledConnection leased = pool.acquire(ep);
            assertThat(pool.warm(ep, 2)).isEqualTo(2);
            assertThat(pool.closeIdleConnections(ep)).isEqualTo(2);
            EndpointStats s = pool.stats(ep);
            assertThat(s.idle()).isZero();
            assertThat(s.closed(CloseReason.IDLE_TRIMMED)).isEqualTo(2);
            Socket socket = leased.socket();
            assertThat(Wire.echo(leased, "untouched")).isEqualTo("untouched");
            leased.close();
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.socket()).as("returned normally and reused").isSameAs(socket);
            }
            assertThat(pool.closeIdleConnections(Endpoint.of("127.0.0.1", 9))).isZero();
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    @Test
    void warmOpensIdleConnectionsWithinTheLimit() {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder()
                    .config(PoolConfig.builder().maxConnectionsPerEndpoint(3).maxIdlePerEndpoint(3).build()));
            Endpoint ep = server.endpoint();
            assertThat(pool.warm(ep, 2)).isEqualTo(2);
            server.assertAccepted(2);
            EndpointStats s = pool.stats(ep);
            assertThat(s.idle()).isEqualTo(2);
            assertThat(s.created()).isEqualTo(2);
            assertThat(s.active()).isZero();
            assertThat(pool.warm(ep, 3)).as("only one slot left").isEqualTo(1);
            assertThat(pool.warm(ep, 3)).isZero();
            assertThat(pool.warm(ep, 0)).isZero();
            server.assertAccepted(3);
            assertThatThrownBy(() -> pool.warm(ep, 4)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("count (4)").hasMessageContaining("maxConnectionsPerEndpoint (3)");
            assertThatThrownBy(() -> pool.warm(ep, -1)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("count (-1)");
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.reused()).as("warmed connections count as hits").isTrue();
                assertThat(Wire.echo(c, "warm")).isEqualTo("warm");
            }
            assertThat(pool.stats(ep).misses()).isZero();
            LeakCheck.assertNoPermitLost(pool, ep);
            server.assertAccepted(3);
        }
    }

    @Test
    void closeWakesWaitersWithPoolClosedAndClosesLeasedConnectionsWhenReturned() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder()
                    .config(PoolConfig.builder().maxConnectionsPerEndpoint(1).maxIdlePerEndpoint(1).build()));
            Endpoint ep = server.endpoint();
            PooledConnection held = pool.acquire(ep);
            List<Future<Object>> waiters = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                waiters.add(threads.submit(() -> pool.acquire(ep, Duration.ofSeconds(20))));
            }
            LeasingTest.awaitPending(pool, ep, 2);
            long t0 = System.nanoTime();
            pool.close();
            for (Future<Object> w : waiters) {
                assertThatThrownBy(() -> w.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(PoolClosedException.class);
            }
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(2_000);
            assertThat(pool.isClosed()).isTrue();

            // The lease still works until returned, then its socket is closed.
            assertThat(Wire.echo(held, "last words")).isEqualTo("last words");
            Socket socket = held.socket();
            held.close();
            assertThat(socket.isClosed()).isTrue();
            EndpointStats s = pool.stats(ep);
            assertThat(s.closed(CloseReason.POOL_CLOSED)).isEqualTo(1);
            assertThat(s.pending()).isZero();
            LeakCheck.assertAtRest(pool, ep);
        }
        finally {
            threads.shutdownNow();
            assertThat(threads.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void afterCloseEveryAcquireFailsAndCloseIsIdempotent() {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder());
            Endpoint ep = server.endpoint();
            pool.acquire(ep).close();
            pool.close();
            pool.close();
            assertThat(pool.isClosed()).isTrue();
            assertThatThrownBy(() -> pool.acquire(ep)).isInstanceOf(PoolClosedException.class)
                    .hasMessageContaining(ep.toString());
            assertThatThrownBy(() -> pool.acquire(ep, Duration.ofSeconds(1))).isInstanceOf(PoolClosedException.class);
            Endpoint other = Endpoint.of("127.0.0.1", server.port() == 1 ? 2 : 1);
            assertThatThrownBy(() -> pool.acquire(other)).isInstanceOf(PoolClosedException.class);
            assertThatThrownBy(() -> pool.withConnection(ep, c -> "never")).isInstanceOf(PoolClosedException.class);
            assertThatThrownBy(() -> pool.warm(ep, 1)).isInstanceOf(PoolClosedException.class);
            server.assertAccepted(1);
            EndpointStats s = pool.stats(ep);
            assertThat(s.idle()).isZero();
            assertThat(s.closed(CloseReason.POOL_CLOSED)).isEqualTo(1);
            LeakCheck.assertAtRest(pool, ep);
        }
    }

    @Test
    void closeLeavesNoDescriptorOrThread() throws Exception {
        LeakCheck check = LeakCheck.begin();
        int fdsBefore = LeakCheck.fdCount();
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = check.track(ConnectionPool.builder()
                    .config(PoolConfig.builder().validationInterval(Duration.ofMillis(50)).minIdlePerEndpoint(2).build())
                    .endpoint("echo", server.endpoint()));
            ExpiryTest.awaitTrue(() -> pool.stats(server.endpoint()).idle() == 2); // the worker thread ran
            List<PooledConnection> leases = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                leases.add(pool.acquire(server.endpoint()));
            }
            for (PooledConnection c : leases.subList(0, 3)) {
                c.close();
            }
            assertThat(LeakCheck.fdCount()).isGreaterThan(fdsBefore);
            pool.close();
            for (PooledConnection c : leases.subList(3, 5)) {
                c.close();
            }
            ExpiryTest.awaitTrue(() -> server.openConnections().isEmpty());
        }
        check.verify(); // no socket, no pool thread, no server thread left
    }

    @Test
    void closeWithGracePeriodClosesLeasesStillOutWhenItEnds() {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder());
            Endpoint ep = server.endpoint();
            PooledConnection kept = pool.acquire(ep);
            Socket socket = kept.socket();
            long t0 = System.nanoTime();
            assertThat(pool.close(Duration.ofMillis(200))).isEqualTo(1);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isBetween(190L, 900L);
            assertThat(socket.isClosed()).isTrue();
            kept.close(); // late return: nothing to close twice
            EndpointStats s = pool.stats(ep);
            assertThat(s.closed(CloseReason.POOL_CLOSED)).isEqualTo(1);
            assertThat(s.closed()).isEqualTo(1);
            LeakCheck.assertAtRest(pool, ep);
        }
    }

    @Test
    void closeWithGracePeriodEndsEvenIfAPlainLeaseIsStuckWritingToAPeerThatStoppedReading() throws Exception {
        try (EchoServer server = EchoServer.start().reading(false)) {
            closeWithGraceEndsWhileALeaseIsStuckInAWrite(server, server.endpoint());
        }
    }

    @Test
    void closeWithGracePeriodEndsEvenIfATlsLeaseIsStuckWritingToAPeerThatStoppedReading() throws Exception {
        // A TLS close first sends close_notify, which needs the TLS record lock the stuck writer holds.
        try (TlsServer server = TlsServer.start().reading(false)) {
            closeWithGraceEndsWhileALeaseIsStuckInAWrite(server, server.endpoint());
        }
    }

    private void closeWithGraceEndsWhileALeaseIsStuckInAWrite(LoopbackServer server, Endpoint ep) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            ConnectionPool pool = leaks.track(ConnectionPool.builder());
            PooledConnection c = pool.acquire(ep);
            Socket socket = c.socket();
            Future<Object> writer = threads.submit(() -> {
                byte[] chunk = new byte[64 * 1024];
                for (int i = 0; i < 4096; i++) { // 256 MiB: far more than the socket buffers hold
                    c.out().write(chunk);
                }
                return null;
            });
            // Wait until the writer is stuck: the kernel's send queue is full and stops growing.
            long[] last = { -1 };
            ExpiryTest.awaitTrue(() -> {
                ExpiryTest.sleep(50);
                long queued = TcpStates.find(socket.getLocalPort(), socket.getPort()).orElseThrow().sendQueue();
                boolean stuck = queued > 0 && queued == last[0];
                last[0] = queued;
                return stuck;
            });
            assertThat(writer.isDone()).isFalse();

            long t0 = System.nanoTime();
            Future<Integer> closing = threads.submit(() -> pool.close(Duration.ofMillis(200)));
            assertThat(getOrDumpThreads(closing)).as("leases closed at the end of the grace period").isEqualTo(1);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(2_000);
            assertThatThrownBy(() -> writer.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(java.io.IOException.class);
            assertThat(socket.isClosed()).isTrue();
            c.close(); // the late return finds the connection closed already
            EndpointStats s = pool.stats(ep);
            assertThat(s.closed(CloseReason.POOL_CLOSED)).isEqualTo(1);
            LeakCheck.assertAtRest(pool, ep);
        }
        finally {
            threads.shutdownNow();
            assertThat(threads.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        }
    }

    /** The future's value within 5 s; on timeout, fails with every thread's stack (where is it stuck?). */
    private static <T> T getOrDumpThreads(Future<T> future) throws Exception {
        try {
            return future.get(5, TimeUnit.SECONDS);
        }
        catch (java.util.concurrent.TimeoutException ex) {
            StringBuilder dump = new StringBuilder("no result within 5 s; threads in conpool code:\n");
            Thread.getAllStackTraces().forEach((t, stack) -> {
                if (java.util.Arrays.stream(stack).noneMatch(e -> e.getClassName().startsWith("io.conpool"))) {
                    return;
                }
                dump.append(t.getName()).append('\n');
                for (StackTraceElement e : stack) {
                    dump.append("    ").append(e).append('\n');
                }
            });
            throw new AssertionError(dump.toString(), ex);
        }
    }
}
