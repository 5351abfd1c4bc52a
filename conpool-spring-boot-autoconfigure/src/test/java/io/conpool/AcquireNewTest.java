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
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.testkit.Await;
import io.conpool.testkit.EchoClient;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.RefusedPort;

/**
 * {@code acquireNew}: a newly opened connection, never an idle one, within the endpoint's limits and deadline; at the
 * maximum one idle connection makes room; under concurrency with ordinary acquires nothing leaks and every
 * {@code acquireNew} lease is a connection's first.
 */
@Timeout(30)
class AcquireNewTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private ConnectionPool pool(int max) {
        return leaks.track(ConnectionPool.builder()
                .config(PoolConfig.builder().maxConnectionsPerEndpoint(max).maxIdlePerEndpoint(max).build()));
    }

    @Test
    void opensANewConnectionAndLeavesTheIdleOnesAlone() throws Exception {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = pool(4);
            Endpoint ep = server.endpoint();
            assertThat(pool.warm(ep, 2)).isEqualTo(2);
            try (PooledConnection c = pool.acquireNew(ep)) {
                assertThat(c.reused()).isFalse();
                assertThat(c.uses()).isEqualTo(1);
                assertThat(EchoClient.roundTrip(c, "fresh")).isEqualTo("fresh");
                assertThat(server.connectionOf(c.socket()).index()).isEqualTo(2);
                assertThat(pool.stats(ep).idle()).isEqualTo(2);
            }
            EndpointStats s = pool.stats(ep);
            assertThat(s.created()).isEqualTo(3);
            assertThat(s.misses()).isEqualTo(1);
            assertThat(s.reused()).isZero();
            assertThat(s.idle()).isEqualTo(3);
            assertThat(s.closed()).isZero();
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.reused()).as("the new connection is pooled like any other").isTrue();
            }
        }
    }

    @Test
    void atTheMaximumOneIdleConnectionMakesRoom() throws Exception {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = pool(2);
            Endpoint ep = server.endpoint();
            pool.warm(ep, 2);
            try (PooledConnection c = pool.acquireNew(ep)) {
                assertThat(c.reused()).isFalse();
                EndpointStats s = pool.stats(ep);
                assertThat(s.closed(CloseReason.IDLE_TRIMMED)).isEqualTo(1);
                assertThat(s.idle()).isEqualTo(1);
                assertThat(s.active()).isEqualTo(1);
                try (PooledConnection d = pool.acquireNew(ep)) {
                    assertThat(d.reused()).isFalse();
                    assertThat(pool.stats(ep).closed(CloseReason.IDLE_TRIMMED)).isEqualTo(2);
                }
            }
            server.assertAccepted(4);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    /** Every connection leased: it waits for a permit like any acquire, and times out like one. */
    @Test
    void waitsInLineAndTimesOutLikeAnyAcquire() throws Exception {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = pool(1);
            Endpoint ep = server.endpoint();
            try (PooledConnection held = pool.acquire(ep)) {
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> pool.acquireNew(ep, Duration.ofMillis(200)))
                        .isInstanceOf(AcquireTimeoutException.class);
                assertThat(Await.millisSince(t0)).isBetween(150L, 2_000L);
            }
            ExecutorService waiter = Executors.newSingleThreadExecutor();
            try {
                PooledConnection held = pool.acquire(ep);
                Socket first = held.socket();
                Future<Socket> fresh = waiter.submit(() -> {
                    try (PooledConnection c = pool.acquireNew(ep)) {
                        return c.socket();
                    }
                });
                Await.pending(pool, ep, 1);
                held.close(); // its permit goes to the waiter, which closes the idle connection to open a new one
                assertThat(fresh.get()).isNotSameAs(first);
                assertThat(pool.stats(ep).closed(CloseReason.IDLE_TRIMMED)).isEqualTo(1);
            }
            finally {
                Await.shutdown(waiter);
            }
        }
    }

    @Test
    void aConnectFailureIsTheEndpointsLikeAnyOther() {
        Endpoint refused = Endpoint.of("127.0.0.1", RefusedPort.find());
        ConnectionPool pool = leaks.track(ConnectionPool.builder().config(PoolConfig.builder().connectAttempts(1)
                .circuitBreakerFailureThreshold(1).build()));
        assertThatThrownBy(() -> pool.acquireNew(refused)).isInstanceOf(ConnectException.class);
        assertThat(pool.stats(refused).errors()).isEqualTo(1);
        assertThatThrownBy(() -> pool.acquireNew(refused)).isInstanceOf(CircuitOpenException.class);
    }

    @Test
    void respectsTheTotalCap() throws Exception {
        try (EchoServer a = EchoServer.start(); EchoServer b = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder().maxTotalConnections(2)
                    .config(PoolConfig.builder().maxConnectionsPerEndpoint(2).maxIdlePerEndpoint(2).build()));
            pool.warm(a.endpoint(), 2);
            try (PooledConnection c = pool.acquireNew(b.endpoint())) {
                assertThat(c.reused()).isFalse();
                assertThat(pool.stats(a.endpoint()).closed(CloseReason.TOTAL_LIMIT)).isEqualTo(1);
            }
            int open = 0;
            for (EndpointStats s : pool.allStats()) {
                open += s.active() + s.idle();
            }
            assertThat(open).isEqualTo(2);
        }
    }

    /** acquireNew and acquire racing on a small pool: every acquireNew lease is a first lease; nothing leaks. */
    @Test
    void racingWithOrdinaryAcquires() throws Exception {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = pool(3);
            Endpoint ep = server.endpoint();
            int threads = 6;
            int rounds = 150;
            AtomicInteger notFresh = new AtomicInteger();
            ExecutorService workers = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    boolean fresh = t % 2 == 0;
                    done.add(workers.submit(() -> {
                        for (int i = 0; i < rounds; i++) {
                            try (PooledConnection c = fresh ? pool.acquireNew(ep) : pool.acquire(ep)) {
                                if (fresh && (c.reused() || c.uses() != 1)) {
                                    notFresh.incrementAndGet();
                                }
                                EchoClient.roundTrip(c, "x");
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            }
            finally {
                Await.shutdown(workers);
            }
            assertThat(notFresh).hasValue(0);
            EndpointStats s = pool.stats(ep);
            assertThat(s.misses()).isGreaterThanOrEqualTo(threads / 2 * rounds);
            assertThat(s.created() - s.closed()).isEqualTo(s.active() + s.idle());
            assertThat(s.active() + s.idle()).isLessThanOrEqualTo(3);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }
}
