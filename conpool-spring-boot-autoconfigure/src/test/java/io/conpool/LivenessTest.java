package io.conpool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.testkit.EchoServer;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.RespServer;
import io.conpool.testkit.ServerConnection;
import io.conpool.testkit.TcpStates;
import io.conpool.testkit.Wire;

/**
 * An idle connection is checked on every borrow: one the peer closed (FIN) or reset (RST), or one with bytes nobody
 * asked for, is never handed out; the caller transparently gets another. Same for a connection returned with unread
 * or unflushed bytes, and for one a health check rejects.
 */
@Timeout(30)
class LivenessTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    @Test
    void anIdleConnectionThePeerClosedIsNeverHandedOut() {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder());
            Endpoint ep = server.endpoint();
            Socket first = leaseAndReturn(pool, ep);
            server.connectionOf(first).close();
            TcpStates.awaitPeerClosed(first);
            assertReplacedTransparently(pool, ep, first, CloseReason.PEER_CLOSED);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    @Test
    void anIdleConnectionThePeerResetIsNeverHandedOut() {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder());
            Endpoint ep = server.endpoint();
            Socket first = leaseAndReturn(pool, ep);
            server.connectionOf(first).reset();
            TcpStates.awaitPeerClosed(first);
            assertReplacedTransparently(pool, ep, first, CloseReason.PEER_CLOSED);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    @Test
    void everyDeadIdleConnectionIsSkippedInOneAcquire() {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder());
            Endpoint ep = server.endpoint();
            assertThat(pool.warm(ep, 4)).isEqualTo(4);
            server.awaitAccepted(4, Duration.ofSeconds(5));
            for (ServerConnection sc : server.connections()) {
                if (sc.index() % 2 == 0) {
                    sc.close();
                }
                else {
                    sc.reset();
                }
                TcpStates.awaitPeerClosed(sc.clientPort(), server.port());
            }
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.reused()).isFalse();
                assertThat(Wire.echo(c, "alive")).isEqualTo("alive");
            }
            EndpointStats s = pool.stats(ep);
            assertThat(s.closed(CloseReason.PEER_CLOSED)).isEqualTo(4);
            assertThat(s.idle()).isEqualTo(1);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    @Test
    void bytesThePeerSentWhileIdleMakeTheConnectionDirty() {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder());
            Endpoint ep = server.endpoint();
            Socket first = leaseAndReturn(pool, ep);
            server.connectionOf(first).send("unsolicited".getBytes(StandardCharsets.US_ASCII));
            TcpStates.awaitReceived(first, 11);
            assertReplacedTransparently(pool, ep, first, CloseReason.DIRTY);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    @Test
    void aReplyTheCallerNeverReadMakesTheConnectionDirty() {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder());
            Endpoint ep = server.endpoint();
            Socket first;
            try (PooledConnection c = pool.acquire(ep)) {
                first = c.socket();
                Wire.send(c, "request"); // and return without reading the reply
            }
            TcpStates.awaitReceived(first, 7);
            assertReplacedTransparently(pool, ep, first, CloseReason.DIRTY);
        }
    }

    @Test
    void bytesLeftUnreadInTheConnectionsBufferMakeItDirtyOnReturn() throws IOException {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder());
            Endpoint ep = server.endpoint();
            Socket first;
            try (PooledConnection c = pool.acquire(ep)) {
                first = c.socket();
                Wire.send(c, "abcd");
                TcpStates.awaitReceived(first, 4);
                assertThat(c.in().read()).isEqualTo('a'); // "bcd" stay in c.in()'s buffer
            }
            assertThat(first.isClosed()).isTrue();
            EndpointStats s = pool.stats(ep);
            assertThat(s.closed(CloseReason.DIRTY)).isEqualTo(1);
            assertThat(s.idle()).isZero();
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.socket()).isNotSameAs(first);
                assertThat(Wire.echo(c, "clean")).isEqualTo("clean");
            }
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    @Test
    void bytesLeftUnflushedMakeTheConnectionDirtyOnReturnAndAreNeverSent() throws IOException {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder());
            Endpoint ep = server.endpoint();
            Socket first;
            try (PooledConnection c = pool.acquire(ep)) {
                first = c.socket();
                c.out().write("half a request".getBytes(StandardCharsets.US_ASCII)); // not flushed
            }
            assertThat(first.isClosed()).isTrue();
            assertThat(pool.stats(ep).closed(CloseReason.DIRTY)).isEqualTo(1);
            ServerConnection sc = server.connectionOf(first);
            ExpiryTest.awaitTrue(sc::isClosed);
            assertThat(sc.bytesReceived()).isZero();
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.socket()).isNotSameAs(first);
                assertThat(Wire.echo(c, "next")).isEqualTo("next");
            }
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    @Test
    void closingTheStreamsDoesNotCloseTheSocket() throws IOException {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder());
            Endpoint ep = server.endpoint();
            Socket first;
            try (PooledConnection c = pool.acquire(ep)) {
                first = c.socket();
                assertThat(Wire.echo(c, "s")).isEqualTo("s");
                c.in().close();
                c.out().close();
                assertThat(first.isClosed()).isFalse();
            }
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.socket()).isSameAs(first);
                assertThat(Wire.echo(c, "still open")).isEqualTo("still open");
            }
        }
    }

    @Test
    void aSocketTheCallerClosedOrShutDownIsDestroyedNotPooled() throws IOException {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder());
            Endpoint ep = server.endpoint();
            try (PooledConnection c = pool.acquire(ep)) {
                c.socket().close();
            }
            try (PooledConnection c = pool.acquire(ep)) {
                c.socket().shutdownOutput();
            }
            EndpointStats s = pool.stats(ep);
            assertThat(s.closed(CloseReason.BROKEN)).isEqualTo(2);
            assertThat(s.idle()).isZero();
            assertThat(s.closed()).isEqualTo(s.created());
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    @Test
    void anIoErrorDuringALeaseDestroysTheConnectionOnReturn() {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder());
            Endpoint ep = server.endpoint();
            Socket first;
            try (PooledConnection c = pool.acquire(ep)) {
                first = c.socket();
                assertThat(Wire.echo(c, "before")).isEqualTo("before");
                server.connectionOf(first).reset();
                TcpStates.awaitPeerClosed(first);
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> c.in().read())
                        .isInstanceOf(IOException.class);
            }
            assertThat(first.isClosed()).isTrue();
            assertThat(pool.stats(ep).closed(CloseReason.BROKEN)).isEqualTo(1);
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.socket()).isNotSameAs(first);
                assertThat(Wire.echo(c, "after")).isEqualTo("after");
            }
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    @Test
    void redisPingHealthCheckPassesAgainstARespServer() {
        try (RespServer server = RespServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder()
                    .config(PoolConfig.builder().healthCheck(HealthChecks.redisPing()).build()));
            Endpoint ep = server.endpoint();
            Socket first = leaseAndReturn(pool, ep, "*1\r\n$4\r\nPING\r\n", "+PONG\r\n");
            assertThat(server.pings()).as("a new connection is not checked").isEqualTo(1);
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.socket()).isSameAs(first);
                assertThat(c.reused()).isTrue();
            }
            assertThat(server.pings()).isEqualTo(2);
            assertThat(pool.stats(ep).closed(CloseReason.HEALTH_CHECK_FAILED)).isZero();
            assertThat(HealthChecks.builtIn("redis-ping")).containsSame(HealthChecks.redisPing());
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    @Test
    void aFailingHealthCheckReplacesTheConnection() {
        try (EchoServer server = EchoServer.start()) {
            AtomicInteger checks = new AtomicInteger();
            HealthCheck no = c -> {
                checks.incrementAndGet();
                return false;
            };
            ConnectionPool pool = leaks.track(ConnectionPool.builder()
                    .config(PoolConfig.builder().healthCheck(no).build()));
            Endpoint ep = server.endpoint();
            Socket first = leaseAndReturn(pool, ep);
            assertReplacedTransparently(pool, ep, first, CloseReason.HEALTH_CHECK_FAILED);
            assertThat(checks.get()).isEqualTo(1);
        }
    }

    @Test
    void aHealthCheckThatThrowsReplacesTheConnectionAndIsCounted() {
        try (EchoServer server = EchoServer.start()) {
            HealthCheck buggy = c -> {
                throw new IllegalStateException("health check bug");
            };
            ConnectionPool pool = leaks.track(ConnectionPool.builder()
                    .config(PoolConfig.builder().healthCheck(buggy).build()));
            Endpoint ep = server.endpoint();
            Socket first = leaseAndReturn(pool, ep);
            assertReplacedTransparently(pool, ep, first, CloseReason.HEALTH_CHECK_FAILED);
            assertThat(pool.stats(ep).listenerErrors()).isEqualTo(1);
        }
    }

    @Test
    void aHealthCheckThatGetsNoAnswerTimesOutAndTheConnectionIsReplaced() {
        try (RespServer server = RespServer.start()) {
            Duration checkTimeout = Duration.ofMillis(200);
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(PoolConfig.builder()
                    .healthCheck(HealthChecks.redisPing()).healthCheckTimeout(checkTimeout).build()));
            Endpoint ep = server.endpoint();
            Socket first = leaseAndReturn(pool, ep, "*1\r\n$4\r\nPING\r\n", "+PONG\r\n");
            server.answering(false);
            long t0 = System.nanoTime();
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.socket()).isNotSameAs(first);
                assertThat(c.reused()).isFalse();
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(ms).isBetween(checkTimeout.toMillis() - 10, 2 * checkTimeout.toMillis() + 500);
            assertThat(pool.stats(ep).closed(CloseReason.HEALTH_CHECK_FAILED)).isEqualTo(1);
            server.answering(true);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    /** The next acquire must get a new socket that works, and the old one is closed for {@code reason}. */
    private static void assertReplacedTransparently(ConnectionPool pool, Endpoint ep, Socket old, CloseReason reason) {
        EndpointStats before = pool.stats(ep);
        try (PooledConnection c = pool.acquire(ep)) {
            assertThat(c.socket()).isNotSameAs(old);
            assertThat(c.reused()).isFalse();
            assertThat(Wire.echo(c, "replacement")).isEqualTo("replacement");
        }
        assertThat(old.isClosed()).isTrue();
        EndpointStats after = pool.stats(ep);
        assertThat(after.closed(reason) - before.closed(reason)).isEqualTo(1);
        assertThat(after.closed() - before.closed()).isEqualTo(1);
        assertThat(after.reused()).isEqualTo(before.reused());
        assertThat(after.created()).isEqualTo(before.created() + 1);
        assertThat(after.idle()).isEqualTo(1);
    }

    private static Socket leaseAndReturn(ConnectionPool pool, Endpoint ep) {
        return leaseAndReturn(pool, ep, "x", "x");
    }

    private static Socket leaseAndReturn(ConnectionPool pool, Endpoint ep, String request, String expectedReply) {
        try (PooledConnection c = pool.acquire(ep)) {
            Wire.send(c, request);
            byte[] reply = c.in().readNBytes(expectedReply.length());
            assertThat(new String(reply, StandardCharsets.US_ASCII)).isEqualTo(expectedReply);
            return c.socket();
        }
        catch (IOException ex) {
            throw new AssertionError(ex);
        }
    }
}
