package io.conpool;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.testkit.EchoServer;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.ManualTicker;
import io.conpool.testkit.Wire;

/**
 * Time and use limits, checked on borrow with an injected clock (no sleeping), and the background sweep: expired
 * idle connections closed, every one of them in one pass, surplus above max idle trimmed, min idle kept open.
 */
@Timeout(30)
class ExpiryTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private final ManualTicker ticker = new ManualTicker();

    private ConnectionPool pool(PoolConfig config) {
        return leaks.track(ConnectionPool.builder().config(config).ticker(ticker));
    }

    @Test
    void anIdleConnectionPastMaxIdleTimeIsReplaced() {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = pool(PoolConfig.builder().maxIdleTime(Duration.ofSeconds(10)).build());
            Endpoint ep = server.endpoint();
            Socket first = leaseAndReturn(pool, ep);
            ticker.advance(Duration.ofSeconds(10));
            assertThat(leaseAndReturn(pool, ep)).as("exactly at the limit it is still reused").isSameAs(first);
            ticker.advance(Duration.ofSeconds(10).plusNanos(1));
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.socket()).isNotSameAs(first);
                assertThat(c.reused()).isFalse();
                assertThat(Wire.echo(c, "fresh")).isEqualTo("fresh");
            }
            assertThat(first.isClosed()).isTrue();
            EndpointStats s = pool.stats(ep);
            assertThat(s.closed(CloseReason.IDLE_TIMEOUT)).isEqualTo(1);
            assertThat(s.created()).isEqualTo(2);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    @Test
    void aConnectionPastItsLifetimeIsReplacedWhenIdleAndRetiredWhenReturned() {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = pool(PoolConfig.builder().maxConnectionLifetime(Duration.ofMinutes(1))
                    .lifetimeJitter(0).maxIdleTime(Duration.ofMinutes(10)).build());
            Endpoint ep = server.endpoint();
            Socket first = leaseAndReturn(pool, ep);
            ticker.advance(Duration.ofSeconds(59));
            assertThat(leaseAndReturn(pool, ep)).isSameAs(first);
            ticker.advance(Duration.ofSeconds(1));
            Socket second = leaseAndReturn(pool, ep);
            assertThat(second).isNotSameAs(first);
            assertThat(pool.stats(ep).closed(CloseReason.LIFETIME_EXPIRED)).isEqualTo(1);

            // Expiring while leased: closed on return instead of pooled.
            PooledConnection c = pool.acquire(ep);
            assertThat(c.socket()).isSameAs(second);
            ticker.advance(Duration.ofMinutes(2));
            assertThat(c.age()).isGreaterThanOrEqualTo(Duration.ofMinutes(2));
            c.close();
            EndpointStats s = pool.stats(ep);
            assertThat(s.closed(CloseReason.LIFETIME_EXPIRED)).isEqualTo(2);
            assertThat(s.idle()).isZero();
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    @Test
    void lifetimeJitterOnlyShortensTheLifetime() {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = pool(PoolConfig.builder().maxConnectionLifetime(Duration.ofMinutes(1))
                    .lifetimeJitter(0.5).maxIdleTime(Duration.ofMinutes(10)).build());
            Endpoint ep = server.endpoint();
            Socket first = leaseAndReturn(pool, ep);
            ticker.advance(Duration.ofSeconds(29)); // below the shortest jittered lifetime (30 s)
            assertThat(leaseAndReturn(pool, ep)).isSameAs(first);
            ticker.advance(Duration.ofSeconds(31)); // at the full lifetime: retired whatever the jitter
            assertThat(leaseAndReturn(pool, ep)).isNotSameAs(first);
            assertThat(pool.stats(ep).closed(CloseReason.LIFETIME_EXPIRED)).isEqualTo(1);
        }
    }

    @Test
    void aConnectionIsRetiredAfterMaxUses() {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = pool(PoolConfig.builder().maxConnectionUses(3).build());
            Endpoint ep = server.endpoint();
            List<Socket> sockets = new ArrayList<>();
            List<Long> uses = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                try (PooledConnection c = pool.acquire(ep)) {
                    sockets.add(c.socket());
                    uses.add(c.uses());
                    assertThat(Wire.echo(c, "u" + i)).isEqualTo("u" + i);
                }
            }
            assertThat(uses).containsExactly(1L, 2L, 3L, 1L);
            assertThat(sockets.get(1)).isSameAs(sockets.get(0));
            assertThat(sockets.get(2)).isSameAs(sockets.get(0));
            assertThat(sockets.get(3)).isNotSameAs(sockets.get(0));
            assertThat(sockets.get(0).isClosed()).isTrue();
            EndpointStats s = pool.stats(ep);
            assertThat(s.closed(CloseReason.MAX_USES)).isEqualTo(1);
            server.assertAccepted(2);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    @Test
    void theSweepClosesEveryExpiredIdleConnectionInOnePass() {
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            PoolConfig config = PoolConfig.builder().maxConnectionsPerEndpoint(20).maxIdlePerEndpoint(20)
                    .maxIdleTime(Duration.ofSeconds(10)).validationInterval(Duration.ofMillis(500)).build();
            // Named, so the endpoint (and its stats) are not forgotten once it is empty and unused.
            ConnectionPool pool = leaks.track(
                    ConnectionPool.builder().config(config).ticker(ticker).endpoint("echo", ep));
            assertThat(pool.warm(ep, 20)).isEqualTo(20);
            assertThat(pool.stats(ep).idle()).isEqualTo(20);
            sleep(300); // a few sweeps: nothing is expired yet
            assertThat(pool.stats(ep).idle()).isEqualTo(20);

            ticker.advance(Duration.ofSeconds(11));
            // The idle count must drop from 20 to 0 within one sweep (commons-pool2's evictor, left to its default,
            // would examine 3 a run: 7 runs, 3 s here): from the first close seen to the last, much less than the
            // 500 ms between sweeps.
            long[] firstDrop = { 0 };
            awaitTrue(() -> {
                int idle = pool.stats(ep).idle();
                if (idle < 20 && firstDrop[0] == 0) {
                    firstDrop[0] = System.nanoTime();
                }
                return idle == 0;
            });
            assertThat(Duration.ofNanos(System.nanoTime() - firstDrop[0])).isLessThan(Duration.ofMillis(250));
            awaitTrue(() -> pool.stats(ep).closed(CloseReason.IDLE_TIMEOUT) == 20);
            awaitTrue(() -> server.openConnections().isEmpty());
            EndpointStats s = pool.stats(ep);
            assertThat(s.closed()).isEqualTo(20);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    @Test
    void theSweepTrimsIdleConnectionsAboveMaxIdleOldestFirst() {
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(PoolConfig.builder()
                    .maxConnectionsPerEndpoint(6).maxIdlePerEndpoint(2).validationInterval(Duration.ofMillis(100))
                    .build()));
            List<PooledConnection> leases = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                leases.add(pool.acquire(ep));
            }
            List<Socket> sockets = new ArrayList<>();
            for (PooledConnection c : leases) {
                sockets.add(c.socket());
                c.close(); // returned in this order: the last two returned are the most recently used
            }
            // The sweep takes them out of the idle stack under the lock, then closes and counts them after it.
            awaitTrue(() -> pool.stats(ep).closed(CloseReason.IDLE_TRIMMED) == 4);
            assertThat(pool.stats(ep).idle()).isEqualTo(2);
            for (int i = 0; i < 4; i++) {
                assertThat(sockets.get(i).isClosed()).as("socket %d", i).isTrue();
            }
            assertThat(sockets.get(4).isClosed()).isFalse();
            assertThat(sockets.get(5).isClosed()).isFalse();
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    @Test
    void theSweepKeepsMinIdleOpen() {
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            PoolConfig config = PoolConfig.builder().maxConnectionsPerEndpoint(5).maxIdlePerEndpoint(5)
                    .minIdlePerEndpoint(3).validationInterval(Duration.ofMillis(100)).build();
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(config).endpoint("warm", ep));
            awaitTrue(() -> pool.stats(ep).idle() == 3);
            sleep(300);
            server.assertAccepted(3);

            PooledConnection a = pool.acquire(ep);
            PooledConnection b = pool.acquire(ep);
            assertThat(a.reused()).isTrue();
            awaitTrue(() -> pool.stats(ep).idle() == 3);
            server.assertAccepted(5);
            a.close();
            b.close();
            assertThat(pool.stats(ep).idle()).isEqualTo(5);

            pool.clearEndpoint(ep);
            awaitTrue(() -> pool.stats(ep).idle() == 3);
            assertThat(pool.stats(ep).closed(CloseReason.CLEARED)).isEqualTo(5);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    /** Min idle of an endpoint named at build time is opened right away, not at the first sweep (an hour away here). */
    @Test
    void namedEndpointsAreWarmedAtStartWithoutWaitingForTheFirstSweep() {
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            PoolConfig config = PoolConfig.builder().maxIdlePerEndpoint(2).minIdlePerEndpoint(2)
                    .validationInterval(Duration.ofHours(1)).build();
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(config).endpoint("warm", ep));
            awaitTrue(() -> pool.stats(ep).idle() == 2);
            server.assertAccepted(2);
            assertThat(pool.stats(ep).created()).isEqualTo(2);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    private static Socket leaseAndReturn(ConnectionPool pool, Endpoint ep) {
        try (PooledConnection c = pool.acquire(ep)) {
            assertThat(Wire.echo(c, "x")).isEqualTo("x");
            return c.socket();
        }
    }

    static void awaitTrue(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("condition not met within 10 s");
            }
            sleep(1);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new AssertionError(ex);
        }
    }
}
