package io.conpool.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link NginxProcess} starts a real nginx (master and worker) that serves HTTP/1.1 with keep-alive, plain and over
 * TLS with SNI and host name verification against the certificate generated for it, applies its keep-alive limits,
 * and stops leaving no process, file descriptor or directory behind. Skipped where nginx is not installed (fails
 * under {@code -Dconpool.require-system-tests=true}).
 */
@Timeout(60)
class NginxProcessTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    @Test
    void servesTwoRequestsOnOneConnectionPlainAndOverVerifiedTlsAndStopsLeavingNothing() throws Exception {
        NginxProcess nginx = NginxProcess.builder().body("hello from nginx\n").start();
        List<ProcessHandle> processes;
        Path dir = nginx.directory();
        try {
            processes = nginx.processes();
            assertThat(processes).as("master and worker").hasSizeGreaterThanOrEqualTo(2);
            assertThat(ProcessHandle.current().children()).contains(processes.get(0));

            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(nginx.host(), nginx.port()), 5_000);
                s.setSoTimeout(10_000);
                assertTwoRequestsOnOneConnection(s, nginx, null);
            }

            SSLContext trust = nginx.certificates().clientContext();
            try (SSLSocket s = tlsSocket(trust, nginx, "localhost")) {
                s.startHandshake();
                assertThat(s.getSession().getPeerPrincipal().getName()).isEqualTo("CN=localhost");
                assertTwoRequestsOnOneConnection(s, nginx, "localhost");
            }

            // Verification is really on: the same certificate does not pass for another name.
            try (SSLSocket s = tlsSocket(trust, nginx, "conpool-other.test")) {
                assertThatThrownBy(s::startHandshake).isInstanceOf(SSLHandshakeException.class);
            }
            // And a client that does not trust the test CA is refused.
            try (SSLSocket s = tlsSocket(TestCertificates.generate().clientContext(), nginx, "localhost")) {
                assertThatThrownBy(s::startHandshake).isInstanceOf(SSLHandshakeException.class);
            }
            assertThat(nginx.tlsEndpoint().tls().serverName()).isEqualTo("localhost");
            assertThat(nginx.tlsEndpoint().tls().verifyHostname()).isTrue();
        }
        finally {
            nginx.close();
        }
        assertThat(processes).noneMatch(ProcessHandle::isAlive);
        assertThat(ProcessHandle.current().descendants()).doesNotContainAnyElementsOf(processes);
        assertThat(dir).doesNotExist();
    }

    @Test
    void keepaliveRequestsAndTimeoutAreApplied() throws Exception {
        try (NginxProcess nginx = NginxProcess.builder().keepaliveRequests(2).keepaliveTimeout(Duration.ofSeconds(1))
                .start()) {
            // keepalive_requests 2: the second response says close, and nginx closes.
            try (Socket s = new Socket(nginx.host(), nginx.port())) {
                s.setSoTimeout(10_000);
                InputStream in = new BufferedInputStream(s.getInputStream());
                OutputStream out = s.getOutputStream();
                Http1.Response first = Http1.get(in, out, "localhost", "/");
                Http1.Response second = Http1.get(in, out, "localhost", "/");
                assertThat(first.keepsAlive()).isTrue();
                assertThat(second.status()).isEqualTo(200);
                assertThat(second.header("X-Connection-Requests")).isEqualTo("2");
                assertThat(second.keepsAlive()).as("Connection: %s", second.header("Connection")).isFalse();
                assertThat(in.read()).isEqualTo(-1);
            }
            // keepalive_timeout 1s: an idle kept-alive connection is closed by nginx after about a second.
            try (Socket s = new Socket(nginx.host(), nginx.port())) {
                s.setSoTimeout(10_000);
                InputStream in = new BufferedInputStream(s.getInputStream());
                Http1.Response r = Http1.get(in, s.getOutputStream(), "localhost", "/");
                assertThat(r.keepsAlive()).isTrue();
                long idleSince = System.nanoTime();
                assertThat(in.read()).isEqualTo(-1);
                assertThat(Await.millisSince(idleSince)).isBetween(800L, 9_000L);
            }
        }
    }

    private static void assertTwoRequestsOnOneConnection(Socket s, NginxProcess nginx, String sni) throws Exception {
        InputStream in = new BufferedInputStream(s.getInputStream());
        OutputStream out = s.getOutputStream();
        Http1.Response first = Http1.get(in, out, "localhost", "/");
        Http1.Response second = Http1.get(in, out, "localhost", "/anything");
        for (Http1.Response r : List.of(first, second)) {
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.bodyText()).isEqualTo("hello from nginx\n").isEqualTo(nginx.body());
            assertThat(r.keepsAlive()).isTrue();
            assertThat(r.header("X-SNI")).isEqualTo(sni);
        }
        assertThat(second.header("X-Connection")).as("same connection on nginx's side")
                .isEqualTo(first.header("X-Connection"));
        assertThat(first.header("X-Connection-Requests")).isEqualTo("1");
        assertThat(second.header("X-Connection-Requests")).isEqualTo("2");
    }

    /** A TLS socket to nginx's TLS port, sending {@code name} as SNI and verifying the certificate against it. */
    private static SSLSocket tlsSocket(SSLContext trust, NginxProcess nginx, String name) throws Exception {
        Socket raw = new Socket();
        try {
            raw.connect(new InetSocketAddress(nginx.host(), nginx.tlsPort()), 5_000);
            raw.setSoTimeout(10_000);
            SSLSocket s = (SSLSocket) trust.getSocketFactory().createSocket(raw, name, nginx.tlsPort(), true);
            SSLParameters params = s.getSSLParameters();
            params.setServerNames(List.of(new SNIHostName(name)));
            params.setEndpointIdentificationAlgorithm("HTTPS");
            s.setSSLParameters(params);
            return s;
        }
        catch (Exception ex) {
            raw.close();
            throw ex;
        }
    }
}
