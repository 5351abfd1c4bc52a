package io.conpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.testkit.Await;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.Wire;

/**
 * {@code maxTotalConnections}: the cap on connections open across endpoints. At the cap a caller closes another
 * endpoint's idle connection to make room, or waits first come first served for a connection to close; a caller of
 * an endpoint whose connection comes back idle takes it instead of opening one.
 */
@Timeout(60)
class MaxTotalConnectionsTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private static ConnectionPool.Builder pool(int maxTotal, int perEndpoint, Duration acquireTimeout) {
        return ConnectionPool.builder().maxTotalConnections(maxTotal).config(PoolConfig.builder()
                .maxConnectionsPerEndpoint(perEndpoint).maxIdlePerEndpoint(perEndpoint).acquireTimeout(acquireTimeout)
                .build());
    }

    @Test
    void atTheCapAnIdleConnectionOfAnotherEndpointClosesToMakeRoom() {
        try (EchoServer a = EchoServer.start(); EchoServer b = EchoServer.start()) {
            ConnectionPool p = leaks.track(pool(2, 2, Duration.ofSeconds(5)));
            Endpoint epA = a.endpoint();
            Endpoint epB = b.endpoint();
            assertThat(p.warm(epA, 2)).isEqualTo(2);
            try (PooledConnection first = p.acquire(epB); PooledConnection second = p.acquire(epB)) {
                assertThat(Wire.echo(first, "x")).isEqualTo("x");
                assertThat(Wire.echo(second, "y")).isEqualTo("y");
            }
            assertThat(p.stats(epA).closed(CloseReason.TOTAL_LIMIT)).isEqualTo(2);
            assertThat(p.stats(epA).idle()).isZero();
            assertThat(p.stats(epB).idle()).isEqualTo(2);
            Await.until(() -> a.openConnections().isEmpty(), "endpoint A's server sees its connections closed");
            LeakCheck.assertAtRest(p, epA);
            LeakCheck.assertNoPermitLost(p, epB);
        }
    }

    @Test
    void atTheCapWithEverythingLeasedCallersWaitInArrivalOrderAndTimeOutNamingTheCap() throws Exception {
        try (EchoServer a = EchoServer.start(); EchoServer b = EchoServer.start()) {
            ConnectionPool p = leaks.track(pool(2, 4, Duration.ofSeconds(10)));
            Endpoint epA = a.endpoint();
            Endpoint epB = b.endpoint();
            PooledConnection a1 = p.acquire(epA);
            PooledConnection a2 = p.acquire(epA);
            assertThatThrownBy(() -> p.acquire(epB, Duration.ofMillis(200)))
                    .isInstanceOfSatisfying(AcquireTimeoutException.class,
                            ex -> assertThat(ex).hasMessageContaining("max-total-connections"));
            ExecutorService threads = Executors.newFixedThreadPool(2);
            try {
                List<Integer> order = java.util.Collections.synchronizedList(new ArrayList<>());
                Future<?> first = threads.submit(() -> {
                    try (PooledConnection c = p.acquire(epB)) {
                        order.add(1);
                        Wire.echo(c, "first");
                    }
                    return null;
                });
                Await.until(() -> p.stats(epB).active() == 0 && totalWaiting(p, epB) , "first caller waits");
                Future<?> second = threads.submit(() -> {
                    try (PooledConnection c = p.acquire(epB)) {
                        order.add(2);
                        Wire.echo(c, "second");
                    }
                    return null;
                });
                Await.sleep(100);
                assertThat(order).isEmpty();
                a1.close(); // A has no caller waiting: its connection closes so that B's first caller can open one
                first.get(5, TimeUnit.SECONDS);
                second.get(5, TimeUnit.SECONDS);
                assertThat(order).containsExactly(1, 2);
                assertThat(p.stats(epA).closed(CloseReason.TOTAL_LIMIT)).isEqualTo(1);
            }
            finally {
                a2.close();
                Await.shutdown(threads);
            }
            LeakCheck.assertAtRest(p, epA);
            LeakCheck.assertAtRest(p, epB);
        }
    }

    @Test
    void aCallerWaitingForTheTotalTakesItsOwnEndpointsReturnedConnectionInsteadOfOpeningOne() throws Exception {
        try (EchoServer a = EchoServer.start()) {
            // The endpoint may have 4, the pool only 2: the third caller waits for the total, not for the endpoint.
            ConnectionPool p = leaks.track(pool(2, 4, Duration.ofSeconds(10)));
            Endpoint ep = a.endpoint();
            PooledConnection c1 = p.acquire(ep);
            PooledConnection c2 = p.acquire(ep);
            Socket s1 = c1.socket();
            CompletableFuture<Socket> third = CompletableFuture.supplyAsync(() -> {
                try (PooledConnection c = p.acquire(ep)) {
                    assertThat(c.reused()).isTrue();
                    return c.socket();
                }
            });
            Await.sleep(200);
            assertThat(third).isNotDone();
            c1.close();
            assertThat(third.get(5, TimeUnit.SECONDS)).isSameAs(s1);
            c2.close();
            EndpointStats s = p.stats(ep);
            assertThat(s.created()).isEqualTo(2);
            assertThat(s.closed()).isZero();
            a.assertAccepted(2);
            LeakCheck.assertAtRest(p, ep);
        }
    }

    @Test
    void theCapMustBePositive() {
        assertThatThrownBy(() -> ConnectionPool.builder().maxTotalConnections(0))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("maxTotalConnections")
                .hasMessageContaining("0");
    }

    /** Whether a caller of {@code ep} waits (for the total: the endpoint's own gate shows none pending). */
    private static boolean totalWaiting(ConnectionPool p, Endpoint ep) {
        return p.stats(ep).pending() == 0 && Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getState() == Thread.State.TIMED_WAITING && java.util.Arrays
                        .stream(t.getStackTrace()).anyMatch(f -> f.getClassName().endsWith("TotalLimit")));
    }
}
