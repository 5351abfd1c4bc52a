package io.conpool;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.testkit.Await;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.ManualTicker;
import io.conpool.testkit.RespServer;
import io.conpool.testkit.ServerConnection;

/**
 * {@code healthCheckInterval}: idle connections are health-checked in the background (the {@link HealthCheck} and the
 * protocol handler's {@code isHealthy}), so a backend that still accepts TCP but no longer answers the protocol is
 * noticed with no caller involved; never a leased connection. {@code healthCheckBypassWindow}: a reuse right after a
 * passed check skips its own.
 */
@Timeout(30)
class BackgroundHealthCheckTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private static int pingsReceived(ServerConnection c) {
        String received = new String(c.received(), StandardCharsets.US_ASCII);
        return received.split("PING", -1).length - 1;
    }

    private static PoolConfig.Builder checkedEvery100ms() {
        return PoolConfig.builder().maxConnectionsPerEndpoint(4).maxIdlePerEndpoint(4)
                .healthCheckInterval(Duration.ofMillis(100)).healthCheckTimeout(Duration.ofMillis(200));
    }

    @Test
    void idleConnectionsAreCheckedWithNoCallerAndASilentBackendIsNoticed() throws Exception {
        List<PoolConfig> variants = List.of(checkedEvery100ms().healthCheck(HealthChecks.redisPing()).build(),
                checkedEvery100ms().protocolHandler(RedisProtocol.builder().resetOnRelease(false).build()).build());
        for (PoolConfig config : variants) {
            try (RespServer server = RespServer.start()) {
                ConnectionPool pool = leaks.track(ConnectionPool.builder().config(config));
                Endpoint ep = server.endpoint();
                assertThat(pool.warm(ep, 3)).isEqualTo(3);
                server.awaitAccepted(3, Duration.ofSeconds(5));
                Await.until(() -> server.connections().stream().allMatch(c -> pingsReceived(c) >= 2),
                        "every idle connection pinged twice, with no caller");
                assertThat(pool.stats(ep).closed()).isZero();
                assertThat(pool.stats(ep).reused() + pool.stats(ep).misses()).as("no lease was taken").isZero();

                server.answering(false); // accepts and reads, answers nothing: what LOADING looks like to a client
                Await.until(() -> pool.stats(ep).closed(CloseReason.HEALTH_CHECK_FAILED) == 3,
                        "the silent backend noticed before any caller met it");
                assertThat(pool.stats(ep).idle()).isZero();
                assertThat(pool.stats(ep).reused() + pool.stats(ep).misses()).isZero();
            }
        }
    }

    @Test
    void neverALeasedConnection() throws Exception {
        try (RespServer server = RespServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder()
                    .config(checkedEvery100ms().healthCheck(HealthChecks.redisPing()).build()));
            Endpoint ep = server.endpoint();
            pool.warm(ep, 1);
            try (PooledConnection held = pool.acquireNew(ep)) {
                ServerConnection leased = server.connectionOf(held.socket());
                ServerConnection idle = server.connections().get(0);
                assertThat(leased).isNotSameAs(idle);
                Await.until(() -> pingsReceived(idle) >= 3, "the idle one checked, again and again");
                assertThat(leased.bytesReceived()).as("the leased one never").isZero();
            }
        }
    }

    /** Without the interval, nothing is checked until a caller reuses a connection. */
    @Test
    void withoutTheIntervalOnlyReuseChecks() throws Exception {
        try (RespServer server = RespServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(PoolConfig.builder()
                    .healthCheck(HealthChecks.redisPing()).validationInterval(Duration.ofMillis(50)).build()));
            pool.warm(server.endpoint(), 2);
            Thread.sleep(400);
            assertThat(server.pings()).isZero();
        }
    }

    @Test
    void aReuseWithinTheBypassWindowSkipsTheCheck() throws Exception {
        ManualTicker ticker = new ManualTicker();
        try (RespServer server = RespServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder().ticker(ticker).config(PoolConfig.builder()
                    .healthCheck(HealthChecks.redisPing()).healthCheckBypassWindow(Duration.ofSeconds(10)).build()));
            Endpoint ep = server.endpoint();
            pool.acquire(ep).close(); // new: never checked
            pool.acquire(ep).close(); // checked
            assertThat(server.pings()).isEqualTo(1);
            ticker.advance(Duration.ofSeconds(9));
            pool.acquire(ep).close(); // checked 9 s ago: bypassed
            assertThat(server.pings()).isEqualTo(1);
            ticker.advance(Duration.ofSeconds(2));
            pool.acquire(ep).close(); // 11 s: checked again
            assertThat(server.pings()).isEqualTo(2);
            assertThat(pool.stats(ep).reused()).isEqualTo(3);
        }
    }

    @Test
    void settingsAreValidated() {
        for (Duration bad : new Duration[] { Duration.ZERO, Duration.ofSeconds(-1) }) {
            org.assertj.core.api.Assertions.assertThatThrownBy(
                    () -> PoolConfig.builder().healthCheckInterval(bad).build())
                    .isInstanceOf(InvalidConfigException.class).hasMessageContaining("healthCheckInterval");
            org.assertj.core.api.Assertions.assertThatThrownBy(
                    () -> PoolConfig.builder().healthCheckBypassWindow(bad).build())
                    .isInstanceOf(InvalidConfigException.class).hasMessageContaining("healthCheckBypassWindow");
        }
    }
}
