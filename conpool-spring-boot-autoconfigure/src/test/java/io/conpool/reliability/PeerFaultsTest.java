package io.conpool.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.CloseReason;
import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.EndpointStats;
import io.conpool.PoolConfig;
import io.conpool.PooledConnection;
import io.conpool.testkit.EchoClient;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.FaultProxy;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.TcpStates;

/**
 * Scenarios 5, 6, 7 and 9: the peer resets, closes on idle, or half-closes a pooled connection, or the caller hits
 * an I/O error and returns the lease anyway. The pool never hands out the dead socket again and frees its slot.
 */
@Timeout(30)
class PeerFaultsTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private static PoolConfig.Builder oneConnection() {
        // A long validation interval: these tests show the check on borrow, not the background sweep.
        return PoolConfig.builder().maxConnectionsPerEndpoint(1).maxIdlePerEndpoint(1)
                .acquireTimeout(Duration.ofSeconds(3)).validationInterval(Duration.ofHours(1));
    }

    /** Scenario 5. */
    @Test
    void idleConnectionResetByThePeerFreesTheOnlySlotForAFreshConnection() throws Exception {
        try (EchoServer server = EchoServer.start(); FaultProxy proxy = FaultProxy.to(server.address())) {
            Endpoint ep = Endpoint.of(proxy.host(), proxy.port());
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(oneConnection().build()));
            Socket first;
            try (PooledConnection c = pool.acquire(ep)) {
                first = c.socket();
                EchoClient.roundTrip(c, "before");
            }
            assertThat(proxy.resetAll()).isEqualTo(1);
            TcpStates.awaitPeerClosed(first);

            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.socket()).isNotSameAs(first);
                assertThat(c.reused()).isFalse();
                assertThat(EchoClient.roundTrip(c, "after")).isEqualTo("after");
            }
            EndpointStats s = pool.stats(ep);
            assertThat(s.closed(CloseReason.PEER_CLOSED)).isEqualTo(1);
            assertThat(s.created()).isEqualTo(2);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    /**
     * Scenario 6 (scaled: the server closes connections idle 200 ms, the pool would keep them 5 s). Idle gaps are
     * either well below or well above the server's limit, so no use can race the server's close: every use must
     * succeed, and every long gap costs exactly one stale connection, caught before it reaches a caller.
     */
    @Test
    void serverClosingIdleConnectionsBeforeThePoolDoesIsNeverSeenByACaller() throws Exception {
        try (EchoServer server = EchoServer.start(); FaultProxy proxy = FaultProxy.to(server.address())) {
            proxy.idleTimeout(Duration.ofMillis(200));
            Endpoint ep = Endpoint.of(proxy.host(), proxy.port());
            ConnectionPool pool = leaks.track(ConnectionPool.builder()
                    .config(oneConnection().maxIdleTime(Duration.ofSeconds(5)).build()));
            int longGaps = 4;
            int uses = 0;
            Socket last = null;
            for (int round = 0; round < longGaps; round++) {
                for (int i = 0; i < 3; i++) {
                    try (PooledConnection c = pool.acquire(ep)) {
                        last = c.socket();
                        String id = "r" + round + "u" + i;
                        assertThat(EchoClient.roundTrip(c, id)).isEqualTo(id);
                        uses++;
                    }
                    Thread.sleep(10);
                }
                Thread.sleep(450); // past the server's idle limit: it closes the pooled connection
                TcpStates.awaitPeerClosed(last);
            }
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(EchoClient.roundTrip(c, "last")).isEqualTo("last");
                uses++;
            }
            EndpointStats s = pool.stats(ep);
            assertThat(uses).isEqualTo(longGaps * 3 + 1);
            assertThat(proxy.idleCloses()).isEqualTo(longGaps);
            assertThat(s.closed(CloseReason.PEER_CLOSED)).isEqualTo(longGaps);
            assertThat(s.created()).isEqualTo(longGaps + 1);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    /** Scenario 7, idle: a half-closed connection is destroyed, never reused. */
    @Test
    void idleHalfClosedConnectionIsDestroyedNotReused() throws Exception {
        try (EchoServer server = EchoServer.start(); FaultProxy proxy = FaultProxy.to(server.address())) {
            Endpoint ep = Endpoint.of(proxy.host(), proxy.port());
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(oneConnection().build()));
            Socket first;
            try (PooledConnection c = pool.acquire(ep)) {
                first = c.socket();
                EchoClient.roundTrip(c, "x");
            }
            assertThat(proxy.halfCloseAll()).isEqualTo(1);
            TcpStates.awaitPeerClosed(first);

            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.socket()).isNotSameAs(first);
                assertThat(EchoClient.roundTrip(c, "y")).isEqualTo("y");
            }
            assertThat(pool.stats(ep).closed(CloseReason.PEER_CLOSED)).isEqualTo(1);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    /**
     * Scenario 7, leased: the caller reads end of stream (no exception, so nothing marks the connection broken) and
     * returns the lease as if all were well; the pool must still never hand that socket out again.
     */
    @Test
    void connectionHalfClosedDuringALeaseIsNotReusedAfterAnOrdinaryReturn() throws Exception {
        try (EchoServer server = EchoServer.start(); FaultProxy proxy = FaultProxy.to(server.address())) {
            Endpoint ep = Endpoint.of(proxy.host(), proxy.port());
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(oneConnection().build()));
            Socket first;
            try (PooledConnection c = pool.acquire(ep)) {
                first = c.socket();
                EchoClient.roundTrip(c, "x");
                proxy.halfCloseAll();
                assertThat(c.in().read()).as("the caller sees end of stream").isEqualTo(-1);
            }
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.socket()).isNotSameAs(first);
                assertThat(EchoClient.roundTrip(c, "fresh")).isEqualTo("fresh");
            }
            EndpointStats s = pool.stats(ep);
            assertThat(s.closed()).isEqualTo(1);
            assertThat(s.closed(CloseReason.PEER_CLOSED) + s.closed(CloseReason.BROKEN)).isEqualTo(1);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    /** Scenario 9: the caller's I/O failed, and it returns the lease with close() anyway. */
    @Test
    void leaseReturnedAfterAnIoErrorIsDestroyedNotPooled() throws Exception {
        try (EchoServer server = EchoServer.start(); FaultProxy proxy = FaultProxy.to(server.address())) {
            Endpoint ep = Endpoint.of(proxy.host(), proxy.port());
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(oneConnection().build()));
            Socket first;
            PooledConnection c = pool.acquire(ep);
            first = c.socket();
            EchoClient.roundTrip(c, "x");
            proxy.resetAll();
            assertThatThrownBy(() -> {
                EchoClient.roundTrip(c, "y");
                EchoClient.roundTrip(c, "z"); // a write into a reset socket may be buffered once: the read fails
            }).isInstanceOf(IOException.class);
            c.close();

            EndpointStats s = pool.stats(ep);
            assertThat(s.idle()).isZero();
            assertThat(s.closed(CloseReason.BROKEN)).isEqualTo(1);
            try (PooledConnection next = pool.acquire(ep)) {
                assertThat(next.socket()).isNotSameAs(first);
                assertThat(EchoClient.roundTrip(next, "ok")).isEqualTo("ok");
            }
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    /** Scenario 9 through {@code withConnection}: the work's I/O error reaches the caller, the connection dies. */
    @Test
    void workThatHitsAnIoErrorDestroysTheConnection() throws Exception {
        try (EchoServer server = EchoServer.start(); FaultProxy proxy = FaultProxy.to(server.address())) {
            Endpoint ep = Endpoint.of(proxy.host(), proxy.port());
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(oneConnection().build()));
            Socket warm = pool.withConnection(ep, c -> {
                EchoClient.roundTrip(c, "warm");
                return c.socket();
            });
            proxy.closeAll();
            TcpStates.awaitPeerClosed(warm);
            assertThatThrownBy(() -> pool.withConnection(ep, c -> {
                // the check on borrow replaced the closed connection; now break this one under the lease
                EchoClient.roundTrip(c, "fresh");
                proxy.resetAll();
                TcpStates.awaitPeerClosed(c.socket());
                EchoClient.roundTrip(c, "y");
                return EchoClient.roundTrip(c, "z");
            })).isInstanceOfAny(IOException.class, EOFException.class);
            EndpointStats s = pool.stats(ep);
            assertThat(s.closed(CloseReason.PEER_CLOSED)).isEqualTo(1);
            assertThat(s.closed(CloseReason.WORK_FAILED)).isEqualTo(1);
            assertThat(s.idle()).isZero();
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }
}
