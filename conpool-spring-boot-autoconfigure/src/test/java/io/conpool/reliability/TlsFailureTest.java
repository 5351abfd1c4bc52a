package io.conpool.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.ConnectException;
import io.conpool.ConnectTimeoutException;
import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.PoolConfig;
import io.conpool.Tls;
import io.conpool.testkit.Await;
import io.conpool.testkit.ClientHello;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.OpenSockets;
import io.conpool.testkit.RecordingServer;
import io.conpool.testkit.ScriptedResolver;
import io.conpool.testkit.TestCertificates;
import io.conpool.testkit.TlsServer;

/**
 * Scenario 11: a TLS handshake that stalls is bounded by the connection timeout; a wrong or untrusted certificate,
 * or a plaintext server where TLS was expected, gives the caller an {@link SSLException} (as the cause of a
 * {@link ConnectException}), closes the socket, and never falls back to plaintext.
 */
@Timeout(30)
class TlsFailureTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private static PoolConfig attempts(int n) {
        return PoolConfig.builder().connectAttempts(n).connectBackoff(Duration.ofMillis(10))
                .connectionTimeout(Duration.ofSeconds(5)).circuitBreakerEnabled(false).build();
    }

    @Test
    void stalledHandshakeIsBoundedByTheConnectionTimeout() throws Exception {
        try (TlsServer server = TlsServer.start()) {
            server.stallHandshakes(true);
            ConnectionPool pool = leaks.track(ConnectionPool.builder()
                    .resolver(ScriptedResolver.answering(TestCertificates.HOST, "127.0.0.1"))
                    .config(PoolConfig.builder().connectAttempts(1).connectionTimeout(Duration.ofMillis(400))
                            .acquireTimeout(Duration.ofSeconds(10)).build()));
            Endpoint ep = server.endpoint(TestCertificates.HOST);
            int sockets = OpenSockets.count();

            long t0 = System.nanoTime();
            Throwable t = Await.failureOf(() -> pool.acquire(ep).close());
            long took = Await.millisSince(t0);

            assertThat(t).isInstanceOf(ConnectTimeoutException.class).hasMessageContaining(ep.toString());
            assertThat(t.getCause()).isInstanceOf(SocketTimeoutException.class);
            assertThat(took).as("bounded by connectionTimeout (400 ms)").isBetween(390L, 400L * 2 + 500);
            assertThat(server.handshakes()).isZero();
            Await.until(() -> server.openConnections().isEmpty(), "the server to see the client's close");
            Await.sockets(sockets);
        }
    }

    @Test
    void certificateForAnotherNameFailsWithSslExceptionAndClosesTheSocket() throws Exception {
        try (TlsServer server = TlsServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder()
                    .resolver(ScriptedResolver.answering("other.test", "127.0.0.1")).config(attempts(2)));
            Endpoint ep = server.endpoint("other.test");
            int sockets = OpenSockets.count();

            Throwable t = Await.failureOf(() -> pool.acquire(ep).close());

            assertThat(t).isInstanceOf(ConnectException.class).hasMessageContaining("other.test");
            assertThat(t.getCause()).isInstanceOf(SSLHandshakeException.class);
            assertThat(server.handshakes()).isZero();
            assertThat(server.accepted()).as("one TLS connection per attempt, nothing more").isEqualTo(2);
            Await.until(() -> server.openConnections().isEmpty(), "the server to see the client's close");
            Await.sockets(sockets);
            assertThat(pool.stats(ep).created()).isZero();
        }
    }

    @Test
    void certificateFromAnUntrustedAuthorityFails() throws Exception {
        try (TlsServer server = TlsServer.start(TestCertificates.generate(), "127.0.0.1")) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder()
                    .resolver(ScriptedResolver.answering(TestCertificates.HOST, "127.0.0.1")).config(attempts(1)));
            // Trusts the shared test CA, not the one that signed this server's certificate.
            Endpoint ep = Endpoint.of(TestCertificates.HOST, server.port(),
                    Tls.of(TestCertificates.shared().clientContext()));
            int sockets = OpenSockets.count();

            Throwable t = Await.failureOf(() -> pool.acquire(ep).close());

            assertThat(t).isInstanceOf(ConnectException.class);
            assertThat(t.getCause()).isInstanceOf(SSLHandshakeException.class);
            assertThat(server.handshakes()).isZero();
            Await.until(() -> server.openConnections().isEmpty(), "the server to see the client's close");
            Await.sockets(sockets);
        }
    }

    @Test
    void plaintextServerWhereTlsWasExpectedFailsWithoutAnyPlaintextRetry() throws Exception {
        byte[] plaintextReply = "+OK this server speaks no TLS\r\n".getBytes(StandardCharsets.US_ASCII);
        try (RecordingServer server = RecordingServer.start(plaintextReply)) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder()
                    .resolver(ScriptedResolver.answering(TestCertificates.HOST, "127.0.0.1")).config(attempts(2)));
            Endpoint ep = Endpoint.of(TestCertificates.HOST, server.port(),
                    Tls.of(TestCertificates.shared().clientContext()));
            int sockets = OpenSockets.count();

            Throwable t = Await.failureOf(() -> pool.acquire(ep).close());

            assertThat(t).isInstanceOf(ConnectException.class);
            assertThat(t.getCause()).isInstanceOf(SSLException.class);
            Await.until(() -> server.received().size() == 2, "both attempts to be recorded");
            assertThat(server.received()).as("every connection opened with a TLS ClientHello, none in plaintext")
                    .allMatch(ClientHello::looksLikeTls);
            Await.sockets(sockets);
            assertThat(pool.stats(ep).created()).isZero();
        }
    }
}
