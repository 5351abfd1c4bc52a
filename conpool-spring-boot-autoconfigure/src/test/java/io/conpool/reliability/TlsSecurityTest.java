package io.conpool.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import io.conpool.ConnectException;
import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.PoolConfig;
import io.conpool.PooledConnection;
import io.conpool.Tls;
import io.conpool.testkit.Await;
import io.conpool.testkit.ClientHello;
import io.conpool.testkit.EchoClient;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.RecordingServer;
import io.conpool.testkit.ScriptedResolver;
import io.conpool.testkit.TestCertificates;
import io.conpool.testkit.TlsServer;

/**
 * TLS security defaults: host name verification is on (a certificate for another name fails), SNI carries the host
 * name (and nothing for an IP literal), TLS 1.0 and 1.1 are never offered, and turning verification off is logged
 * as a warning.
 */
@Timeout(30)
class TlsSecurityTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private final ScriptedResolver resolver = ScriptedResolver.answering(TestCertificates.HOST, "127.0.0.1")
            .answer("other.test", "127.0.0.1").answer("alias.test", "127.0.0.1");

    private final ListAppender<ILoggingEvent> log = new ListAppender<>();

    private final Logger conpoolLogger = (Logger) LoggerFactory.getLogger("io.conpool");

    @BeforeEach
    void captureLog() {
        log.start();
        conpoolLogger.addAppender(log);
    }

    @AfterEach
    void releaseLog() {
        conpoolLogger.detachAppender(log);
        log.stop();
    }

    private ConnectionPool pool() {
        return leaks.track(ConnectionPool.builder().resolver(resolver).config(PoolConfig.builder().connectAttempts(1)
                .acquireTimeout(Duration.ofSeconds(5)).circuitBreakerEnabled(false).build()));
    }

    @Test
    void hostNameVerificationIsOnByDefault() throws Exception {
        assertThat(Tls.defaults().verifyHostname()).isTrue();
        assertThat(Tls.of(TestCertificates.shared().clientContext()).verifyHostname()).isTrue();
        try (TlsServer server = TlsServer.start()) {
            ConnectionPool pool = pool();
            Throwable t = Await.failureOf(() -> pool.acquire(server.endpoint("other.test")).close());
            assertThat(t).isInstanceOf(ConnectException.class);
            assertThat(t.getCause()).isInstanceOf(SSLHandshakeException.class);
            assertThat(t.getCause()).hasStackTraceContaining("other.test");

            // The same server and trust under the certificate's own name: the failure above was the name.
            try (PooledConnection c = pool.acquire(server.endpoint(TestCertificates.HOST))) {
                assertThat(EchoClient.roundTrip(c, "verified")).isEqualTo("verified");
            }
            assertThat(server.handshakes()).isEqualTo(1);
        }
    }

    @Test
    void sniCarriesTheHostNameAsTheServerReceivesIt() throws Exception {
        try (TlsServer server = TlsServer.start()) {
            ConnectionPool pool = pool();
            try (PooledConnection c = pool.acquire(server.endpoint(TestCertificates.HOST))) {
                EchoClient.roundTrip(c, "hello");
            }
            // An explicit server name is what is sent and verified, whatever the host connected to.
            Endpoint viaAlias = Endpoint.of("alias.test", server.port(), Tls.builder()
                    .sslContext(TestCertificates.shared().clientContext()).serverName(TestCertificates.HOST).build());
            try (PooledConnection c = pool.acquire(viaAlias)) {
                EchoClient.roundTrip(c, "hello");
            }
            assertThat(server.sniNames()).containsExactly(TestCertificates.HOST, TestCertificates.HOST);
        }
    }

    @Test
    void noSniIsSentForAnIpLiteral() throws Exception {
        try (TlsServer server = TlsServer.start()) {
            ConnectionPool pool = pool();
            Endpoint ip = server.endpoint(); // 127.0.0.1, which the certificate carries as an IP SAN
            assertThat(ip.isIpLiteral()).isTrue();
            try (PooledConnection c = pool.acquire(ip)) {
                assertThat(EchoClient.roundTrip(c, "by ip")).isEqualTo("by ip");
            }
            assertThat(server.sniNames()).hasSize(1).containsOnlyNulls();
        }
    }

    @Test
    void tls10And11AreNeverOffered() throws Exception {
        // What goes on the wire: the ClientHello's versions, parsed from the bytes the client sent.
        try (RecordingServer recorder = RecordingServer.start(new byte[0])) {
            ConnectionPool pool = pool();
            Endpoint ep = Endpoint.of(TestCertificates.HOST, recorder.port(),
                    Tls.of(TestCertificates.shared().clientContext()));
            assertThat(Await.failureOf(() -> pool.acquire(ep).close())).isInstanceOf(ConnectException.class);
            Await.until(() -> recorder.received().size() == 1, "the ClientHello to be recorded");
            ClientHello hello = ClientHello.parse(recorder.received().get(0));
            assertThat(hello.offeredVersions()).isNotEmpty()
                    .doesNotContain(ClientHello.TLS_1_0, ClientHello.TLS_1_1)
                    .allMatch(v -> v == ClientHello.TLS_1_2 || v == ClientHello.TLS_1_3);
            assertThat(hello.serverName()).isEqualTo(TestCertificates.HOST);
        }
        // What the handshaken socket has enabled.
        try (TlsServer server = TlsServer.start()) {
            ConnectionPool pool = pool();
            try (PooledConnection c = pool.acquire(server.endpoint(TestCertificates.HOST))) {
                List<String> enabled = Arrays.asList(((SSLSocket) c.socket()).getEnabledProtocols());
                assertThat(enabled).isNotEmpty().doesNotContain("TLSv1", "TLSv1.1", "SSLv3");
            }
        }
        // A server that only speaks TLS 1.1 gets no handshake. (The JDK disables 1.1 on both sides too, so this
        // alone would not prove the pool's default; the two checks above do.)
        try (TlsServer old = TlsServer.start()) {
            old.protocols("TLSv1.1");
            ConnectionPool pool = pool();
            Throwable t = Await.failureOf(() -> pool.acquire(old.endpoint(TestCertificates.HOST)).close());
            assertThat(t).isInstanceOf(ConnectException.class);
            assertThat(t.getCause()).isInstanceOf(javax.net.ssl.SSLException.class);
            assertThat(old.handshakes()).isZero();
        }
    }

    @Test
    void turningHostNameVerificationOffLogsAWarningOncePerEndpoint() throws Exception {
        try (TlsServer server = TlsServer.start()) {
            ConnectionPool pool = pool();
            Endpoint insecure = Endpoint.of("other.test", server.port(), Tls.builder()
                    .sslContext(TestCertificates.shared().clientContext()).verifyHostname(false).build());
            for (int i = 0; i < 3; i++) {
                // A certificate for conpool.test is accepted for other.test: that is what "insecure" means.
                try (PooledConnection c = pool.acquire(insecure)) {
                    assertThat(EchoClient.roundTrip(c, "insecure")).isEqualTo("insecure");
                }
            }
            List<ILoggingEvent> warnings = log.list.stream()
                    .filter(e -> e.getLevel() == Level.WARN && e.getFormattedMessage().contains("verification"))
                    .toList();
            assertThat(warnings).hasSize(1);
            assertThat(warnings.get(0).getFormattedMessage()).contains(insecure.toString()).containsIgnoringCase("off");

            // A verifying endpoint logs no such warning.
            try (PooledConnection c = pool.acquire(server.endpoint(TestCertificates.HOST))) {
                EchoClient.roundTrip(c, "secure");
            }
            assertThat(log.list.stream().filter(e -> e.getFormattedMessage().contains("verification"))).hasSize(1);
        }
    }
}
