package io.conpool.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.conpool.AcquireInterruptedException;
import io.conpool.AcquireTimeoutException;
import io.conpool.CircuitState;
import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.EndpointStats;
import io.conpool.PoolConfig;
import io.conpool.PooledConnection;
import io.conpool.testkit.Await;
import io.conpool.testkit.ConnectTimeoutTarget;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.OpenSockets;
import io.conpool.testkit.SamePort;
import io.conpool.testkit.ScriptedResolver;
import io.conpool.testkit.TcpStates;
import io.conpool.testkit.TestCertificates;
import io.conpool.testkit.TlsServer;

/**
 * Issue 11, point 5: cancellation while a connection is being created. A thread interrupt, and the caller's acquire
 * deadline, land in the middle of a TCP connect to a black hole (the SYN is dropped: the socket sits in SYN_SENT) and
 * in the middle of a TLS handshake with a server that accepted the TCP connection and never answers the ClientHello.
 *
 * <p>Each case checks what the caller gets (the documented exception, promptly: the connection timeout is 20 s, so
 * only the cancellation can have ended the acquire), and what the pool keeps: no socket left open, no thread still
 * connecting or handshaking, {@code pending} and {@code active} back to 0 with
 * {@code created - closed == active + idle}, no connect error or breaker failure counted against the endpoint (the
 * endpoint did nothing wrong), and every permit: once the endpoint answers again, its full
 * {@code maxConnections} can be leased at once. {@link LeakCheck} checks threads and descriptors again after the
 * pool is closed.
 *
 * <p>Each case runs with the caller on a platform thread and, on Java 21+, on a virtual thread (whose blocking
 * connect and reads the JDK implements differently: parked on a poller, not blocked in the kernel).
 *
 * <p>Only the public API and kernel-visible state are used (no engine internals), so these tests hold for any engine.
 */
@Timeout(60)
class ConnectCancellationTest {

    private static final String HOST = "svc.test";

    /** Far longer than any case may take: whatever ends an acquire here, it is not the connection timeout. */
    private static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(20);

    /** The caller's own deadline in the deadline cases. */
    private static final Duration DEADLINE = Duration.ofMillis(500);

    /** How soon after the interrupt the caller must have its exception, on a loaded 2-core machine. */
    private static final long PROMPT_MS = 2_000;

    private static final int MAX_CONNECTIONS = 3;

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    // ------------------------------------------------------------------ TCP connect to a black hole

    /** (a) The caller's thread is interrupted while its connect waits for an answer to its SYN. */
    @ParameterizedTest(name = "{0} thread")
    @ValueSource(strings = { "platform", "virtual" })
    void interruptDuringTcpConnectToABlackHole(String thread) throws Exception {
        try (SamePort<EchoServer, ConnectTimeoutTarget> pair = blackHoleBesideLiveServer()) {
            ScriptedResolver resolver = ScriptedResolver.answering(HOST, "127.0.0.1");
            ConnectionPool pool = pool(resolver);
            Endpoint ep = Endpoint.of(HOST, pair.first().port());
            int sockets = OpenSockets.count();

            Caller caller = Caller.start(thread, () -> pool.acquire(ep));
            Await.until(() -> TcpStates.connectingTo(ep.port()) == 1, "the pool's connect to hang in SYN_SENT");
            long interruptedAt = System.nanoTime();
            caller.thread.interrupt();
            Throwable t = caller.outcome();

            assertThat(t).isInstanceOf(AcquireInterruptedException.class).hasMessageContaining(ep.toString());
            assertThat(caller.interruptFlagAfter).as("interrupt flag set again").isTrue();
            assertThat(caller.endedAt - interruptedAt).as("ns from the interrupt to the exception")
                .isLessThan(TimeUnit.MILLISECONDS.toNanos(PROMPT_MS));
            assertNothingLeftBehind(pool, ep, sockets);
            assertThat(pool.stats(ep).acquireTimeouts()).isZero();

            resolver.answer(HOST, "127.0.0.2"); // the endpoint answers again
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    /** (b) The caller's acquire deadline passes while its connect waits for an answer to its SYN. */
    @ParameterizedTest(name = "{0} thread")
    @ValueSource(strings = { "platform", "virtual" })
    void deadlineDuringTcpConnectToABlackHole(String thread) throws Exception {
        try (SamePort<EchoServer, ConnectTimeoutTarget> pair = blackHoleBesideLiveServer()) {
            ScriptedResolver resolver = ScriptedResolver.answering(HOST, "127.0.0.1");
            ConnectionPool pool = pool(resolver);
            Endpoint ep = Endpoint.of(HOST, pair.first().port());
            int sockets = OpenSockets.count();

            Caller caller = Caller.start(thread, () -> pool.acquire(ep, DEADLINE));
            Await.until(() -> TcpStates.connectingTo(ep.port()) == 1 || caller.done(),
                    "the pool's connect to hang in SYN_SENT");
            assertThat(caller.done()).as("the deadline landed during the connect, not before it").isFalse();
            Throwable t = caller.outcome();

            assertDeadlineOutcome(caller, t, ep);
            assertNothingLeftBehind(pool, ep, sockets);

            resolver.answer(HOST, "127.0.0.2");
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    // ------------------------------------------------------------------ TLS handshake with a silent server

    /** (c) The caller's thread is interrupted while its handshake waits for the ServerHello. */
    @ParameterizedTest(name = "{0} thread")
    @ValueSource(strings = { "platform", "virtual" })
    void interruptDuringTlsHandshakeWithAStalledServer(String thread) throws Exception {
        try (TlsServer server = TlsServer.start()) {
            server.stallHandshakes(true);
            ConnectionPool pool = pool(ScriptedResolver.answering(TestCertificates.HOST, "127.0.0.1"));
            Endpoint ep = server.endpoint(TestCertificates.HOST);
            int sockets = OpenSockets.count();

            Caller caller = Caller.start(thread, () -> pool.acquire(ep));
            Await.until(() -> server.stalledBytesReceived() > 0, "the ClientHello to reach the silent server");
            long interruptedAt = System.nanoTime();
            caller.thread.interrupt();
            Throwable t = caller.outcome();

            assertThat(t).isInstanceOf(AcquireInterruptedException.class).hasMessageContaining(ep.toString());
            assertThat(caller.interruptFlagAfter).as("interrupt flag set again").isTrue();
            assertThat(caller.endedAt - interruptedAt).as("ns from the interrupt to the exception")
                .isLessThan(TimeUnit.MILLISECONDS.toNanos(PROMPT_MS));
            assertThat(server.handshakes()).isZero();
            Await.until(() -> server.openConnections().isEmpty(), "the server to see the client's close");
            assertNothingLeftBehind(pool, ep, sockets);
            assertThat(pool.stats(ep).acquireTimeouts()).isZero();

            server.stallHandshakes(false);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    /** (d) The caller's acquire deadline passes while its handshake waits for the ServerHello. */
    @ParameterizedTest(name = "{0} thread")
    @ValueSource(strings = { "platform", "virtual" })
    void deadlineDuringTlsHandshakeWithAStalledServer(String thread) throws Exception {
        try (TlsServer server = TlsServer.start()) {
            server.stallHandshakes(true);
            ConnectionPool pool = pool(ScriptedResolver.answering(TestCertificates.HOST, "127.0.0.1"));
            Endpoint ep = server.endpoint(TestCertificates.HOST);
            int sockets = OpenSockets.count();

            Caller caller = Caller.start(thread, () -> pool.acquire(ep, DEADLINE));
            Await.until(() -> server.stalledBytesReceived() > 0 || caller.done(),
                    "the ClientHello to reach the silent server");
            assertThat(caller.done()).as("the deadline landed during the handshake, not before it").isFalse();
            Throwable t = caller.outcome();

            assertDeadlineOutcome(caller, t, ep);
            assertThat(server.handshakes()).isZero();
            Await.until(() -> server.openConnections().isEmpty(), "the server to see the client's close");
            assertNothingLeftBehind(pool, ep, sockets);

            server.stallHandshakes(false);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    // ------------------------------------------------------------------ shared checks

    /**
     * One attempt per acquire (a retry would hide what the cancellation did), a connection timeout nothing here
     * reaches, DNS asked on every connect (so a test can point the name at a live server afterwards), no sweep.
     */
    private ConnectionPool pool(ScriptedResolver resolver) {
        return leaks.track(ConnectionPool.builder()
            .resolver(resolver)
            .dnsCacheTtl(Duration.ofNanos(1))
            .config(PoolConfig.builder()
                .maxConnectionsPerEndpoint(MAX_CONNECTIONS)
                .maxIdlePerEndpoint(MAX_CONNECTIONS)
                .connectAttempts(1)
                .connectionTimeout(CONNECTION_TIMEOUT)
                .acquireTimeout(Duration.ofSeconds(30))
                .validationInterval(Duration.ofHours(1))
                .build()));
    }

    /** A black hole on 127.0.0.1:P (SYNs dropped) and a live echo server on 127.0.0.2:P, the same port. */
    private static SamePort<EchoServer, ConnectTimeoutTarget> blackHoleBesideLiveServer() {
        return SamePort.of(() -> EchoServer.start("127.0.0.2"), EchoServer::port,
                port -> ConnectTimeoutTarget.open("127.0.0.1", port));
    }

    /** The caller's deadline is an acquire timeout, near the deadline, and not an interrupt. */
    private static void assertDeadlineOutcome(Caller caller, Throwable t, Endpoint ep) {
        assertThat(t).isInstanceOf(AcquireTimeoutException.class).hasMessageContaining(ep.toString());
        long tookMs = TimeUnit.NANOSECONDS.toMillis(caller.endedAt - caller.startedAt);
        assertThat(tookMs).as("ms until the deadline (%d ms) ended the acquire", DEADLINE.toMillis())
            .isBetween(DEADLINE.toMillis() - 50, DEADLINE.toMillis() + 1_500);
        assertThat(caller.interruptFlagAfter).as("no interrupt flag").isFalse();
    }

    /**
     * No socket of the cancelled connect left open (the black hole's and the server's own sockets were opened before
     * {@code sockets} was counted), none still connecting, no thread still in a connect or a handshake, the stats at
     * rest and adding up, and nothing counted against the endpoint.
     */
    private static void assertNothingLeftBehind(ConnectionPool pool, Endpoint ep, int sockets) {
        Await.sockets(sockets);
        assertThat(TcpStates.connectingTo(ep.port())).as("sockets still connecting").isZero();
        try {
            Await.until(() -> threadsStillConnecting().isEmpty(), "no thread to be left connecting or handshaking");
        }
        catch (AssertionError ex) {
            throw new AssertionError(ex.getMessage() + ": " + threadsStillConnecting(), ex);
        }
        EndpointStats s = pool.stats(ep);
        LeakCheck.assertAtRest(pool, ep); // pending 0, active 0, created - closed == active + idle
        assertThat(s.errors()).as("connect errors counted (the endpoint did nothing wrong): " + s).isZero();
        assertThat(s.circuitState()).as("breaker").isEqualTo(CircuitState.CLOSED);
        assertThat(s.created()).as("connections opened").isZero();
    }

    /** Threads of this JVM blocked in a socket connect or a TLS handshake, by name. */
    private static List<String> threadsStillConnecting() {
        List<String> found = new ArrayList<>();
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            for (StackTraceElement frame : e.getValue()) {
                String cls = frame.getClassName();
                boolean connect = frame.getMethodName().toLowerCase(java.util.Locale.ROOT).contains("connect")
                        && (cls.startsWith("sun.nio.ch.") || cls.startsWith("java.net.")
                                || cls.startsWith("java.nio.channels."));
                boolean handshake = frame.getMethodName().equals("startHandshake");
                if (connect || handshake) {
                    found.add(e.getKey().getName() + " in " + frame);
                    break;
                }
            }
        }
        return found;
    }

    /**
     * A caller on its own thread: a platform thread named {@code testkit-caller} (so {@link LeakCheck} watches it
     * too), or a virtual thread on Java 21+. Runs one acquire, closes the lease if it got one, and records the
     * exception, when it ended, and whether its interrupt flag was set after the catch (read and cleared there).
     */
    private static final class Caller {

        volatile Thread thread;

        final CountDownLatch started = new CountDownLatch(1);

        final CountDownLatch done = new CountDownLatch(1);

        volatile long startedAt;

        volatile long endedAt;

        volatile Throwable failure;

        volatile boolean interruptFlagAfter;

        private void run(Supplier<PooledConnection> acquire) {
            thread = Thread.currentThread();
            startedAt = System.nanoTime();
            started.countDown();
            try (PooledConnection c = acquire.get()) {
                endedAt = System.nanoTime();
            }
            catch (Throwable t) {
                endedAt = System.nanoTime();
                failure = t;
            }
            interruptFlagAfter = Thread.interrupted();
            done.countDown();
        }

        /** Starts the acquire on a {@code kind} ("platform" or "virtual") thread; skips the test if there is none. */
        static Caller start(String kind, Supplier<PooledConnection> acquire) throws InterruptedException {
            Caller c = new Caller();
            Runnable body = () -> c.run(acquire);
            if (kind.equals("virtual")) {
                java.lang.reflect.Method startVirtual;
                try {
                    startVirtual = Thread.class.getMethod("startVirtualThread", Runnable.class);
                }
                catch (NoSuchMethodException ex) {
                    Assumptions.abort("virtual threads need Java 21+");
                    return c;
                }
                try {
                    startVirtual.invoke(null, body);
                }
                catch (ReflectiveOperationException ex) {
                    throw new IllegalStateException("starting a virtual thread", ex);
                }
            }
            else {
                Thread t = new Thread(body, "testkit-caller");
                t.setDaemon(true);
                t.start();
            }
            assertThat(c.started.await(5, TimeUnit.SECONDS)).as("caller started").isTrue();
            return c;
        }

        boolean done() {
            return done.getCount() == 0;
        }

        /** What the acquire threw ({@code null} if it succeeded); fails if it took more than 10 s to end. */
        Throwable outcome() throws InterruptedException {
            if (!done.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("the acquire did not end within 10 s; caller stack: "
                        + java.util.Arrays.toString(thread.getStackTrace()));
            }
            thread.join(5_000);
            assertThat(thread.isAlive()).as("caller thread ended").isFalse();
            return failure;
        }
    }
}
