package io.conpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.testkit.EchoClient;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.ScriptedResolver;
import io.conpool.testkit.TcpStates;
import io.conpool.testkit.TestCertificates;
import io.conpool.testkit.TlsServer;
import io.conpool.testkit.Wire;

/**
 * On Java 21+ the pool switches each new socket to non-blocking mode at the OS level (so the liveness probe is one
 * system call), unless {@code -Dio.conpool.nonBlockingSockets=false}; on Java 17-20 sockets stay as they were. Either
 * way, callers see blocking streams: reads wait for data, read timeouts fire, and the probe still spots a peer's
 * close. The suite runs on JDK 17 and on JDK 25 (see the module's pom), so both sides are exercised.
 */
@Timeout(30)
class NonBlockingSocketsTest {

    private static final String PROPERTY = "io.conpool.nonBlockingSockets";

    private static final boolean JAVA_21_OR_LATER = Runtime.version().feature() >= 21;

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    @AfterEach
    void clearProperty() {
        System.clearProperty(PROPERTY);
    }

    @Test
    void newSocketsAreNonBlockingAtTheOsLevelOnJava21AndLaterOnly() throws Exception {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder());
            try (PooledConnection c = pool.acquire(server.endpoint())) {
                assertThat(TcpStates.nonBlockingAtOsLevel(c.socket())).as("O_NONBLOCK on Java %s",
                        Runtime.version().feature()).isEqualTo(JAVA_21_OR_LATER);
                assertThat(EchoClient.roundTrip(c, "hello")).isEqualTo("hello");
            }
        }
    }

    @Test
    void theSystemPropertyTurnsItOffForPoolsBuiltAfterwards() throws Exception {
        System.setProperty(PROPERTY, "false");
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder());
            try (PooledConnection c = pool.acquire(server.endpoint())) {
                assertThat(TcpStates.nonBlockingAtOsLevel(c.socket())).isFalse();
                assertThat(EchoClient.roundTrip(c, "still fine")).isEqualTo("still fine");
            }
        }
    }

    @Test
    void readsStillBlockUntilDataArrivesAndReadTimeoutsStillFire() throws Exception {
        try (EchoServer server = EchoServer.start().echoing(false)) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder());
            Endpoint ep = server.endpoint();
            try (PooledConnection c = pool.acquire(ep)) {
                Socket socket = c.socket();
                server.awaitAccepted(1, java.time.Duration.ofSeconds(5));
                CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> {
                    try {
                        return c.in().read();
                    }
                    catch (java.io.IOException ex) {
                        throw new java.io.UncheckedIOException(ex);
                    }
                });
                Thread.sleep(200);
                assertThat(read).as("a platform thread's read waits for data").isNotDone();
                server.connectionOf(socket).send("x".getBytes(StandardCharsets.US_ASCII));
                assertThat(read.get(5, TimeUnit.SECONDS)).isEqualTo('x');

                socket.setSoTimeout(100);
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> c.in().read()).isInstanceOf(SocketTimeoutException.class);
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isBetween(90L, 2_000L);
            }
            assertThat(pool.stats(ep).closed(CloseReason.BROKEN)).as("a timed-out read leaves it broken").isEqualTo(1);
        }
    }

    @Test
    void theProbeStillSeesAPeersCloseOnPlainAndTlsConnections() throws Exception {
        try (EchoServer plain = EchoServer.start(); TlsServer tls = TlsServer.start()) {
            ScriptedResolver resolver = ScriptedResolver.create().answer(TestCertificates.HOST, "127.0.0.1");
            ConnectionPool pool = leaks.track(ConnectionPool.builder().resolver(resolver));
            for (Endpoint ep : new Endpoint[] { plain.endpoint(), tls.endpoint(TestCertificates.HOST) }) {
                Socket first;
                try (PooledConnection c = pool.acquire(ep)) {
                    first = c.socket();
                    assertThat(Wire.echo(c, "once")).isEqualTo("once");
                }
                (ep.isTls() ? tls.connectionOf(first) : plain.connectionOf(first)).close();
                TcpStates.awaitPeerClosed(first);
                try (PooledConnection c = pool.acquire(ep)) {
                    assertThat(c.socket()).as("%s: the closed one is not handed out", ep).isNotSameAs(first);
                    assertThat(Wire.echo(c, "fresh")).isEqualTo("fresh");
                }
                assertThat(pool.stats(ep).closed(CloseReason.PEER_CLOSED)).as("%s", ep).isEqualTo(1);
                LeakCheck.assertNoPermitLost(pool, ep);
            }
        }
    }
}
