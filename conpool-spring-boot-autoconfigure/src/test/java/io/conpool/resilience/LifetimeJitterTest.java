package io.conpool.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.CloseReason;
import io.conpool.ConnectionPool;
import io.conpool.ConnectionPoolListener;
import io.conpool.Endpoint;
import io.conpool.PoolConfig;
import io.conpool.PooledConnection;
import io.conpool.testkit.Await;
import io.conpool.testkit.EchoClient;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.ManualTicker;

/**
 * Lifetime jitter: connections created together get different expiry times, so they retire at different moments
 * (never before {@code lifetime * (1 - jitter)}, never after the lifetime); and retirement never happens mid-use.
 * Time is a {@link ManualTicker} moved in 2 s steps; the sweep (every 20 ms of real time) retires expired idle
 * connections after each step.
 */
@Timeout(60)
class LifetimeJitterTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private final ManualTicker ticker = new ManualTicker();

    private static final int CONNECTIONS = 10;

    @Test
    void jitterSpreadsTheRetirementOfConnectionsCreatedTogether() throws Exception {
        List<Long> retiredAtSeconds = retireTogetherCreatedConnections(0.2);
        Set<Long> steps = new TreeSet<>(retiredAtSeconds);
        assertThat(retiredAtSeconds).hasSize(CONNECTIONS)
                .as("never before lifetime * (1 - jitter) = 80 s, never much after 100 s")
                .allMatch(s -> s >= 80 && s <= 102);
        assertThat(steps).as("retired at different steps: %s", retiredAtSeconds).hasSizeGreaterThanOrEqualTo(3);
    }

    @Test
    void withoutJitterConnectionsCreatedTogetherRetireTogether() throws Exception {
        List<Long> retiredAtSeconds = retireTogetherCreatedConnections(0);
        assertThat(retiredAtSeconds).hasSize(CONNECTIONS).containsOnly(100L);
    }

    @Test
    void retirementNeverHappensMidUse() throws Exception {
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            ConnectionPool pool = leaks.track(ConnectionPool.builder().ticker(ticker).config(PoolConfig.builder()
                    .maxConnectionLifetime(Duration.ofSeconds(10)).lifetimeJitter(0.2)
                    .validationInterval(Duration.ofMillis(20)).maxIdleTime(Duration.ofHours(1)).build()));
            PooledConnection c = pool.acquire(ep);
            for (int i = 0; i < 5; i++) {
                ticker.advance(Duration.ofSeconds(10)); // far past its lifetime, sweeps running
                Await.sleep(60);
                assertThat(EchoClient.roundTrip(c, "still " + i)).isEqualTo("still " + i);
                assertThat(pool.stats(ep).closed()).isZero();
            }
            c.close();
            assertThat(pool.stats(ep).closed(CloseReason.LIFETIME_EXPIRED)).isEqualTo(1);
            assertThat(pool.stats(ep).idle()).isZero();
        }
    }

    /** Creates the connections at one instant, then moves time in 2 s steps; returns when each retired (s). */
    private List<Long> retireTogetherCreatedConnections(double jitter) throws Exception {
        List<Long> retiredAt = new CopyOnWriteArrayList<>();
        long[] origin = new long[1];
        ConnectionPoolListener stopwatch = new ConnectionPoolListener() {
            @Override
            public void onConnectionClosed(Endpoint endpoint, CloseReason reason) {
                if (reason == CloseReason.LIFETIME_EXPIRED) {
                    retiredAt.add((ticker.nanoTime() - origin[0]) / 1_000_000_000L);
                }
            }
        };
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            ConnectionPool pool = leaks.track(ConnectionPool.builder().ticker(ticker).listener(stopwatch)
                    .config(PoolConfig.builder().maxConnectionsPerEndpoint(CONNECTIONS)
                            .maxIdlePerEndpoint(CONNECTIONS).maxConnectionLifetime(Duration.ofSeconds(100))
                            .lifetimeJitter(jitter).maxIdleTime(Duration.ofHours(1))
                            .validationInterval(Duration.ofMillis(20)).build()));
            origin[0] = ticker.nanoTime();
            List<PooledConnection> together = new ArrayList<>();
            for (int i = 0; i < CONNECTIONS; i++) {
                together.add(pool.acquire(ep));
            }
            together.forEach(PooledConnection::close);
            ticker.advance(Duration.ofSeconds(70));
            for (int second = 72; second <= 102; second += 2) {
                ticker.advance(Duration.ofSeconds(2));
                int before = retiredAt.size();
                Await.sleep(80); // a few sweeps at this instant
                if (retiredAt.size() > before) {
                    Await.sleep(40); // let a sweep that is still closing finish at this step
                }
            }
            Await.until(() -> retiredAt.size() == CONNECTIONS, "every connection to retire");
            assertThat(pool.stats(ep).closed(CloseReason.LIFETIME_EXPIRED)).isEqualTo(CONNECTIONS);
        }
        return new ArrayList<>(retiredAt);
    }
}
