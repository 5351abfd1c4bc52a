package io.conpool.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.CloseReason;
import io.conpool.ConnectionPool;
import io.conpool.ConnectionPoolListener;
import io.conpool.ConpoolException;
import io.conpool.Endpoint;
import io.conpool.EndpointStats;
import io.conpool.HealthCheck;
import io.conpool.HealthChecks;
import io.conpool.PoolConfig;
import io.conpool.PooledConnection;
import io.conpool.testkit.Await;
import io.conpool.testkit.EchoClient;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.RespServer;

/**
 * Scenarios 8 and 14: a health check against a server that stopped answering is bounded by its own timeout and by
 * the acquire's deadline; a listener hook or health check that throws is counted and contained, with no busy loop
 * and no lost slot.
 */
@Timeout(30)
class HealthAndHookFailuresTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    /** Scenario 8: the check's own timeout bounds it, and the caller gets a fresh connection. */
    @Test
    void healthCheckAgainstASilentServerIsBoundedByItsTimeout() throws Exception {
        try (RespServer server = RespServer.start()) {
            Endpoint ep = server.endpoint();
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(PoolConfig.builder()
                    .maxConnectionsPerEndpoint(1).maxIdlePerEndpoint(1).healthCheck(HealthChecks.redisPing())
                    .healthCheckTimeout(Duration.ofMillis(300)).acquireTimeout(Duration.ofSeconds(10)).build()));
            Socket first;
            try (PooledConnection c = pool.acquire(ep)) {
                first = c.socket();
            }
            server.answering(false);

            long t0 = System.nanoTime();
            try (PooledConnection c = pool.acquire(ep)) {
                long took = Await.millisSince(t0);
                assertThat(took).as("bounded by healthCheckTimeout (300 ms), not acquireTimeout (10 s)")
                        .isBetween(290L, 300L * 2 + 500);
                assertThat(c.socket()).isNotSameAs(first);
                assertThat(c.reused()).isFalse();
            }
            EndpointStats s = pool.stats(ep);
            assertThat(s.closed(CloseReason.HEALTH_CHECK_FAILED)).isEqualTo(1);
            assertThat(server.pings()).isEqualTo(1);
            server.answering(true);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    /** Scenario 8: a health check timeout longer than what is left of the acquire still meets the deadline. */
    @Test
    void healthCheckNeverPushesAnAcquirePastItsDeadline() throws Exception {
        try (RespServer server = RespServer.start()) {
            Endpoint ep = server.endpoint();
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(PoolConfig.builder()
                    .maxConnectionsPerEndpoint(1).maxIdlePerEndpoint(1).healthCheck(HealthChecks.redisPing())
                    .healthCheckTimeout(Duration.ofSeconds(10)).acquireTimeout(Duration.ofMillis(400)).build()));
            pool.acquire(ep).close();
            server.answering(false);

            long t0 = System.nanoTime();
            Throwable failure = Await.failureOf(() -> pool.acquire(ep).close());
            long took = Await.millisSince(t0);
            assertThat(took).as("within the 400 ms acquire deadline (generously)").isLessThan(400L * 2 + 500);
            if (failure != null) {
                assertThat(failure).as("a typed error if the deadline ran out").isInstanceOf(ConpoolException.class);
            }
            assertThat(pool.stats(ep).closed(CloseReason.HEALTH_CHECK_FAILED)).isEqualTo(1);
            server.answering(true);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    /** Scenario 14: every hook throws; every call still works, each throw is counted, nothing is lost. */
    @Test
    void throwingListenerHooksAreCountedAndContained() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        ConnectionPoolListener hostile = new ConnectionPoolListener() {
            @Override
            public void onConnectionCreated(Endpoint endpoint, long connectNanos) {
                throw boom();
            }

            @Override
            public void onConnectionReused(Endpoint endpoint) {
                throw boom();
            }

            @Override
            public void onAcquired(Endpoint endpoint, long waitNanos) {
                throw boom();
            }

            @Override
            public void onReleased(Endpoint endpoint, long leaseNanos) {
                throw boom();
            }

            @Override
            public void onConnectionClosed(Endpoint endpoint, CloseReason reason) {
                throw boom();
            }

            private RuntimeException boom() {
                calls.incrementAndGet();
                return new IllegalStateException("hostile listener");
            }
        };
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            ConnectionPool pool = leaks.track(ConnectionPool.builder().listener(hostile).config(PoolConfig.builder()
                    .maxConnectionsPerEndpoint(2).maxIdlePerEndpoint(2).acquireTimeout(Duration.ofSeconds(3)).build()));
            for (int i = 0; i < 5; i++) {
                try (PooledConnection c = pool.acquire(ep)) {
                    assertThat(EchoClient.roundTrip(c, "n" + i)).isEqualTo("n" + i);
                }
            }
            pool.acquire(ep).invalidate();
            EndpointStats s = pool.stats(ep);
            // created: 1 + acquired 6 + reused 5 + released 6 + closed 1 = 19 hook calls, all threw.
            assertThat(calls.get()).isEqualTo(19);
            assertThat(s.listenerErrors()).isEqualTo(calls.get());
            assertThat(s.created()).isEqualTo(1);
            assertThat(s.closed(CloseReason.INVALIDATED)).isEqualTo(1);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    /** Scenario 14: a health check that throws retires the connection, is counted, and is run once per reuse. */
    @Test
    void throwingHealthCheckIsCountedRetiresTheConnectionAndDoesNotLoop() throws Exception {
        AtomicInteger checks = new AtomicInteger();
        HealthCheck broken = c -> {
            checks.incrementAndGet();
            throw new IllegalStateException("health check bug");
        };
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(PoolConfig.builder()
                    .maxConnectionsPerEndpoint(2).maxIdlePerEndpoint(2).healthCheck(broken)
                    .acquireTimeout(Duration.ofSeconds(3)).build()));
            for (int i = 0; i < 4; i++) {
                try (PooledConnection c = pool.acquire(ep)) {
                    assertThat(EchoClient.roundTrip(c, "n" + i)).isEqualTo("n" + i);
                }
            }
            EndpointStats s = pool.stats(ep);
            // Only the 3 acquires that found an idle connection ran the check, once each; new connections are not
            // checked, so a failing check cannot spin.
            assertThat(checks.get()).isEqualTo(3);
            assertThat(s.listenerErrors()).isEqualTo(3);
            assertThat(s.closed(CloseReason.HEALTH_CHECK_FAILED)).isEqualTo(3);
            assertThat(s.created()).isEqualTo(4);
            assertThat(s.idle()).isEqualTo(1);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }
}
