package io.conpool.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.CircuitState;
import io.conpool.CloseReason;
import io.conpool.ConnectException;
import io.conpool.ConnectionPool;
import io.conpool.ConnectionPoolListener;
import io.conpool.Endpoint;
import io.conpool.EndpointStats;
import io.conpool.PoolConfig;
import io.conpool.PooledConnection;
import io.conpool.testkit.Await;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.ManualTicker;
import io.conpool.testkit.SamePort;
import io.conpool.testkit.ScriptedResolver;

/**
 * What the pool does for an endpoint nobody is calling: keeps its numbers until {@code forgetUnusedEndpointsAfter}
 * (not one idle time), and moves its circuit breaker on by itself once the open period is over, probing in the
 * background when the endpoint keeps idle connections. Time is a {@link ManualTicker}; the sweep runs every 50 ms.
 */
@Timeout(30)
class UnattendedEndpointTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private final ManualTicker ticker = new ManualTicker();

    private final List<String> events = new CopyOnWriteArrayList<>();

    private final ConnectionPoolListener recorder = new ConnectionPoolListener() {
        @Override
        public void onEndpointRemoved(Endpoint endpoint) {
            events.add("removed " + endpoint);
        }

        @Override
        public void onCircuitStateChanged(Endpoint endpoint, CircuitState from, CircuitState to) {
            events.add(from + "->" + to);
        }
    };

    @Test
    void anUnnamedEndpointKeepsItsStatsPastItsIdleTimeAndIsForgottenOnlyAfterItsOwnSetting() {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder().ticker(ticker).listener(recorder)
                    .forgetUnusedEndpointsAfter(Duration.ofMinutes(5))
                    .config(PoolConfig.builder().maxIdleTime(Duration.ofMillis(100))
                            .validationInterval(Duration.ofMillis(50)).build()));
            Endpoint ep = server.endpoint();
            for (int i = 0; i < 3; i++) {
                pool.acquire(ep).close();
            }
            ticker.advance(Duration.ofSeconds(1)); // idle time over: the sweep closes the connection
            Await.until(() -> pool.stats(ep).closed(CloseReason.IDLE_TIMEOUT) == 1, "the idle connection to close");
            ticker.advance(Duration.ofMinutes(1));
            Await.sleep(300); // several sweeps with nothing open for a minute
            EndpointStats kept = pool.stats(ep);
            assertThat(kept.created()).isEqualTo(1);
            assertThat(kept.reused()).isEqualTo(2);
            assertThat(kept.closed()).isEqualTo(1);
            assertThat(pool.allStats()).extracting(EndpointStats::endpoint).contains(ep);
            assertThat(events).doesNotContain("removed " + ep);

            ticker.advance(Duration.ofMinutes(5));
            Await.until(() -> events.contains("removed " + ep), "the endpoint to be forgotten");
            assertThat(pool.allStats()).extracting(EndpointStats::endpoint).doesNotContain(ep);
            assertThat(pool.stats(ep).created()).isZero();
        }
    }

    @Test
    void aNamedEndpointIsNeverForgotten() {
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            ConnectionPool pool = leaks.track(ConnectionPool.builder().ticker(ticker).listener(recorder)
                    .forgetUnusedEndpointsAfter(Duration.ofSeconds(1)).endpoint("named", ep)
                    .config(PoolConfig.builder().maxIdleTime(Duration.ofMillis(100))
                            .validationInterval(Duration.ofMillis(50)).build()));
            pool.acquire(ep).close();
            ticker.advance(Duration.ofHours(1));
            Await.until(() -> pool.stats(ep).closed() == 1, "the idle connection to close");
            Await.sleep(300);
            assertThat(events).isEmpty();
            assertThat(pool.stats(ep).created()).isEqualTo(1);
        }
    }

    @Test
    void afterTheOpenPeriodEveryObserverSeesHalfOpenWithoutACaller() throws Exception {
        try (SamePort<EchoServer, AutoCloseable> pair = SamePort.of(() -> EchoServer.start("127.0.0.2"),
                EchoServer::port, SamePort.refusedOn("127.0.0.1"))) {
            ScriptedResolver resolver = ScriptedResolver.answering("svc.test", "127.0.0.1");
            ConnectionPool pool = leaks.track(ConnectionPool.builder().ticker(ticker).resolver(resolver)
                    .listener(recorder).config(breaker().build()));
            Endpoint ep = Endpoint.of("svc.test", pair.first().port());
            assertThat(Await.failureOf(() -> pool.acquire(ep).close())).isInstanceOf(ConnectException.class);
            assertThat(pool.stats(ep).circuitState()).isEqualTo(CircuitState.OPEN);
            ticker.advance(Duration.ofSeconds(2)); // past the open period (1 s +-10 %)
            Await.until(() -> events.contains("OPEN->HALF_OPEN"), "the sweep to report half-open");
            assertThat(pool.stats(ep).circuitState()).isEqualTo(CircuitState.HALF_OPEN);
            assertThat(pair.first().accepted()).as("nobody probed: min idle is 0").isZero();
        }
    }

    @Test
    void anEndpointKeepingIdleConnectionsProbesInTheBackgroundAndComesBackWithoutACaller() throws Exception {
        try (SamePort<EchoServer, AutoCloseable> pair = SamePort.of(() -> EchoServer.start("127.0.0.2"),
                EchoServer::port, SamePort.refusedOn("127.0.0.1"))) {
            EchoServer server = pair.first();
            ScriptedResolver resolver = ScriptedResolver.answering("svc.test", "127.0.0.1");
            Endpoint ep = Endpoint.of("svc.test", server.port());
            ConnectionPool pool = leaks.track(ConnectionPool.builder().ticker(ticker).resolver(resolver)
                    .dnsCacheTtl(Duration.ofMillis(100)).listener(recorder)
                    .endpoint("svc", ep, breaker().minIdlePerEndpoint(1).build()));
            // Warming fails against the refusing address and opens the breaker.
            Await.until(() -> pool.stats(ep).circuitState() == CircuitState.OPEN, "warming to open the breaker");
            resolver.answer("svc.test", "127.0.0.2"); // the backend recovers
            // Time passes (200 ms of the pool's clock per look) until, past the open period, the background probe
            // has closed the breaker and refilled min idle; nobody calls acquire.
            Await.until(() -> {
                EndpointStats s = pool.stats(ep);
                if (s.circuitState() == CircuitState.CLOSED && s.idle() == 1) {
                    return true;
                }
                ticker.advance(Duration.ofMillis(200));
                return false;
            }, "the background probe to close the breaker and refill min idle");
            assertThat(events).containsSubsequence("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED");
            server.awaitAccepted(1, Duration.ofSeconds(5));
            assertThat(server.accepted()).as("one probe, no other connect").isEqualTo(1);
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.reused()).isTrue();
            }
        }
    }

    private static PoolConfig.Builder breaker() {
        return PoolConfig.builder().circuitBreakerFailureThreshold(1).circuitBreakerOpenDuration(Duration.ofSeconds(1))
                .connectAttempts(1).validationInterval(Duration.ofMillis(50));
    }
}
