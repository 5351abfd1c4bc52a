package io.conpool.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.CircuitOpenException;
import io.conpool.CircuitState;
import io.conpool.ConnectException;
import io.conpool.ConnectTimeoutException;
import io.conpool.ConnectionPool;
import io.conpool.ConnectionPoolListener;
import io.conpool.Endpoint;
import io.conpool.EndpointStats;
import io.conpool.PoolConfig;
import io.conpool.PooledConnection;
import io.conpool.testkit.Await;
import io.conpool.testkit.ConnectTimeoutTarget;
import io.conpool.testkit.EchoClient;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.ManualTicker;
import io.conpool.testkit.OpenSockets;
import io.conpool.testkit.RefusedPort;
import io.conpool.testkit.SamePort;
import io.conpool.testkit.ScriptedResolver;

/**
 * The per-endpoint circuit breaker: opens after exactly N consecutive failed acquires (each after all its connect
 * attempts), fails fast while open without a socket or a wait slot, admits exactly one probe when half-open, closes
 * and resets on a successful probe, opens for longer on each further trip, and never affects another endpoint.
 * Time is a {@link ManualTicker}, so the open period never ends while a test looks at it.
 */
@Timeout(30)
class CircuitBreakerTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private final ManualTicker ticker = new ManualTicker();

    private final List<String> transitions = new CopyOnWriteArrayList<>();

    private final ConnectionPoolListener recorder = new ConnectionPoolListener() {
        @Override
        public void onCircuitStateChanged(Endpoint endpoint, CircuitState from, CircuitState to) {
            transitions.add(from + "->" + to);
        }
    };

    private PoolConfig.Builder breaker(int threshold) {
        return PoolConfig.builder().circuitBreakerFailureThreshold(threshold)
                .circuitBreakerOpenDuration(Duration.ofSeconds(1)).circuitBreakerMaxOpenDuration(Duration.ofSeconds(60))
                .connectBackoff(Duration.ofMillis(5)).validationInterval(Duration.ofHours(1));
    }

    @Test
    void opensAfterExactlyTheThresholdOfFailedAcquiresEachCountedOnceForAllItsAttempts() {
        Endpoint dead = Endpoint.of("127.0.0.1", RefusedPort.find());
        ConnectionPool pool = leaks.track(ConnectionPool.builder().ticker(ticker).listener(recorder)
                .config(breaker(3).connectAttempts(2).build()));
        for (int i = 1; i <= 2; i++) {
            Throwable t = Await.failureOf(() -> pool.acquire(dead).close());
            assertThat(t).isExactlyInstanceOf(ConnectException.class);
            assertThat(((ConnectException) t).attempts()).isEqualTo(2);
            assertThat(pool.stats(dead).circuitState()).as("after %d failed acquires", i).isEqualTo(CircuitState.CLOSED);
        }
        assertThat(Await.failureOf(() -> pool.acquire(dead).close())).isExactlyInstanceOf(ConnectException.class);
        assertThat(pool.stats(dead).circuitState()).isEqualTo(CircuitState.OPEN);
        assertThat(transitions).containsExactly("CLOSED->OPEN");

        Throwable open = Await.failureOf(() -> pool.acquire(dead).close());
        assertThat(open).isInstanceOf(CircuitOpenException.class).hasMessageContaining(dead.toString());
        EndpointStats s = pool.stats(dead);
        assertThat(s.errors()).isEqualTo(3);
        assertThat(s.rejected()).isEqualTo(1);
    }

    @Test
    void openBreakerFailsFastWithoutOpeningASocketOrTakingAWaitSlot() throws Exception {
        try (ConnectTimeoutTarget target = ConnectTimeoutTarget.open()) {
            Endpoint dead = Endpoint.of(target.host(), target.port());
            ConnectionPool pool = leaks.track(ConnectionPool.builder().ticker(ticker).config(breaker(2)
                    .connectAttempts(1).connectionTimeout(Duration.ofMillis(600)).maxConnectionsPerEndpoint(1)
                    .maxIdlePerEndpoint(1).build()));
            for (int i = 0; i < 2; i++) {
                assertThat(Await.failureOf(() -> pool.acquire(dead).close()))
                        .isInstanceOf(ConnectTimeoutException.class);
            }
            assertThat(pool.stats(dead).circuitState()).isEqualTo(CircuitState.OPEN);
            int sockets = OpenSockets.count();

            for (int i = 0; i < 20; i++) {
                long t0 = System.nanoTime();
                Throwable t = Await.failureOf(() -> pool.acquire(dead).close());
                long took = Await.millisSince(t0);
                assertThat(t).isInstanceOf(CircuitOpenException.class);
                assertThat(t.getCause()).as("carries the last connect failure")
                        .isInstanceOf(ConnectTimeoutException.class);
                assertThat(((CircuitOpenException) t).retryAfter()).isPositive();
                assertThat(took).as("far below the 600 ms a connect attempt would take").isLessThan(200);
            }
            assertThat(OpenSockets.count()).as("no socket opened while open").isEqualTo(sockets);
            EndpointStats s = pool.stats(dead);
            assertThat(s.rejected()).isEqualTo(20);
            assertThat(s.pending()).isZero();
            assertThat(s.errors()).isEqualTo(2);
        }
    }

    /**
     * Half-open: 16 threads arrive together; the probe is held inside its DNS lookup (a paused resolver) so that
     * everyone else certainly arrives while it is in flight. Exactly one reaches the resolver and the connect.
     */
    @Test
    void halfOpenAdmitsExactlyOneProbeAndItsSuccessClosesTheBreakerAndResetsTheCount() throws Exception {
        int threads = 16;
        AtomicInteger callerIds = new AtomicInteger();
        ExecutorService pool16 = Executors.newFixedThreadPool(threads,
                r -> new Thread(r, "caller-" + callerIds.incrementAndGet()));
        Predicate<Thread> callers = t -> t.getName().startsWith("caller-");
        // 127.0.0.1:P refuses, 127.0.0.2:P answers: the resolver decides whether the endpoint is up.
        try (SamePort<EchoServer, AutoCloseable> pair = SamePort.of(() -> EchoServer.start("127.0.0.2"),
                EchoServer::port, SamePort.refusedOn("127.0.0.1"))) {
            EchoServer server = pair.first();
            ScriptedResolver resolver = ScriptedResolver.answering("svc.test", "127.0.0.1");
            ConnectionPool pool = leaks.track(ConnectionPool.builder().ticker(ticker).resolver(resolver)
                    .dnsCacheTtl(Duration.ofMillis(100)).listener(recorder)
                    .config(breaker(2).connectAttempts(1).maxConnectionsPerEndpoint(threads)
                            .maxIdlePerEndpoint(threads).build()));
            Endpoint ep = Endpoint.of("svc.test", server.port());
            for (int i = 0; i < 2; i++) {
                assertThat(Await.failureOf(() -> pool.acquire(ep).close())).isInstanceOf(ConnectException.class);
            }
            assertThat(pool.stats(ep).circuitState()).isEqualTo(CircuitState.OPEN);

            resolver.answer("svc.test", "127.0.0.2").pause();
            ticker.advance(Duration.ofSeconds(2)); // past the open period (1 s +-10 %) and the DNS TTL
            int lookupsBefore = resolver.lookups("svc.test", callers);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Throwable>> results = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                results.add(pool16.submit(() -> {
                    go.await();
                    return Await.failureOf(() -> {
                        try (PooledConnection c = pool.acquire(ep)) {
                            EchoClient.roundTrip(c, "probe");
                        }
                    });
                }));
            }
            go.countDown();
            resolver.awaitBlocked(1, Duration.ofSeconds(5));
            Await.until(() -> results.stream().filter(Future::isDone).count() == threads - 1,
                    "every caller but the probe to be turned away");
            assertThat(pool.stats(ep).circuitState()).isEqualTo(CircuitState.HALF_OPEN);
            int rejected = 0;
            for (Future<Throwable> f : results) {
                if (f.isDone()) {
                    assertThat(f.get()).isInstanceOf(CircuitOpenException.class);
                    rejected++;
                }
            }
            assertThat(rejected).isEqualTo(threads - 1);

            resolver.resume();
            int succeeded = 0;
            for (Future<Throwable> f : results) {
                if (f.get(5, TimeUnit.SECONDS) == null) {
                    succeeded++;
                }
            }
            assertThat(succeeded).as("the probe").isEqualTo(1);
            // Callers only: the pool's background DNS refresh may also look the expired name up, on its own thread.
            assertThat(resolver.lookups("svc.test", callers) - lookupsBefore).as("only the probe reached DNS")
                    .isEqualTo(1);
            assertThat(server.accepted()).as("only the probe connected").isEqualTo(1);
            assertThat(pool.stats(ep).circuitState()).isEqualTo(CircuitState.CLOSED);
            assertThat(transitions).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED");

            // The count was reset: one failure (of a threshold of 2) does not open it again, the second does.
            pool.clearEndpoint(ep);
            resolver.answer("svc.test", "127.0.0.1");
            ticker.advance(Duration.ofSeconds(1));
            assertThat(Await.failureOf(() -> pool.acquire(ep).close())).isInstanceOf(ConnectException.class);
            assertThat(pool.stats(ep).circuitState()).isEqualTo(CircuitState.CLOSED);
            assertThat(Await.failureOf(() -> pool.acquire(ep).close())).isInstanceOf(ConnectException.class);
            assertThat(pool.stats(ep).circuitState()).isEqualTo(CircuitState.OPEN);
            pool.resetCircuit(ep);
            resolver.answer("svc.test", "127.0.0.2");
            ticker.advance(Duration.ofSeconds(1));
            LeakCheck.assertNoPermitLost(pool, ep);
        }
        finally {
            Await.shutdown(pool16);
        }
    }

    @Test
    void openPeriodGrowsOnEachTripUpToTheMaximumAndAFailedProbeReopensIt() {
        Endpoint dead = Endpoint.of("127.0.0.1", RefusedPort.find());
        ConnectionPool pool = leaks.track(ConnectionPool.builder().ticker(ticker).listener(recorder)
                .config(breaker(1).connectAttempts(1).circuitBreakerMaxOpenDuration(Duration.ofSeconds(3)).build()));
        assertThat(Await.failureOf(() -> pool.acquire(dead).close())).isInstanceOf(ConnectException.class);
        // Periods: 1 s, 2 s, then 4 s capped at 3 s; each with +-10 % jitter.
        long[] expectedMillis = { 1_000, 2_000, 3_000, 3_000 };
        for (int trip = 0; trip < expectedMillis.length; trip++) {
            Throwable open = Await.failureOf(() -> pool.acquire(dead).close());
            assertThat(open).isInstanceOf(CircuitOpenException.class);
            long retryAfter = ((CircuitOpenException) open).retryAfter().toMillis();
            assertThat(retryAfter).as("open period of trip %d", trip + 1)
                    .isBetween(expectedMillis[trip] * 9 / 10, expectedMillis[trip] * 11 / 10);
            ticker.advance(Duration.ofMillis(expectedMillis[trip] * 11 / 10 + 1));
            // The single probe fails: open again, for longer.
            assertThat(Await.failureOf(() -> pool.acquire(dead).close())).isExactlyInstanceOf(ConnectException.class);
            assertThat(pool.stats(dead).circuitState()).isEqualTo(CircuitState.OPEN);
        }
        assertThat(transitions).startsWith("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->OPEN");
        pool.resetCircuit(dead);
        assertThat(pool.stats(dead).circuitState()).isEqualTo(CircuitState.CLOSED);
        assertThat(transitions).endsWith("OPEN->CLOSED");
    }

    @Test
    void oneEndpointsBreakerNeverAffectsAnother() throws Exception {
        try (EchoServer server = EchoServer.start()) {
            Endpoint dead = Endpoint.of("127.0.0.1", RefusedPort.find());
            Endpoint live = server.endpoint();
            ConnectionPool pool = leaks.track(ConnectionPool.builder().ticker(ticker)
                    .config(breaker(1).connectAttempts(1).build()));
            assertThat(Await.failureOf(() -> pool.acquire(dead).close())).isInstanceOf(ConnectException.class);
            assertThat(Await.failureOf(() -> pool.acquire(dead).close())).isInstanceOf(CircuitOpenException.class);
            for (int i = 0; i < 3; i++) {
                try (PooledConnection c = pool.acquire(live)) {
                    assertThat(EchoClient.roundTrip(c, "live" + i)).isEqualTo("live" + i);
                }
            }
            assertThat(pool.stats(dead).circuitState()).isEqualTo(CircuitState.OPEN);
            assertThat(pool.stats(live).circuitState()).isEqualTo(CircuitState.CLOSED);
            assertThat(pool.stats(live).rejected()).isZero();
            assertThat(pool.stats(live).errors()).isZero();
            LeakCheck.assertNoPermitLost(pool, live);
        }
    }
}
