package io.conpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.testkit.ConnectTimeoutTarget;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.RefusedPort;
import io.conpool.testkit.ScriptedResolver;
import io.conpool.testkit.TestCertificates;
import io.conpool.testkit.TlsServer;
import io.conpool.testkit.Wire;

/** Opening a connection fails: the caller gets the typed error, and no slot is lost. */
@Timeout(30)
class ConnectErrorTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    @Test
    void connectionRefusedGivesConnectExceptionAfterEveryAttempt() {
        int port = RefusedPort.find();
        Endpoint ep = Endpoint.of("127.0.0.1", port);
        List<ConpoolException> failures = new CopyOnWriteArrayList<>();
        ConnectionPool pool = leaks.track(ConnectionPool.builder()
                .config(PoolConfig.builder().connectAttempts(3).connectBackoff(Duration.ofMillis(10))
                        .maxConnectionsPerEndpoint(1).maxIdlePerEndpoint(1).circuitBreakerEnabled(false).build())
                .listener(new ConnectionPoolListener() {
                    @Override
                    public void onConnectFailed(Endpoint endpoint, ConpoolException error) {
                        failures.add(error);
                    }
                }));
        for (int round = 0; round < 3; round++) { // with a limit of 1: a lost slot would turn this into a timeout
            assertThatThrownBy(() -> pool.acquire(ep, Duration.ofSeconds(5)))
                    .isExactlyInstanceOf(ConnectException.class)
                    .isInstanceOfSatisfying(ConnectException.class, ex -> {
                        assertThat(ex.attempts()).isEqualTo(3);
                        assertThat(ex.endpoint()).isEqualTo(ep);
                        assertThat(ex.getCause()).isInstanceOf(java.net.ConnectException.class);
                        assertThat(ex).hasMessage("connecting to 127.0.0.1:" + port + " after 3 attempts: "
                                + ex.getCause().getMessage());
                    });
        }
        EndpointStats s = pool.stats(ep);
        assertThat(s.errors()).isEqualTo(3);
        assertThat(s.created()).isZero();
        assertThat(s.active()).isZero();
        assertThat(s.circuitState()).isEqualTo(CircuitState.CLOSED);
        assertThat(failures).hasSize(3);
        LeakCheck.assertAtRest(pool, ep);
    }

    @Test
    void connectTimeoutGivesConnectTimeoutExceptionWithinTheBudget() {
        try (ConnectTimeoutTarget target = ConnectTimeoutTarget.open()) {
            Duration connectTimeout = Duration.ofMillis(300);
            Endpoint ep = Endpoint.of(target.host(), target.port());
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(PoolConfig.builder()
                    .connectionTimeout(connectTimeout).connectAttempts(2).connectBackoff(Duration.ofMillis(10))
                    .build()));
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> pool.acquire(ep)).isInstanceOfSatisfying(ConnectTimeoutException.class, ex -> {
                assertThat(ex.attempts()).isEqualTo(2);
                assertThat(ex.timeout()).isEqualTo(connectTimeout);
                assertThat(ex.endpoint()).isEqualTo(ep);
                assertThat(ex).hasMessageContaining("after 2 attempts").hasMessageContaining("timed out after 300 ms");
            });
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(ms).isBetween(2 * connectTimeout.toMillis() - 20, 2 * (2 * connectTimeout.toMillis()) + 500);
            EndpointStats s = pool.stats(ep);
            assertThat(s.errors()).isEqualTo(1);
            assertThat(s.active()).isZero();
            LeakCheck.assertAtRest(pool, ep);
        }
    }

    /**
     * A 300 ms acquire against a 10 s connection timeout: the caller's deadline cuts the connect short. That is the
     * caller's timeout, not the endpoint's failure: no connect error, no breaker failure (short acquire timeouts must
     * not open the breaker of a slow but healthy endpoint), and no message claiming a 10 s timeout.
     */
    @Test
    void theAcquireTimeoutBoundsConnectAttemptsTooAndACutShortConnectIsTheCallersTimeout() {
        try (ConnectTimeoutTarget target = ConnectTimeoutTarget.open()) {
            Endpoint ep = Endpoint.of(target.host(), target.port());
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(PoolConfig.builder()
                    .connectionTimeout(Duration.ofSeconds(10)).connectAttempts(3).circuitBreakerFailureThreshold(1)
                    .build()));
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> pool.acquire(ep, Duration.ofMillis(300)))
                    .isInstanceOfSatisfying(AcquireTimeoutException.class, ex -> {
                        assertThat(ex).hasMessageContaining(ep.toString()).hasMessageContaining("300 ms")
                                .hasMessageContaining("while opening a connection, attempt 1");
                        assertThat(ex.getCause()).isInstanceOf(SocketTimeoutException.class);
                    });
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isBetween(280L, 1_100L);
            EndpointStats s = pool.stats(ep);
            assertThat(s.acquireTimeouts()).isEqualTo(1);
            assertThat(s.errors()).isZero();
            assertThat(s.circuitState()).as("a breaker with threshold 1").isEqualTo(CircuitState.CLOSED);
            LeakCheck.assertAtRest(pool, ep);
        }
    }

    @Test
    void aStalledTlsHandshakeGivesConnectTimeoutException() {
        try (TlsServer server = TlsServer.start().stallHandshakes(true)) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder()
                    .resolver(ScriptedResolver.answering(TestCertificates.HOST, "127.0.0.1"))
                    .config(PoolConfig.builder().connectionTimeout(Duration.ofMillis(300)).connectAttempts(1).build()));
            Endpoint ep = server.endpoint(TestCertificates.HOST);
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> pool.acquire(ep)).isInstanceOfSatisfying(ConnectTimeoutException.class, ex -> {
                assertThat(ex.attempts()).isEqualTo(1);
                assertThat(ex.getCause()).isInstanceOf(SocketTimeoutException.class);
            });
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isBetween(280L, 1_100L);
            server.assertAccepted(1);
            assertThat(server.handshakes()).isZero();
            server.stallHandshakes(false);
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(Wire.echo(c, "after the stall")).isEqualTo("after the stall");
            }
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    @Test
    void anUnknownHostGivesDnsResolutionExceptionNamingTheHost() {
        ConnectionPool pool = leaks.track(ConnectionPool.builder().resolver(ScriptedResolver.failing("nowhere.test")));
        Endpoint ep = Endpoint.of("nowhere.test", 80);
        assertThatThrownBy(() -> pool.acquire(ep, Duration.ofSeconds(5)))
                .isInstanceOfSatisfying(DnsResolutionException.class,
                        ex -> assertThat(ex.hostname()).isEqualTo("nowhere.test"))
                .hasMessageContaining("nowhere.test");
        LeakCheck.assertAtRest(pool, ep);
    }

    @Test
    void aFailedConnectFreesItsSlotForTheNextCaller() {
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(PoolConfig.builder()
                    .maxConnectionsPerEndpoint(1).maxIdlePerEndpoint(1).connectAttempts(1).build()));
            server.stopAccepting();
            assertThatThrownBy(() -> pool.acquire(ep, Duration.ofSeconds(5))).isInstanceOf(ConnectException.class);
            LeakCheck.assertAtRest(pool, ep);
            assertThat(pool.stats(ep).errors()).isEqualTo(1);
        }
    }
}
