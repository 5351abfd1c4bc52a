package io.conpool.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.CloseReason;
import io.conpool.ConnectException;
import io.conpool.ConnectTimeoutException;
import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.EndpointStats;
import io.conpool.PoolConfig;
import io.conpool.PooledConnection;
import io.conpool.Resolver;
import io.conpool.testkit.Await;
import io.conpool.testkit.ConnectTimeoutTarget;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.OpenSockets;
import io.conpool.testkit.RefusedPort;
import io.conpool.testkit.ScriptedResolver;

/**
 * Scenarios 10 and 13: connects that are refused or time out make exactly the configured attempts, leave no socket
 * behind and fail with typed errors; keeping min idle connections to a dead endpoint retries with backoff, counts
 * its failures, and never stalls the eviction of other endpoints.
 */
@Timeout(30)
class ConnectFailureScenariosTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    /**
     * Every attempt resolves the host again (DNS TTL of 1 ns), so the resolver counts the attempts independently
     * of what the exception says. Only lookups from the test's thread are counted, not the sweeper's.
     */
    private static Resolver countingAttempts(ScriptedResolver scripted, AtomicInteger attempts) {
        Thread caller = Thread.currentThread();
        return host -> {
            if (Thread.currentThread() == caller) {
                attempts.incrementAndGet();
            }
            return scripted.resolve(host);
        };
    }

    /** Scenario 10, refused. */
    @Test
    void refusedConnectMakesExactlyTheConfiguredAttemptsAndLeavesNoSocket() {
        int port = RefusedPort.find();
        AtomicInteger attempts = new AtomicInteger();
        ConnectionPool pool = leaks.track(ConnectionPool.builder()
                .resolver(countingAttempts(ScriptedResolver.answering("dead.test", "127.0.0.1"), attempts))
                .dnsCacheTtl(Duration.ofNanos(1))
                .config(PoolConfig.builder().connectAttempts(3).connectBackoff(Duration.ofMillis(20))
                        .circuitBreakerEnabled(false).validationInterval(Duration.ofHours(1)).build()));
        Endpoint ep = Endpoint.of("dead.test", port);
        int sockets = OpenSockets.count();

        long t0 = System.nanoTime();
        Throwable t = Await.failureOf(() -> pool.acquire(ep).close());
        long took = Await.millisSince(t0);

        assertThat(t).isExactlyInstanceOf(ConnectException.class)
                .hasMessageContaining("dead.test:" + port).hasMessageContaining("after 3 attempts");
        assertThat(((ConnectException) t).attempts()).isEqualTo(3);
        assertThat(t.getCause()).isInstanceOf(java.net.ConnectException.class);
        assertThat(attempts.get()).as("attempts seen by the resolver").isEqualTo(3);
        assertThat(took).as("backoff 20 + 40 ms between the attempts").isBetween(55L, 60L * 2 + 500);
        assertThat(OpenSockets.count()).isEqualTo(sockets);
        EndpointStats s = pool.stats(ep);
        assertThat(s.errors()).as("one failed acquire, one error").isEqualTo(1);
        assertThat(s.created()).isZero();
        assertThat(s.active() + s.idle()).isZero();
    }

    /** Scenario 10, connect timeout. */
    @Test
    void timedOutConnectMakesExactlyTheConfiguredAttemptsEachBoundedByTheTimeout() {
        try (ConnectTimeoutTarget target = ConnectTimeoutTarget.open()) {
            AtomicInteger attempts = new AtomicInteger();
            ConnectionPool pool = leaks.track(ConnectionPool.builder()
                    .resolver(countingAttempts(ScriptedResolver.answering("slow.test", target.host()), attempts))
                    .dnsCacheTtl(Duration.ofNanos(1))
                    .config(PoolConfig.builder().connectAttempts(2).connectBackoff(Duration.ofMillis(20))
                            .connectionTimeout(Duration.ofMillis(250)).acquireTimeout(Duration.ofSeconds(10))
                            .circuitBreakerEnabled(false).validationInterval(Duration.ofHours(1)).build()));
            Endpoint ep = Endpoint.of("slow.test", target.port());
            int sockets = OpenSockets.count();

            long t0 = System.nanoTime();
            Throwable t = Await.failureOf(() -> pool.acquire(ep).close());
            long took = Await.millisSince(t0);

            assertThat(t).isInstanceOf(ConnectTimeoutException.class).hasMessageContaining("after 2 attempts")
                    .hasMessageContaining("timed out after 250 ms");
            assertThat(((ConnectTimeoutException) t).attempts()).isEqualTo(2);
            assertThat(((ConnectTimeoutException) t).timeout()).isEqualTo(Duration.ofMillis(250));
            assertThat(t.getCause()).isInstanceOf(SocketTimeoutException.class);
            assertThat(attempts.get()).isEqualTo(2);
            assertThat(took).as("2 x 250 ms + 20 ms backoff").isBetween(510L, 520L * 2 + 500);
            Await.sockets(sockets);
        }
    }

    /** Scenario 13: bounded retries with growing backoff, each failure counted. */
    @Test
    void minIdleWarmingAgainstADeadEndpointBacksOffAndCountsFailures() {
        int port = RefusedPort.find();
        Endpoint dead = Endpoint.of("127.0.0.1", port);
        PoolConfig deadConfig = PoolConfig.builder().minIdlePerEndpoint(2).maxIdlePerEndpoint(2).connectAttempts(1)
                .circuitBreakerEnabled(false).validationInterval(Duration.ofMillis(20)).build();
        ConnectionPool pool = leaks.track(ConnectionPool.builder().endpoint("dead", dead, deadConfig));
        Await.sleep(3_000);
        long failures = pool.stats(dead).errors();
        // A retry every 20 ms sweep would be ~150 failures; with backoff (200, 400, 800, 1600 ms) about 4-5.
        assertThat(failures).as("warm failures in 3 s").isBetween(2L, 7L);
        assertThat(pool.stats(dead).created()).isZero();
    }

    /** Scenario 13: a dead endpoint's connect timeouts run on the worker, never delaying another's eviction. */
    @Test
    void warmingADeadEndpointDoesNotStallEvictionElsewhere() throws Exception {
        try (ConnectTimeoutTarget target = ConnectTimeoutTarget.open(); EchoServer server = EchoServer.start()) {
            Endpoint dead = Endpoint.of(target.host(), target.port());
            Endpoint live = server.endpoint();
            ConnectionPool pool = leaks.track(ConnectionPool.builder()
                    .config(PoolConfig.builder().validationInterval(Duration.ofMillis(20)).build())
                    .endpoint("dead", dead, PoolConfig.builder().minIdlePerEndpoint(1).maxIdlePerEndpoint(1)
                            .connectAttempts(1).connectionTimeout(Duration.ofSeconds(3))
                            .validationInterval(Duration.ofMillis(20)).build())
                    .endpoint("live", live, PoolConfig.builder().maxIdleTime(Duration.ofMillis(200))
                            .validationInterval(Duration.ofMillis(20)).build()));
            PooledConnection a = pool.acquire(live);
            PooledConnection b = pool.acquire(live);
            a.close();
            b.close();
            long t0 = System.nanoTime();
            Await.until(() -> pool.stats(live).closed(CloseReason.IDLE_TIMEOUT) == 2, Duration.ofSeconds(2),
                    "idle connections of the live endpoint to be evicted while the dead one's connect hangs");
            assertThat(Await.millisSince(t0)).as("evicted about 200 ms after release").isLessThan(200L * 2 + 500);
            assertThat(pool.stats(dead).errors()).as("the dead endpoint's 3 s connect is still hanging").isZero();
        }
    }
}
