package io.conpool.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The kit's servers and checks do what the tests rely on. */
@Timeout(30)
class TestKitTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    @Test
    void echoServerEchoesCountsAndRecords() throws Exception {
        try (EchoServer server = EchoServer.start(); Socket s = connect(server)) {
            s.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
            assertThat(s.getInputStream().readNBytes(5)).asString(StandardCharsets.US_ASCII).isEqualTo("hello");
            ServerConnection sc = server.connectionOf(s);
            assertThat(server.accepted()).isEqualTo(1);
            assertThat(sc.bytesReceived()).isEqualTo(5);
            assertThat(sc.received()).asString(StandardCharsets.US_ASCII).isEqualTo("hello");
            sc.send("push".getBytes(StandardCharsets.US_ASCII));
            assertThat(s.getInputStream().readNBytes(4)).asString(StandardCharsets.US_ASCII).isEqualTo("push");
        }
    }

    @Test
    void echoServerClosesWithFinAndResetsWithRst() throws Exception {
        try (EchoServer server = EchoServer.start(); Socket fin = connect(server); Socket rst = connect(server)) {
            server.connectionOf(fin).close();
            assertThat(fin.getInputStream().read()).isEqualTo(-1);
            server.connectionOf(rst).reset();
            Thread.sleep(50);
            assertThatThrownBy(() -> rst.getInputStream().read()).isInstanceOf(SocketException.class)
                    .hasMessageContaining("reset");
        }
    }

    @Test
    void echoServerStopsAccepting() throws Exception {
        try (EchoServer server = EchoServer.start()) {
            server.stopAccepting();
            assertThatThrownBy(() -> connect(server)).isInstanceOf(java.net.ConnectException.class);
        }
    }

    @Test
    void respServerAnswersAndCanFallSilent() throws Exception {
        try (RespServer server = RespServer.start(); Socket s = connect(server)) {
            s.setSoTimeout(5_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write("*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nvv\r\nGET k\r\nECHO hi\r\nGET nope\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String expected = "+PONG\r\n+OK\r\n$2\r\nvv\r\n$2\r\nhi\r\n$-1\r\n";
            assertThat(in.readNBytes(expected.length())).asString(StandardCharsets.US_ASCII).isEqualTo(expected);
            server.answering(false);
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            s.setSoTimeout(200);
            assertThatThrownBy(in::read).isInstanceOf(java.net.SocketTimeoutException.class);
            assertThat(server.pings()).isEqualTo(2);
        }
    }

    @Test
    void tlsServerRecordsSniAndProtocol() throws Exception {
        try (TlsServer server = TlsServer.start()) {
            try (SSLSocket s = tlsConnect(server, TestCertificates.HOST, "TLSv1.3")) {
                echo(s);
                assertThat(server.connectionOf(s).sniHostName()).isEqualTo(TestCertificates.HOST);
                assertThat(server.connectionOf(s).protocol()).isEqualTo("TLSv1.3");
            }
            try (SSLSocket s = tlsConnect(server, null, "TLSv1.2")) {
                echo(s);
                assertThat(server.connectionOf(s).sniHostName()).isNull();
                assertThat(server.connectionOf(s).protocol()).isEqualTo("TLSv1.2");
            }
            assertThat(server.handshakes()).isEqualTo(2);
        }
    }

    @Test
    void tlsServerCanStallHandshakes() throws Exception {
        try (TlsServer server = TlsServer.start().stallHandshakes(true)) {
            Socket raw = connect(server);
            SSLSocket s = (SSLSocket) TestCertificates.shared().clientContext().getSocketFactory().createSocket(raw,
                    TestCertificates.HOST, server.port(), true);
            s.setSoTimeout(200);
            try (s) {
                assertThatThrownBy(s::startHandshake).isInstanceOf(java.net.SocketTimeoutException.class);
            }
        }
    }

    @Test
    void tlsServerClosesWithOrWithoutCloseNotify() throws Exception {
        try (TlsServer server = TlsServer.start()) {
            // TLS 1.2, where the alert is a cleartext record of type 21 on the wire, seen on the raw socket.
            try (SSLSocket s = tlsConnect(server, TestCertificates.HOST, "TLSv1.2")) {
                echo(s);
                server.connectionOf(s).close();
                byte[] wire = rawRemainder(s);
                assertThat(wire).isNotEmpty();
                assertThat(wire[0]).isEqualTo((byte) 21);
            }
            try (SSLSocket s = tlsConnect(server, TestCertificates.HOST, "TLSv1.2")) {
                echo(s);
                server.connectionOf(s).closeWithoutCloseNotify();
                assertThat(rawRemainder(s)).isEmpty();
            }
        }
    }

    /** What is left on the TCP socket under {@code s} until end of stream. */
    private static byte[] rawRemainder(SSLSocket s) throws Exception {
        return UNDERLYING.get(s).getInputStream().readAllBytes();
    }

    @Test
    void leakCheckSeesALeakedSocketAndThread() throws Exception {
        LeakCheck check = LeakCheck.begin().settleTime(Duration.ofMillis(300));
        EchoServer server = EchoServer.start();
        Socket s = connect(server);
        try {
            assertThatThrownBy(check::verify).isInstanceOf(AssertionError.class)
                    .hasMessageContaining("socket:")
                    .hasMessageContaining(LoopbackServer.THREAD_PREFIX + "echo-");
        }
        finally {
            s.close();
            server.close();
        }
        check.verify(); // everything closed now
    }

    @Test
    void manualTickerMovesOnlyWhenAdvanced() {
        ManualTicker t = new ManualTicker();
        long start = t.nanoTime();
        assertThat(start).isNotZero();
        t.advance(Duration.ofMillis(5));
        assertThat(t.nanoTime() - start).isEqualTo(5_000_000);
    }

    private static Socket connect(LoopbackServer server) throws Exception {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(server.host(), server.port()), 2_000);
        s.setSoTimeout(5_000);
        return s;
    }

    /** The plain socket each client TLS socket is layered on, to look at the wire under TLS. */
    private static final java.util.Map<SSLSocket, Socket> UNDERLYING = java.util.Collections
            .synchronizedMap(new java.util.WeakHashMap<>());

    private static SSLSocket tlsConnect(TlsServer server, String sni, String protocol) throws Exception {
        Socket raw = connect(server);
        SSLSocket s = (SSLSocket) server.certificates().clientContext().getSocketFactory().createSocket(raw,
                sni != null ? sni : server.host(), server.port(), true);
        SSLParameters p = s.getSSLParameters();
        p.setProtocols(new String[] { protocol });
        p.setServerNames(sni != null ? java.util.List.of(new SNIHostName(sni)) : java.util.List.of());
        p.setEndpointIdentificationAlgorithm("HTTPS");
        s.setSSLParameters(p);
        s.startHandshake();
        UNDERLYING.put(s, raw);
        return s;
    }

    private static void echo(Socket s) throws Exception {
        s.getOutputStream().write('x');
        s.getOutputStream().flush();
        assertThat(s.getInputStream().read()).isEqualTo('x');
    }
}
