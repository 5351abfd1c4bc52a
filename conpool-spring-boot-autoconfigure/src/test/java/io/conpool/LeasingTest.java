package io.conpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.testkit.EchoServer;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.Wire;

/** Borrowing and returning: reuse, limits, waiting, isolation, work that fails, misuse of a lease. */
@Timeout(30)
class LeasingTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private static PoolConfig.Builder config(int max) {
        return PoolConfig.builder().maxConnectionsPerEndpoint(max).maxIdlePerEndpoint(max);
    }

    @Test
    void secondAcquireGetsTheSameSocketAndCountsAHit() {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder());
            Endpoint ep = server.endpoint();
            Socket first;
            try (PooledConnection c = pool.acquire(ep)) {
                first = c.socket();
                assertThat(c.reused()).isFalse();
                assertThat(c.uses()).isEqualTo(1);
                assertThat(Wire.echo(c, "one")).isEqualTo("one");
            }
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.socket()).isSameAs(first);
                assertThat(c.reused()).isTrue();
                assertThat(c.uses()).isEqualTo(2);
                assertThat(Wire.echo(c, "two")).isEqualTo("two");
            }
            EndpointStats s = pool.stats(ep);
            assertThat(s.created()).isEqualTo(1);
            assertThat(s.misses()).isEqualTo(1);
            assertThat(s.reused()).isEqualTo(1);
            assertThat(s.hitRate()).isEqualTo(0.5);
            assertThat(s.idle()).isEqualTo(1);
            server.assertAccepted(1);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    @Test
    void limitPerEndpointThenTypedAcquireTimeoutWithoutOpeningASocket() {
        try (EchoServer server = EchoServer.start()) {
            Duration acquireTimeout = Duration.ofMillis(400);
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(config(2).acquireTimeout(acquireTimeout).build()));
            Endpoint ep = server.endpoint();
            PooledConnection a = pool.acquire(ep);
            PooledConnection b = pool.acquire(ep);
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> pool.acquire(ep)).isInstanceOfSatisfying(AcquireTimeoutException.class, ex -> {
                assertThat(ex.endpoint()).isEqualTo(ep);
                assertThat(ex.timeout()).isEqualTo(acquireTimeout);
                assertThat(ex).hasMessageContaining(ep.toString()).hasMessageContaining("400 ms");
            });
            long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(waitedMs).isBetween(acquireTimeout.toMillis() - 10, 2 * acquireTimeout.toMillis() + 500);
            // An explicit timeout overrides the configured one.
            t0 = System.nanoTime();
            assertThatThrownBy(() -> pool.acquire(ep, Duration.ofMillis(100))).isInstanceOf(AcquireTimeoutException.class);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isBetween(90L, 700L);

            server.assertAccepted(2);
            EndpointStats s = pool.stats(ep);
            assertThat(s.active()).isEqualTo(2);
            assertThat(s.created()).isEqualTo(2);
            assertThat(s.acquireTimeouts()).isEqualTo(2);
            assertThat(s.pending()).isZero();
            a.close();
            b.close();
            LeakCheck.assertNoPermitLost(pool, ep);
            server.assertAccepted(2);
        }
    }

    @Test
    void aReturnedConnectionGoesToTheWaiterWithoutANewSocket() throws Exception {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(config(1).build()));
            Endpoint ep = server.endpoint();
            PooledConnection held = pool.acquire(ep);
            Socket socket = held.socket();
            CompletableFuture<Socket> waiter = CompletableFuture.supplyAsync(() -> {
                try (PooledConnection c = pool.acquire(ep, Duration.ofSeconds(10))) {
                    Wire.echo(c, "w");
                    return c.socket();
                }
            });
            awaitPending(pool, ep, 1);
            held.close();
            assertThat(waiter.get(5, TimeUnit.SECONDS)).isSameAs(socket);
            server.assertAccepted(1);
            LeakCheck.assertAtRest(pool, ep);
        }
    }

    @Test
    void namedEndpointsAndPerEndpointSettings() {
        try (EchoServer small = EchoServer.start(); EchoServer big = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(config(4).build())
                    .endpoint("small", small.endpoint(), config(1).build())
                    .endpoint("big", big.endpoint()));
            assertThat(pool.namedEndpoints()).containsOnlyKeys("small", "big");
            assertThat(pool.endpoint("small")).contains(small.endpoint());
            assertThat(pool.config(small.endpoint()).maxConnectionsPerEndpoint()).isEqualTo(1);
            assertThat(pool.config(big.endpoint()).maxConnectionsPerEndpoint()).isEqualTo(4);
            assertThat(pool.allStats()).extracting(EndpointStats::name).containsExactly("small", "big");
            try (PooledConnection c = pool.acquire("small")) {
                assertThat(c.endpoint()).isEqualTo(small.endpoint());
                assertThat(Wire.echo(c, "named")).isEqualTo("named");
                assertThatThrownBy(() -> pool.acquire(small.endpoint(), Duration.ofMillis(100)))
                        .isInstanceOf(AcquireTimeoutException.class);
            }
            assertThat(pool.stats(small.endpoint()).name()).isEqualTo("small");
            assertThat(pool.stats(small.endpoint()).maxConnections()).isEqualTo(1);
            LeakCheck.assertNoPermitLost(pool, small.endpoint());
            LeakCheck.assertNoPermitLost(pool, big.endpoint());
        }
    }

    @Test
    void equalEndpointsShareConnectionsAndDifferentTlsSettingsNeverDo() {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder());
            Socket first;
            try (PooledConnection c = pool.acquire(Endpoint.of("127.0.0.1", server.port()))) {
                first = c.socket();
            }
            try (PooledConnection c = pool.acquire(Endpoint.parse("127.0.0.1:" + server.port()))) {
                assertThat(c.socket()).isSameAs(first);
            }
            assertThat(pool.allStats()).hasSize(1);
        }
        try (io.conpool.testkit.TlsServer server = io.conpool.testkit.TlsServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder());
            var certs = server.certificates();
            Endpoint a = Endpoint.of("127.0.0.1", server.port(), Tls.of(certs.clientContext()));
            Endpoint b = Endpoint.of("127.0.0.1", server.port(), Tls.of(certs.newClientContext()));
            Endpoint c = Endpoint.of("127.0.0.1", server.port(),
                    Tls.builder().sslContext(certs.clientContext()).verifyHostname(false).build());
            Socket sa = leaseAndReturn(pool, a);
            assertThat(leaseAndReturn(pool, a)).isSameAs(sa);
            Socket sb = leaseAndReturn(pool, b);
            Socket sc = leaseAndReturn(pool, c);
            assertThat(java.util.List.of(sa, sb, sc)).doesNotHaveDuplicates();
            assertThat(server.handshakes()).isEqualTo(3);
            assertThat(pool.allStats()).hasSize(3);
        }
    }

    private static Socket leaseAndReturn(ConnectionPool pool, Endpoint ep) {
        try (PooledConnection c = pool.acquire(ep)) {
            assertThat(Wire.echo(c, "x")).isEqualTo("x");
            return c.socket();
        }
    }

    @Test
    void anExhaustedEndpointDoesNotBlockAnother() {
        try (EchoServer one = EchoServer.start(); EchoServer two = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(config(1).build()));
            PooledConnection held = pool.acquire(one.endpoint());
            assertThatThrownBy(() -> pool.acquire(one.endpoint(), Duration.ofMillis(100)))
                    .isInstanceOf(AcquireTimeoutException.class);
            long t0 = System.nanoTime();
            try (PooledConnection other = pool.acquire(two.endpoint(), Duration.ofSeconds(5))) {
                assertThat(Wire.echo(other, "free")).isEqualTo("free");
            }
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(2_000);
            assertThat(pool.stats(two.endpoint()).acquireTimeouts()).isZero();
            held.close();
            LeakCheck.assertNoPermitLost(pool, one.endpoint());
            LeakCheck.assertNoPermitLost(pool, two.endpoint());
        }
    }

    @Test
    void workThatThrowsDestroysTheConnectionAndTheSameExceptionReachesTheCaller() {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder());
            Endpoint ep = server.endpoint();
            IllegalStateException unchecked = new IllegalStateException("boom");
            List<Socket> used = new ArrayList<>();
            assertThatThrownBy(() -> pool.withConnection(ep, c -> {
                used.add(c.socket());
                throw unchecked;
            })).isSameAs(unchecked);

            IOException checked = new IOException("protocol error");
            Throwable thrown = null;
            try {
                pool.<String, IOException>withConnection(ep, c -> {
                    used.add(c.socket());
                    throw checked;
                });
            }
            catch (IOException ex) {
                thrown = ex;
            }
            assertThat(thrown).isSameAs(checked);

            String result = pool.withConnection(ep, c -> {
                used.add(c.socket());
                return Wire.echo(c, "ok");
            });
            assertThat(result).isEqualTo("ok");
            assertThat(used).doesNotHaveDuplicates().hasSize(3);
            assertThat(used.get(0).isClosed()).isTrue();
            assertThat(used.get(1).isClosed()).isTrue();

            EndpointStats s = pool.stats(ep);
            assertThat(s.closed(CloseReason.WORK_FAILED)).isEqualTo(2);
            assertThat(s.idle()).isEqualTo(1);
            server.assertAccepted(3);
            // The successful one was returned and is reused.
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.socket()).isSameAs(used.get(2));
            }
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    @Test
    void endingALeaseTwiceOrAfterInvalidateFailsAndChangesNoStats() {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder());
            Endpoint ep = server.endpoint();
            PooledConnection c = pool.acquire(ep);
            c.close();
            EndpointStats before = pool.stats(ep);
            assertThatThrownBy(c::close).isInstanceOf(IllegalStateException.class).hasMessageContaining("already ended");
            assertThatThrownBy(c::invalidate).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> pool.release(c)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(c::in).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(c::out).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(c::socket).isInstanceOf(IllegalStateException.class);
            assertThat(pool.stats(ep)).isEqualTo(before);

            PooledConnection d = pool.acquire(ep);
            d.invalidate();
            before = pool.stats(ep);
            assertThat(before.closed(CloseReason.INVALIDATED)).isEqualTo(1);
            assertThatThrownBy(d::close).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(d::invalidate).isInstanceOf(IllegalStateException.class);
            assertThat(pool.stats(ep)).isEqualTo(before);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    @Test
    void releasingALeaseOfAnotherPoolFailsAndChangesNoStats() {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool a = leaks.track(ConnectionPool.builder());
            ConnectionPool b = leaks.track(ConnectionPool.builder());
            Endpoint ep = server.endpoint();
            try (PooledConnection fromB = b.acquire(ep)) {
                a.acquire(ep).close();
                EndpointStats aBefore = a.stats(ep);
                EndpointStats bBefore = b.stats(ep);
                assertThatThrownBy(() -> a.release(fromB)).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("not leased from this pool");
                assertThat(a.stats(ep)).isEqualTo(aBefore);
                assertThat(b.stats(ep)).isEqualTo(bBefore);
                assertThat(Wire.echo(fromB, "still mine")).isEqualTo("still mine");
            }
            assertThat(b.stats(ep).idle()).isEqualTo(1);
            LeakCheck.assertNoPermitLost(a, ep);
            LeakCheck.assertNoPermitLost(b, ep);
        }
    }

    @Test
    void releaseThroughThePoolReturnsTheConnection() {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder());
            PooledConnection c = pool.acquire(server.endpoint());
            pool.release(c);
            assertThat(pool.stats(server.endpoint()).idle()).isEqualTo(1);
            assertThatThrownBy(() -> pool.release(c)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void listenersHearCreatedReusedAndClosedWithTheReason() {
        try (EchoServer server = EchoServer.start()) {
            List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
            ConnectionPoolListener recorder = new ConnectionPoolListener() {
                @Override
                public void onConnectionCreated(Endpoint endpoint, long connectNanos) {
                    events.add("created " + endpoint + (connectNanos >= 0 ? "" : " negative"));
                }

                @Override
                public void onConnectionReused(Endpoint endpoint) {
                    events.add("reused " + endpoint);
                }

                @Override
                public void onConnectionClosed(Endpoint endpoint, CloseReason reason) {
                    events.add("closed " + endpoint + " " + reason);
                }
            };
            ConnectionPool pool = leaks.track(ConnectionPool.builder().listener(recorder));
            Endpoint ep = server.endpoint();
            pool.acquire(ep).close();
            pool.acquire(ep).invalidate();
            assertThat(events).containsExactly("created " + ep, "reused " + ep, "closed " + ep + " INVALIDATED");
        }
    }

    @Test
    void aListenerThatThrowsIsCountedAndDoesNotBreakAcquire() {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPoolListener broken = new ConnectionPoolListener() {
                @Override
                public void onConnectionCreated(Endpoint endpoint, long connectNanos) {
                    throw new IllegalStateException("listener bug: created");
                }

                @Override
                public void onConnectionReused(Endpoint endpoint) {
                    throw new IllegalStateException("listener bug: reused");
                }

                @Override
                public void onConnectionClosed(Endpoint endpoint, CloseReason reason) {
                    throw new IllegalStateException("listener bug: closed");
                }
            };
            ConnectionPool pool = leaks.track(ConnectionPool.builder().listener(broken));
            Endpoint ep = server.endpoint();
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(Wire.echo(c, "a")).isEqualTo("a");
            }
            PooledConnection again = pool.acquire(ep);
            assertThat(again.reused()).isTrue();
            assertThat(Wire.echo(again, "b")).isEqualTo("b");
            again.invalidate();
            EndpointStats s = pool.stats(ep);
            assertThat(s.listenerErrors()).isEqualTo(3);
            assertThat(s.created()).isEqualTo(1);
            assertThat(s.closed(CloseReason.INVALIDATED)).isEqualTo(1);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    @Test
    void leasesAreExclusiveUnderConcurrency() throws Exception {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(config(3).build()));
            Endpoint ep = server.endpoint();
            java.util.Set<Socket> inUse = java.util.concurrent.ConcurrentHashMap.newKeySet();
            java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(8);
            try {
                List<Future<Integer>> results = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    int id = t;
                    results.add(threads.submit(() -> {
                        int done = 0;
                        for (int i = 0; i < 50; i++) {
                            try (PooledConnection c = pool.acquire(ep, Duration.ofSeconds(10))) {
                                if (!inUse.add(c.socket())) {
                                    throw new AssertionError("socket leased twice at once");
                                }
                                String msg = id + ":" + i + ";";
                                if (!Wire.echo(c, msg).equals(msg)) {
                                    throw new AssertionError("crossed replies");
                                }
                                inUse.remove(c.socket());
                                done++;
                            }
                        }
                        return done;
                    }));
                }
                for (Future<Integer> f : results) {
                    assertThat(f.get(20, TimeUnit.SECONDS)).isEqualTo(50);
                }
            }
            catch (ExecutionException ex) {
                throw new AssertionError(ex.getCause());
            }
            finally {
                threads.shutdownNow();
                threads.awaitTermination(5, TimeUnit.SECONDS);
            }
            EndpointStats s = pool.stats(ep);
            assertThat(s.created()).isLessThanOrEqualTo(3);
            assertThat(s.reused() + s.misses()).isEqualTo(400);
            assertThat(server.accepted()).isLessThanOrEqualTo(3);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    static void awaitPending(ConnectionPool pool, Endpoint ep, int n) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (pool.stats(ep).pending() < n) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("expected " + n + " waiters, stats " + pool.stats(ep));
            }
            Thread.onSpinWait();
            try {
                Thread.sleep(1);
            }
            catch (InterruptedException ex) {
                throw new AssertionError(ex);
            }
        }
    }
}
