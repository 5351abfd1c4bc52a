package io.conpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Socket;
import java.time.Duration;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.ScriptedResolver;
import io.conpool.testkit.ServerConnection;
import io.conpool.testkit.TcpStates;
import io.conpool.testkit.TestCertificates;
import io.conpool.testkit.TlsServer;
import io.conpool.testkit.Wire;

/**
 * TLS against an in-test server with a generated certificate: host name verification, SNI, trust, and liveness of
 * idle TLS connections (close alerts and TLS 1.3 session tickets are not user data).
 */
@Timeout(30)
class TlsTest {

    private static final String WRONG_HOST = "wrong.test";

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private final ScriptedResolver resolver = ScriptedResolver.create()
            .answer(TestCertificates.HOST, "127.0.0.1")
            .answer(WRONG_HOST, "127.0.0.1");

    private ConnectionPool pool() {
        return leaks.track(ConnectionPool.builder().resolver(resolver)
                .config(PoolConfig.builder().connectAttempts(1).maxConnectionsPerEndpoint(3).maxIdlePerEndpoint(3)
                        .build()));
    }

    @Test
    void theRightHostNamePassesAndTheServerSeesItAsSni() throws Exception {
        try (TlsServer server = TlsServer.start()) {
            ConnectionPool pool = pool();
            Endpoint ep = server.endpoint(TestCertificates.HOST);
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.socket()).isInstanceOf(SSLSocket.class);
                assertThat(((SSLSocket) c.socket()).getSession().getProtocol()).isEqualTo("TLSv1.3");
                assertThat(Wire.echo(c, "over tls")).isEqualTo("over tls");
                assertThat(server.connectionOf(c.socket()).sniHostName()).isEqualTo(TestCertificates.HOST);
            }
            assertThat(server.sniNames()).containsExactly(TestCertificates.HOST);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    @Test
    void aWrongHostNameFailsWithAnSslCause() {
        try (TlsServer server = TlsServer.start()) {
            ConnectionPool pool = pool();
            Endpoint ep = server.endpoint(WRONG_HOST);
            assertThatThrownBy(() -> pool.acquire(ep, Duration.ofSeconds(5)))
                    .isInstanceOfSatisfying(ConnectException.class, ex -> {
                        assertThat(ex).isNotInstanceOf(ConnectTimeoutException.class);
                        assertThat(ex.getCause()).isInstanceOf(SSLException.class);
                        assertThat(ex).hasMessageContaining("tls:" + WRONG_HOST + ":" + server.port());
                    });
            EndpointStats s = pool.stats(ep);
            assertThat(s.errors()).isEqualTo(1);
            assertThat(s.created()).isZero();
            LeakCheck.assertAtRest(pool, ep);
        }
    }

    @Test
    void aCertificateFromAnUntrustedCaFails() {
        try (TlsServer server = TlsServer.start(TestCertificates.generate(), "127.0.0.1")) {
            ConnectionPool pool = pool();
            // Trusts the shared CA, not the one that signed this server's certificate.
            Endpoint ep = Endpoint.of(TestCertificates.HOST, server.port(),
                    Tls.of(TestCertificates.shared().clientContext()));
            assertThatThrownBy(() -> pool.acquire(ep, Duration.ofSeconds(5))).isInstanceOf(ConnectException.class)
                    .hasCauseInstanceOf(SSLException.class);
            LeakCheck.assertAtRest(pool, ep);
        }
    }

    @Test
    void anIpLiteralSendsNoSni() {
        try (TlsServer server = TlsServer.start()) {
            ConnectionPool pool = pool();
            Endpoint ep = server.endpoint(); // 127.0.0.1, which the certificate names as an IP address
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(Wire.echo(c, "by ip")).isEqualTo("by ip");
                assertThat(server.connectionOf(c.socket()).sniHostName()).isNull();
            }
            assertThat(server.handshakes()).isEqualTo(1);
        }
    }

    @Test
    void anExplicitServerNameIsSentAsSniAndVerified() {
        try (TlsServer server = TlsServer.start()) {
            ConnectionPool pool = pool();
            Tls tls = Tls.builder().sslContext(server.certificates().clientContext())
                    .serverName(TestCertificates.HOST).build();
            Endpoint ep = Endpoint.of("127.0.0.1", server.port(), tls);
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(Wire.echo(c, "named")).isEqualTo("named");
                assertThat(server.connectionOf(c.socket()).sniHostName()).isEqualTo(TestCertificates.HOST);
            }
        }
    }

    @Test
    void turningHostNameVerificationOffAcceptsTheWrongName() {
        try (TlsServer server = TlsServer.start()) {
            ConnectionPool pool = pool();
            Tls lax = Tls.builder().sslContext(server.certificates().clientContext()).verifyHostname(false).build();
            Endpoint ep = Endpoint.of(WRONG_HOST, server.port(), lax);
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(Wire.echo(c, "lax")).isEqualTo("lax");
                assertThat(server.connectionOf(c.socket()).sniHostName()).isEqualTo(WRONG_HOST);
            }
            // Trust is still checked: verification off is not "accept anything".
            try (TlsServer stranger = TlsServer.start(TestCertificates.generate(), "127.0.0.1")) {
                Endpoint strange = Endpoint.of(WRONG_HOST, stranger.port(), lax);
                assertThatThrownBy(() -> pool.acquire(strange)).isInstanceOf(ConnectException.class)
                        .hasCauseInstanceOf(SSLException.class);
            }
        }
    }

    @Test
    void tls12WorksToo() {
        try (TlsServer server = TlsServer.start().protocols("TLSv1.2")) {
            ConnectionPool pool = pool();
            Endpoint ep = server.endpoint(TestCertificates.HOST);
            Socket first;
            try (PooledConnection c = pool.acquire(ep)) {
                first = c.socket();
                assertThat(((SSLSocket) c.socket()).getSession().getProtocol()).isEqualTo("TLSv1.2");
                assertThat(Wire.echo(c, "1.2")).isEqualTo("1.2");
            }
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.socket()).isSameAs(first);
            }
        }
    }

    @Test
    void aFreshTls13ConnectionWithSessionTicketsPendingIsReusedNotThrownAway() {
        try (TlsServer server = TlsServer.start()) {
            ConnectionPool pool = pool();
            Endpoint ep = server.endpoint(TestCertificates.HOST);
            assertThat(pool.warm(ep, 1)).isEqualTo(1);
            server.awaitAccepted(1, Duration.ofSeconds(5));
            ServerConnection sc = server.connections().get(0);
            // The server's NewSessionTicket messages wait, unread, in the client's receive queue.
            TcpStates.awaitReceived(sc.clientPort(), server.port(), 1);
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.reused()).isTrue();
                assertThat(((SSLSocket) c.socket()).getSession().getProtocol()).isEqualTo("TLSv1.3");
                assertThat(Wire.echo(c, "ticket? not data")).isEqualTo("ticket? not data");
            }
            EndpointStats s = pool.stats(ep);
            assertThat(s.reused()).isEqualTo(1);
            assertThat(s.created()).isEqualTo(1);
            assertThat(s.closed()).isZero();
            server.assertAccepted(1);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    @Test
    void anIdleTlsConnectionClosedWithCloseNotifyIsNotHandedOut() {
        idleTlsConnectionClosedByServer(ServerConnection::close);
    }

    @Test
    void anIdleTlsConnectionClosedWithoutCloseNotifyIsNotHandedOut() {
        idleTlsConnectionClosedByServer(ServerConnection::closeWithoutCloseNotify);
    }

    @Test
    void anIdleTlsConnectionResetIsNotHandedOut() {
        idleTlsConnectionClosedByServer(ServerConnection::reset);
    }

    @Test
    void unsolicitedApplicationDataOnAnIdleTlsConnectionMakesItDirty() {
        try (TlsServer server = TlsServer.start()) {
            ConnectionPool pool = pool();
            Endpoint ep = server.endpoint(TestCertificates.HOST);
            Socket first;
            try (PooledConnection c = pool.acquire(ep)) {
                first = c.socket();
                assertThat(Wire.echo(c, "hi")).isEqualTo("hi");
            }
            server.connectionOf(first).send("surprise".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            TcpStates.awaitReceived(first, 8);
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.socket()).isNotSameAs(first);
                assertThat(Wire.echo(c, "clean")).isEqualTo("clean");
            }
            assertThat(pool.stats(ep).closed(CloseReason.DIRTY)).isEqualTo(1);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    private void idleTlsConnectionClosedByServer(java.util.function.Consumer<ServerConnection> close) {
        try (TlsServer server = TlsServer.start()) {
            ConnectionPool pool = pool();
            Endpoint ep = server.endpoint(TestCertificates.HOST);
            Socket first;
            try (PooledConnection c = pool.acquire(ep)) {
                first = c.socket();
                assertThat(Wire.echo(c, "hello")).isEqualTo("hello");
            }
            close.accept(server.connectionOf(first));
            TcpStates.awaitPeerClosed(first);
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.socket()).isNotSameAs(first);
                assertThat(c.reused()).isFalse();
                assertThat(Wire.echo(c, "replacement")).isEqualTo("replacement");
            }
            assertThat(first.isClosed()).isTrue();
            EndpointStats s = pool.stats(ep);
            assertThat(s.closed(CloseReason.PEER_CLOSED)).isEqualTo(1);
            assertThat(s.closed()).isEqualTo(1);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }
}
