package io.conpool.demo.load;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.EndpointStats;
import io.conpool.PoolConfig;
import io.conpool.PooledConnection;
import io.conpool.demo.Leaks;
import io.conpool.demo.backend.EmbeddedRespServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The load generator against the embedded backend through a real pool (plain Java, no Spring): summaries that add
 * up, failures counted by type, one run at a time, the time limit, and threads gone after close.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class LoadGeneratorTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private EmbeddedRespServer server;

    private ConnectionPool pool;

    private Endpoint endpoint;

    private LoadGenerator generator;

    private LoadProperties limits;

    private int baselineFds;

    /** One run before any baseline: first uses open file descriptors (jar files) that stay open for the JVM's life. */
    @BeforeAll
    static void warmUp() throws IOException {
        LoadGeneratorTest warm = new LoadGeneratorTest();
        warm.start();
        warm.baselineFds = Integer.MAX_VALUE;
        warm.generator.run("cache", warm.endpoint, 2, 10, Duration.ZERO);
        warm.stop();
    }

    @BeforeEach
    void start() throws IOException {
        baselineFds = Leaks.openFileDescriptors();
        server = new EmbeddedRespServer(LOOPBACK, 0, 64, 10_000, 1024);
        server.start();
        endpoint = Endpoint.of(LOOPBACK.getHostAddress(), server.port());
        pool = ConnectionPool.builder()
                .config(PoolConfig.builder().maxConnectionsPerEndpoint(4).maxIdlePerEndpoint(4)
                        .acquireTimeout(Duration.ofSeconds(10)).build())
                .endpoint("cache", endpoint)
                .build();
        limits = new LoadProperties();
        limits.setMaxConcurrency(16);
        limits.setMaxCount(5_000);
        limits.setMaxHold(Duration.ofMillis(500));
        generator = new LoadGenerator(pool, limits);
    }

    @AfterEach
    void stop() {
        String prefix = generator.threadNamePrefix();
        generator.close();
        pool.close();
        server.close();
        // A pool thread counts as terminated a moment before it is dead.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(Leaks.threadsNamed(prefix)).isEmpty();
            assertThat(Leaks.threadsNamed("resp-backend-" + server.port() + "-")).isEmpty();
            assertThat(Leaks.openFileDescriptors()).isLessThanOrEqualTo(baselineFds);
        });
    }

    @Test
    void aRunDoesEveryOperationAndItsSummaryAgreesWithThePoolStats() {
        LoadSummary summary = generator.run("cache", endpoint, 8, 1_000, Duration.ZERO);

        assertThat(summary.requested()).isEqualTo(1_000);
        assertThat(summary.attempted()).isEqualTo(1_000);
        assertThat(summary.succeeded()).isEqualTo(1_000);
        assertThat(summary.failed()).isZero();
        assertThat(summary.failures()).isEmpty();
        assertThat(summary.firstFailure()).isNull();
        assertThat(summary.stoppedAtDeadline()).isFalse();
        assertThat(summary.acquire().samples()).isEqualTo(1_000);
        assertThat(summary.acquire().p50Micros()).isLessThanOrEqualTo(summary.acquire().p99Micros());
        assertThat(summary.acquire().p99Micros()).isLessThanOrEqualTo(summary.acquire().maxMicros());
        assertThat(summary.operation().p50Micros()).isGreaterThanOrEqualTo(summary.acquire().p50Micros());
        assertThat(summary.opsPerSecond()).isPositive();

        EndpointStats stats = pool.stats(endpoint);
        assertThat(stats.reused() + stats.misses()).isEqualTo(1_000);
        assertThat(stats.created()).isBetween(1L, 4L);
        assertThat(stats.active()).isZero();
        assertThat(stats.created() - stats.closed()).isEqualTo(stats.idle());
        // No permit lost: the whole limit can be leased at once again.
        List<PooledConnection> all = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            all.add(pool.acquire(endpoint, Duration.ofSeconds(5)));
        }
        all.forEach(PooledConnection::close);
        // Eight workers, fifty keys each, overwritten in turn.
        assertThat(server.keys()).isEqualTo(8 * LoadGenerator.KEYS_PER_WORKER);
        // Eight workers on four connections: some had to wait.
        assertThat(summary.acquire().maxMicros()).isPositive();
    }

    @Test
    void failuresAreCountedByTypeWhenTheBackendIsGone() throws IOException {
        int refusedPort;
        try (ServerSocket probe = new ServerSocket(0, 1, LOOPBACK)) {
            refusedPort = probe.getLocalPort();
        }
        Endpoint nowhere = Endpoint.of(LOOPBACK.getHostAddress(), refusedPort);

        LoadSummary summary = generator.run("nowhere", nowhere, 2, 20, Duration.ZERO);

        assertThat(summary.succeeded()).isZero();
        assertThat(summary.failed()).isEqualTo(20);
        assertThat(summary.failures().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(20);
        // Connects are refused until the endpoint's circuit breaker opens; then acquires fail at once.
        assertThat(summary.failures()).containsKey("ConnectException");
        assertThat(summary.failures().keySet()).isSubsetOf("ConnectException", "CircuitOpenException");
        assertThat(summary.firstFailure()).startsWith("ConnectException: ").contains(String.valueOf(refusedPort));
        assertThat(summary.acquire().samples()).isZero();
    }

    @Test
    void aSecondRunWhileOneIsInProgressIsRefused() {
        CompletableFuture<LoadSummary> first = CompletableFuture.supplyAsync(
                () -> generator.run("cache", endpoint, 1, 10, Duration.ofMillis(200)));
        await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats(endpoint).active() == 1);

        assertThatThrownBy(() -> generator.run("cache", endpoint, 1, 1, Duration.ZERO))
                .isInstanceOf(LoadAlreadyRunningException.class);

        assertThat(first.join().succeeded()).isEqualTo(10);
        assertThat(generator.run("cache", endpoint, 1, 1, Duration.ZERO).succeeded()).isEqualTo(1);
    }

    @Test
    void aRunStopsAtTheTimeLimitAndSaysSo() {
        generator.close();
        limits.setMaxDuration(Duration.ofMillis(300));
        generator = new LoadGenerator(pool, limits);
        long start = System.nanoTime();

        LoadSummary summary = generator.run("cache", endpoint, 2, 5_000, Duration.ofMillis(50));

        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(summary.stoppedAtDeadline()).isTrue();
        assertThat(summary.attempted()).isLessThan(5_000);
        assertThat(summary.succeeded()).isEqualTo(summary.attempted());
        // Limit 300 ms plus one held operation (50 ms): generous bound for a shared 2-core machine.
        assertThat(elapsedMillis).isLessThan(2 * 350 + 2_000);
    }

    @Test
    void valuesOutOfBoundsAreRefusedNamingThem() {
        assertThatThrownBy(() -> generator.run("cache", endpoint, 0, 1, Duration.ZERO))
                .hasMessage("concurrency must be 1-16, was 0");
        assertThatThrownBy(() -> generator.run("cache", endpoint, 17, 1, Duration.ZERO))
                .hasMessage("concurrency must be 1-16, was 17");
        assertThatThrownBy(() -> generator.run("cache", endpoint, 1, 5_001, Duration.ZERO))
                .hasMessage("count must be 1-5000, was 5001");
        assertThatThrownBy(() -> generator.run("cache", endpoint, 1, 1, Duration.ofMillis(501)))
                .hasMessage("hold must be 0-PT0.5S, was PT0.501S");
        assertThat(pool.stats(endpoint).created()).isZero();
    }
}
