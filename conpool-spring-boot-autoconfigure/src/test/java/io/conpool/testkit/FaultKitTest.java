package io.conpool.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The fault-injection half of the kit does what the reliability tests rely on. */
@Timeout(30)
class FaultKitTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    @Test
    void proxyForwardsBothWaysAndCounts() throws Exception {
        try (EchoServer server = EchoServer.start(); FaultProxy proxy = FaultProxy.to(server.address())) {
            try (Socket a = connect(proxy); Socket b = connect(proxy)) {
                assertThat(roundTrip(a, "one")).isEqualTo("one");
                assertThat(roundTrip(b, "two")).isEqualTo("two");
                assertThat(proxy.accepted()).isEqualTo(2);
                assertThat(proxy.active()).isEqualTo(2);
                assertThat(server.accepted()).isEqualTo(2);
            }
            await(() -> proxy.active() == 0, "proxied connections to close after the client closed");
        }
    }

    @Test
    void latencyDelaysEachChunkInItsDirection() throws Exception {
        try (EchoServer server = EchoServer.start(); FaultProxy proxy = FaultProxy.to(server.address());
                Socket s = connect(proxy)) {
            roundTrip(s, "warm");
            proxy.latency(FaultProxy.Direction.TO_CLIENT, Duration.ofMillis(200));
            long t0 = System.nanoTime();
            assertThat(roundTrip(s, "slow")).isEqualTo("slow");
            assertThat(millisSince(t0)).isGreaterThanOrEqualTo(195);
            assertThat(proxy.delayedChunks()).isEqualTo(1);
            proxy.heal();
            t0 = System.nanoTime();
            roundTrip(s, "fast");
            assertThat(millisSince(t0)).isLessThan(195);
        }
    }

    @Test
    void blackholeSwallowsNewAndOpenConnectionsUntilHealed() throws Exception {
        try (EchoServer server = EchoServer.start(); FaultProxy proxy = FaultProxy.to(server.address());
                Socket before = connect(proxy)) {
            roundTrip(before, "x");
            proxy.blackhole(true);
            try (Socket during = connect(proxy)) {
                during.setSoTimeout(200);
                during.getOutputStream().write('y');
                assertThatThrownBy(() -> during.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
                before.setSoTimeout(200);
                before.getOutputStream().write('z');
                assertThatThrownBy(() -> before.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
                assertThat(server.accepted()).as("a blackholed connection never reaches the server").isEqualTo(1);
            }
            proxy.heal();
            before.setSoTimeout(5_000);
            assertThat(roundTrip(before, "back")).isEqualTo("back");
        }
    }

    @Test
    void resetSendsRstToTheClient() throws Exception {
        try (EchoServer server = EchoServer.start(); FaultProxy proxy = FaultProxy.to(server.address());
                Socket s = connect(proxy)) {
            roundTrip(s, "x");
            assertThat(proxy.resetAll()).isEqualTo(1);
            assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketException.class)
                    .hasMessageContaining("reset");
            assertThat(proxy.resets()).isEqualTo(1);
            proxy.resetOnAccept(true);
            // The RST may even beat the end of connect() on loopback: either the connect or the read fails.
            assertThatThrownBy(() -> {
                try (Socket next = connect(proxy)) {
                    next.getInputStream().read();
                }
            }).isInstanceOf(SocketException.class);
            assertThat(proxy.resets()).isEqualTo(2);
        }
    }

    @Test
    void halfCloseEndsTheClientsInputButStillForwardsWhatItSends() throws Exception {
        try (EchoServer server = EchoServer.start(); FaultProxy proxy = FaultProxy.to(server.address());
                Socket s = connect(proxy)) {
            roundTrip(s, "x");
            assertThat(proxy.halfCloseAll()).isEqualTo(1);
            assertThat(s.getInputStream().read()).isEqualTo(-1);
            s.getOutputStream().write("after".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            await(() -> server.connections().get(0).bytesReceived() == 1 + 5, "the server to receive 'after'");
        }
    }

    @Test
    void closeAfterBytesForwardsUpToTheLimitThenCloses() throws Exception {
        try (EchoServer server = EchoServer.start(); FaultProxy proxy = FaultProxy.to(server.address());
                Socket s = connect(proxy)) {
            proxy.closeAfterBytes(3);
            s.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            assertThat(s.getInputStream().read()).isEqualTo(-1);
            // The proxy may close before the server has even registered the connection it forwarded to.
            await(() -> !server.connections().isEmpty() && server.connections().get(0).isClosed(),
                    "the server to read up to the close");
            assertThat(server.connections().get(0).received()).asString(StandardCharsets.US_ASCII).isEqualTo("hel");
            assertThat(proxy.byteLimitCloses()).isEqualTo(1);
        }
    }

    @Test
    void idleTimeoutClosesOnlyIdleConnections() throws Exception {
        try (EchoServer server = EchoServer.start(); FaultProxy proxy = FaultProxy.to(server.address());
                Socket idle = connect(proxy); Socket busy = connect(proxy)) {
            roundTrip(idle, "i");
            roundTrip(busy, "b");
            proxy.idleTimeout(Duration.ofMillis(150));
            long t0 = System.nanoTime();
            while (millisSince(t0) < 600) {
                assertThat(roundTrip(busy, "b")).isEqualTo("b");
                Thread.sleep(30);
            }
            assertThat(idle.getInputStream().read()).isEqualTo(-1);
            assertThat(proxy.idleCloses()).isEqualTo(1);
            assertThat(proxy.active()).isEqualTo(1);
        }
    }

    @Test
    void connectionsAboveTheBoundAreClosedAtOnce() throws Exception {
        try (EchoServer server = EchoServer.start(); FaultProxy proxy = FaultProxy.to(server.address(), 2);
                Socket a = connect(proxy); Socket b = connect(proxy)) {
            roundTrip(a, "a");
            roundTrip(b, "b");
            try (Socket c = connect(proxy)) {
                assertThat(c.getInputStream().read()).isEqualTo(-1);
            }
            assertThat(proxy.rejected()).isEqualTo(1);
            assertThat(roundTrip(a, "still")).isEqualTo("still");
        }
    }

    @Test
    void connectTimeoutTargetMakesConnectsHangUntilTheClientTimeout() throws Exception {
        try (ConnectTimeoutTarget target = ConnectTimeoutTarget.open(); Socket s = new Socket()) {
            assertThat(target.queued()).isGreaterThanOrEqualTo(1);
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> s.connect(target.address(), 300)).isInstanceOf(SocketTimeoutException.class);
            assertThat(millisSince(t0)).isBetween(290L, 300L * 2 + 500);
        }
    }

    @Test
    void refusedPortRefuses() {
        int port = RefusedPort.find();
        assertThatThrownBy(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
            }
        }).isInstanceOf(java.net.ConnectException.class);
        assertThat(RefusedPort.isRefused("127.0.0.2", RefusedPort.find("127.0.0.2"))).isTrue();
        assertThat(RefusedPort.isRefused("127.0.0.1", port)).isTrue();
    }

    @Test
    void scriptedResolverAnswersFailsFlipsAndCounts() throws Exception {
        ScriptedResolver r = ScriptedResolver.answering("db.test", "127.0.0.1", "127.0.0.2");
        assertThat(r.resolve("db.test")).extracting(InetAddress::getHostAddress).containsExactly("127.0.0.1",
                "127.0.0.2");
        assertThat(r.resolve("db.test").get(0).getHostName()).isEqualTo("db.test");
        r.fail("db.test");
        assertThatThrownBy(() -> r.resolve("db.test")).isInstanceOf(UnknownHostException.class);
        r.answer("db.test", "127.0.0.2");
        assertThat(r.resolve("db.test")).extracting(InetAddress::getHostAddress).containsExactly("127.0.0.2");
        assertThatThrownBy(() -> r.resolve("other.test")).isInstanceOf(UnknownHostException.class);
        assertThat(r.lookups("db.test")).isEqualTo(4);
        assertThat(r.lookups()).isEqualTo(5);

        r.pause();
        CompletableFuture<List<InetAddress>> slow = CompletableFuture.supplyAsync(() -> {
            try {
                return r.resolve("db.test");
            }
            catch (UnknownHostException ex) {
                throw new IllegalStateException(ex);
            }
        });
        r.awaitBlocked(1, Duration.ofSeconds(5));
        assertThat(slow).isNotDone();
        r.resume();
        assertThat(slow.get(5, TimeUnit.SECONDS)).hasSize(1);
        assertThatThrownBy(() -> ScriptedResolver.answering("x.test", "not-an-ip"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void clientHelloParserReadsWhatAJdkClientOffers() throws Exception {
        try (RecordingServer server = RecordingServer.start(new byte[0])) {
            SSLSocket s = (SSLSocket) TestCertificates.shared().clientContext().getSocketFactory()
                    .createSocket("127.0.0.1", server.port());
            try (s) {
                javax.net.ssl.SSLParameters p = s.getSSLParameters();
                p.setServerNames(List.of(new javax.net.ssl.SNIHostName("conpool.test")));
                p.setProtocols(new String[] { "TLSv1.3", "TLSv1.2" });
                s.setSSLParameters(p);
                s.setSoTimeout(5_000);
                assertThatThrownBy(s::startHandshake).isInstanceOf(IOException.class);
            }
            await(() -> server.received().size() == 1, "the ClientHello to be recorded");
            byte[] wire = server.received().get(0);
            assertThat(ClientHello.looksLikeTls(wire)).isTrue();
            ClientHello hello = ClientHello.parse(wire);
            assertThat(hello.serverName()).isEqualTo("conpool.test");
            assertThat(hello.offeredVersions()).containsExactlyInAnyOrder(ClientHello.TLS_1_3, ClientHello.TLS_1_2);
        }
    }

    @Test
    void histogramReportsPercentilesWithinItsPrecision() {
        LatencyHistogram h = new LatencyHistogram();
        for (int i = 1; i <= 1000; i++) {
            h.record(i * 1_000L);
        }
        assertThat(h.count()).isEqualTo(1000);
        assertThat(h.percentileNanos(50)).isBetween(500_000L, 530_000L);
        assertThat(h.percentileNanos(99)).isBetween(990_000L, 1_000_000L);
        assertThat(h.maxNanos()).isEqualTo(1_000_000L);
    }

    // ---------------------------------------------------------------- helpers

    private static Socket connect(FaultProxy proxy) throws IOException {
        Socket s = new Socket();
        s.connect(proxy.address(), 5_000);
        s.setSoTimeout(5_000);
        return s;
    }

    private static String roundTrip(Socket s, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        s.getOutputStream().write(bytes);
        s.getOutputStream().flush();
        InputStream in = s.getInputStream();
        return new String(in.readNBytes(bytes.length), StandardCharsets.US_ASCII);
    }

    private static long millisSince(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }
}
