package io.conpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.testkit.Await;
import io.conpool.testkit.EchoClient;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.ServerConnection;

/**
 * {@link ProtocolHandler} over real loopback sockets, with a line protocol spoken to the kit's echo server (so what
 * the handler sent is what the server received): {@code init} once per connection with its state on every lease,
 * {@code onAcquire}/{@code onRelease} around each lease, {@code isHealthy} before reuse, {@code onClose} as a bounded
 * goodbye; failures of each counted under their close reason, an {@code init} failure as a failed connect attempt
 * (retried, seen by the breaker, socket closed, stats adding up).
 */
@Timeout(30)
class ProtocolHandlerTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    /** Per-connection state of {@link LineProtocol}. */
    static final class Session {

        final int id;

        int leases;

        Session(int id) {
            this.id = id;
        }
    }

    /** A line protocol: "hello" after connect, "reset" on release, "ping" as health check, "bye" as goodbye. */
    static class LineProtocol implements ProtocolHandler<Session> {

        final AtomicInteger inits = new AtomicInteger();

        final List<String> events = new CopyOnWriteArrayList<>();

        volatile boolean healthy = true;

        volatile boolean reusable = true;

        @Override
        public Session init(PooledConnection c) throws IOException {
            assertThat(EchoClient.roundTrip(c, "hello")).isEqualTo("hello");
            events.add("init");
            return new Session(inits.incrementAndGet());
        }

        @Override
        public void onAcquire(Session s, PooledConnection c) {
            s.leases++;
            events.add("acquire " + s.id);
        }

        @Override
        public boolean onRelease(Session s, PooledConnection c) throws IOException {
            events.add("release " + s.id);
            return EchoClient.roundTrip(c, "reset").equals("reset") && reusable;
        }

        @Override
        public boolean isHealthy(Session s, PooledConnection c) throws IOException {
            events.add("healthy " + s.id);
            return EchoClient.roundTrip(c, "ping").equals("ping") && healthy;
        }

        @Override
        public void onClose(Session s, PooledConnection c) throws IOException {
            events.add("close " + s.id);
            EchoClient.roundTrip(c, "bye");
        }
    }

    private static PoolConfig.Builder config(ProtocolHandler<?> handler) {
        return PoolConfig.builder().protocolHandler(handler).maxConnectionsPerEndpoint(2).maxIdlePerEndpoint(2)
                .connectBackoff(Duration.ofMillis(10));
    }

    private static String received(ServerConnection c) {
        return new String(c.received(), StandardCharsets.UTF_8);
    }

    @Test
    void initOnceStateOnEveryLeaseAndEachCallAtItsPlace() throws Exception {
        LineProtocol handler = new LineProtocol();
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(config(handler).build()));
            Endpoint ep = server.endpoint();
            Session first;
            try (PooledConnection c = pool.acquire(ep)) {
                first = c.protocolState(Session.class);
                assertThat(first.id).isEqualTo(1);
                assertThat(EchoClient.roundTrip(c, "work")).isEqualTo("work");
            }
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.reused()).isTrue();
                assertThat(c.protocolState(Session.class)).isSameAs(first);
                assertThat(c.protocolState(Object.class)).isSameAs(first);
                assertThatThrownBy(() -> c.protocolState(String.class)).isInstanceOf(ClassCastException.class);
            }
            assertThat(first.leases).isEqualTo(2);
            assertThat(handler.inits).hasValue(1);
            assertThat(handler.events).containsExactly("init", "acquire 1", "release 1", "healthy 1", "acquire 1",
                    "release 1");

            pool.close();
            assertThat(handler.events).endsWith("close 1");
            ServerConnection sc = server.connections().get(0);
            Await.until(() -> received(sc).endsWith("bye\n"), "the goodbye reached the server");
            assertThat(received(sc)).isEqualTo("hello\nwork\nreset\nping\nreset\nbye\n");
            Await.until(sc::isClosed, "the socket closed after the goodbye");
        }
    }

    @Test
    void aLeaseWithoutAHandlerHasNoProtocolState() throws Exception {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder());
            try (PooledConnection c = pool.acquire(server.endpoint())) {
                assertThatThrownBy(() -> c.protocolState(Object.class)).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("no protocol handler");
            }
        }
    }

    /** init failing on every attempt: retried, each socket counted as created and closed, the breaker sees one. */
    @Test
    void initFailureIsAFailedConnectAttempt() throws Exception {
        LineProtocol handler = new LineProtocol() {
            @Override
            public Session init(PooledConnection c) throws IOException {
                EchoClient.roundTrip(c, "hello");
                throw new IOException("handshake refused");
            }
        };
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(config(handler).connectAttempts(3)
                    .circuitBreakerFailureThreshold(1).build()));
            Endpoint ep = server.endpoint();
            assertThatThrownBy(() -> pool.acquire(ep)).isInstanceOf(ConnectException.class)
                    .hasMessageContaining("after 3 attempts").hasMessageContaining("handshake refused");
            EndpointStats s = pool.stats(ep);
            assertThat(s.created()).isEqualTo(3);
            assertThat(s.closed(CloseReason.PROTOCOL_INIT_FAILED)).isEqualTo(3);
            assertThat(s.closed()).isEqualTo(3);
            assertThat(s.errors()).as("one failed connect, after all its attempts").isEqualTo(1);
            assertThat(s.active() + s.idle()).isZero();
            server.assertAccepted(3);
            Await.until(() -> server.openConnections().isEmpty(), "every socket closed");
            assertThat(s.circuitState()).as("the breaker counted the failure").isEqualTo(CircuitState.OPEN);
            assertThatThrownBy(() -> pool.acquire(ep)).isInstanceOf(CircuitOpenException.class);
            server.assertAccepted(3);
        }
    }

    /** A handler's own (unchecked) exception is a failed attempt too, and a later attempt may succeed. */
    @Test
    void initFailingOnceIsRetriedOnANewSocket() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        LineProtocol handler = new LineProtocol() {
            @Override
            public Session init(PooledConnection c) throws IOException {
                if (calls.incrementAndGet() == 1) {
                    throw new IllegalStateException("unexpected greeting");
                }
                return super.init(c);
            }
        };
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(config(handler).build()));
            Endpoint ep = server.endpoint();
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.protocolState(Session.class).id).isEqualTo(1);
                assertThat(c.reused()).isFalse();
            }
            EndpointStats s = pool.stats(ep);
            assertThat(s.created()).isEqualTo(2);
            assertThat(s.closed(CloseReason.PROTOCOL_INIT_FAILED)).isEqualTo(1);
            assertThat(s.errors()).isZero();
            assertThat(s.created() - s.closed()).isEqualTo(s.active() + s.idle());
            server.assertAccepted(2);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    /** A server that never answers the handshake: init is bounded by the connection timeout. */
    @Test
    void initIsBoundedByTheConnectionTimeout() throws Exception {
        LineProtocol handler = new LineProtocol();
        try (EchoServer server = EchoServer.start()) {
            server.echoing(false);
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(config(handler).connectAttempts(1)
                    .connectionTimeout(Duration.ofMillis(300)).build()));
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> pool.acquire(server.endpoint())).isInstanceOf(ConnectTimeoutException.class);
            assertThat(Await.millisSince(t0)).isBetween(250L, 2_000L);
            assertThat(pool.stats(server.endpoint()).closed(CloseReason.PROTOCOL_INIT_FAILED)).isEqualTo(1);
        }
    }

    @Test
    void onReleaseSayingNoOrThrowingDestroysTheConnection() throws Exception {
        LineProtocol handler = new LineProtocol();
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(config(handler).build()));
            Endpoint ep = server.endpoint();
            handler.reusable = false;
            pool.acquire(ep).close();
            assertThat(pool.stats(ep).closed(CloseReason.PROTOCOL_RESET_FAILED)).isEqualTo(1);
            assertThat(pool.stats(ep).idle()).isZero();

            handler.reusable = true;
            ConnectionPool quick = leaks.track(ConnectionPool.builder()
                    .config(config(handler).healthCheckTimeout(Duration.ofMillis(200)).build()));
            PooledConnection c = quick.acquire(ep);
            server.echoing(false); // "reset" gets no answer: the read times out (healthCheckTimeout)
            long t0 = System.nanoTime();
            c.close();
            assertThat(Await.millisSince(t0)).as("bounded by healthCheckTimeout").isBetween(150L, 2_000L);
            assertThat(quick.stats(ep).closed(CloseReason.PROTOCOL_RESET_FAILED)).isEqualTo(1);
            server.echoing(true);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    @Test
    void onAcquireThrowingDestroysTheConnectionAndReachesTheCaller() throws Exception {
        LineProtocol handler = new LineProtocol() {
            @Override
            public void onAcquire(Session s, PooledConnection c) {
                throw new UncheckedIOException(new IOException("not today"));
            }
        };
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(config(handler).build()));
            Endpoint ep = server.endpoint();
            assertThatThrownBy(() -> pool.acquire(ep)).hasMessageContaining("not today");
            EndpointStats s = pool.stats(ep);
            assertThat(s.closed(CloseReason.PROTOCOL_RESET_FAILED)).isEqualTo(1);
            assertThat(s.active()).isZero();
            assertThat(s.pending()).isZero();
        }
    }

    @Test
    void unhealthyIdleConnectionIsReplacedTransparently() throws Exception {
        LineProtocol handler = new LineProtocol();
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(config(handler).build()));
            Endpoint ep = server.endpoint();
            pool.acquire(ep).close();
            handler.healthy = false;
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.reused()).isFalse();
                assertThat(c.protocolState(Session.class).id).isEqualTo(2);
            }
            assertThat(pool.stats(ep).closed(CloseReason.HEALTH_CHECK_FAILED)).isEqualTo(1);
            server.assertAccepted(2);
        }
    }

    /** The handler's isHealthy runs after the configured HealthCheck, which keeps working. */
    @Test
    void healthCheckAndHandlerBothRun() throws Exception {
        LineProtocol handler = new LineProtocol();
        AtomicInteger checks = new AtomicInteger();
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(config(handler).healthCheck(c -> {
                checks.incrementAndGet();
                return EchoClient.roundTrip(c, "check").equals("check");
            }).build()));
            Endpoint ep = server.endpoint();
            pool.acquire(ep).close();
            pool.acquire(ep).close();
            assertThat(checks).hasValue(1);
            assertThat(handler.events).contains("healthy 1");
            assertThat(received(server.connections().get(0))).isEqualTo("hello\nreset\ncheck\nping\nreset\n");
        }
    }

    /** No goodbye after a broken lease or failed work: only a clean connection gets one. */
    @Test
    void noGoodbyeOnAConnectionInAnUnknownState() throws Exception {
        LineProtocol handler = new LineProtocol();
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(config(handler).build()));
            Endpoint ep = server.endpoint();
            assertThatThrownBy(() -> pool.withConnection(ep, c -> {
                c.out().write("half a comm".getBytes(StandardCharsets.UTF_8));
                c.out().flush();
                throw new IllegalStateException("caller failed");
            })).hasMessage("caller failed");
            pool.acquire(ep).invalidate();
            assertThat(handler.events).noneMatch(e -> e.startsWith("close"));
            assertThat(pool.stats(ep).closed(CloseReason.WORK_FAILED)).isEqualTo(1);
            assertThat(pool.stats(ep).closed(CloseReason.INVALIDATED)).isEqualTo(1);
        }
    }

    /** Goodbyes that get no answer: the pool's close() is bounded by its one-second budget, not one timeout each. */
    @Test
    void goodbyesNeverHoldUpClose() throws Exception {
        LineProtocol handler = new LineProtocol();
        int n = 8;
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(config(handler)
                    .maxConnectionsPerEndpoint(n).maxIdlePerEndpoint(n).build()));
            Endpoint ep = server.endpoint();
            assertThat(pool.warm(ep, n)).isEqualTo(n);
            server.echoing(false); // every "bye" waits for an answer that never comes (250 ms each)
            long t0 = System.nanoTime();
            pool.close();
            long took = Await.millisSince(t0);
            assertThat(took).as("%d goodbyes of 250 ms would take 2 s", n).isBetween(900L, 1_700L);
            assertThat(handler.events.stream().filter(e -> e.startsWith("close")).count()).isBetween(3L, 5L);
            assertThat(pool.stats(ep).closed(CloseReason.POOL_CLOSED)).isEqualTo(n);
        }
    }

    @Test
    void noGoodbyeWithAZeroGracePeriod() throws Exception {
        LineProtocol handler = new LineProtocol();
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(config(handler).build()));
            pool.warm(server.endpoint(), 2);
            assertThat(pool.close(Duration.ZERO)).isZero();
            assertThat(handler.events).noneMatch(e -> e.startsWith("close"));
        }
    }
}
