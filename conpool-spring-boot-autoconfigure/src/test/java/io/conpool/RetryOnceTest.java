package io.conpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.testkit.EchoClient;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.LineServer;
import io.conpool.testkit.LineServer.Action;
import io.conpool.testkit.RefusedPort;

/**
 * Retry once for idempotent work: a server that closes (or resets) a pooled connection the moment the first bytes of
 * its second lease arrive, which no check before the write can see. The work runs again on a newly opened connection
 * and the caller never sees the failure; and never for work not declared idempotent, never twice, never after a byte
 * was read, never on a connection opened for this very lease, never on another idle connection.
 */
@Timeout(30)
class RetryOnceTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    /** The second request on the first connection meets {@code action}; everything else is answered. */
    private static LineServer closingOnSecondRequest(Action action) {
        return LineServer.start((connection, request) -> connection == 0 && request == 2 ? action : Action.ANSWER);
    }

    private ConnectionPool pool(int max) {
        return leaks.track(ConnectionPool.builder()
                .config(PoolConfig.builder().maxConnectionsPerEndpoint(max).maxIdlePerEndpoint(max).build()));
    }

    private static String ask(PooledConnection c, String line) throws IOException {
        return EchoClient.roundTrip(c, line);
    }

    @Test
    void idempotentWorkIsRunAgainOnANewConnectionWhenThePeerClosedAtTheFirstWrite() throws Exception {
        for (Action action : new Action[] { Action.CLOSE, Action.RESET }) {
            try (LineServer server = closingOnSecondRequest(action)) {
                ConnectionPool pool = pool(2);
                Endpoint ep = server.endpoint();
                String one = pool.withConnection(ep, Idempotence.IDEMPOTENT, c -> ask(c, "one"));
                assertThat(one).isEqualTo("one");
                int[] runs = new int[1];
                String answer = pool.withConnection(ep, Idempotence.IDEMPOTENT, c -> {
                    runs[0]++;
                    if (runs[0] == 1) {
                        assertThat(c.reused()).isTrue();
                    }
                    else {
                        assertThat(c.reused()).as("the retry runs on a newly opened connection").isFalse();
                    }
                    return ask(c, "two");
                });
                assertThat(answer).as(action.name()).isEqualTo("two");
                assertThat(runs[0]).isEqualTo(2);
                EndpointStats s = pool.stats(ep);
                assertThat(s.retried()).isEqualTo(1);
                assertThat(s.closed(CloseReason.WORK_FAILED)).isEqualTo(1);
                assertThat(s.created()).isEqualTo(2);
                assertThat(s.errors()).isZero();
                server.assertAccepted(2);
                LeakCheck.assertNoPermitLost(pool, ep);
            }
        }
    }

    /** The same race without the marker: the caller gets the I/O error. */
    @Test
    void workNotDeclaredIdempotentIsNeverRetried() throws Exception {
        try (LineServer server = LineServer.start(
                (connection, request) -> request == 2 ? Action.CLOSE : Action.ANSWER)) {
            ConnectionPool pool = pool(2);
            Endpoint ep = server.endpoint();
            pool.withConnection(ep, c -> ask(c, "one"));
            assertThatThrownBy(() -> pool.withConnection(ep, Idempotence.NOT_IDEMPOTENT, c -> ask(c, "two")))
                    .isInstanceOfAny(EOFException.class, SocketException.class);
            pool.withConnection(ep, c -> ask(c, "three"));
            assertThatThrownBy(() -> pool.withConnection(ep, c -> ask(c, "four"))).as("the plain form neither")
                    .isInstanceOfAny(EOFException.class, SocketException.class);
            assertThat(pool.stats(ep).retried()).isZero();
            server.assertAccepted(2);
        }
    }

    @Test
    void neverAfterAByteWasRead() throws Exception {
        try (LineServer server = closingOnSecondRequest(Action.ANSWER_HALF_THEN_CLOSE)) {
            ConnectionPool pool = pool(2);
            Endpoint ep = server.endpoint();
            pool.withConnection(ep, Idempotence.IDEMPOTENT, c -> ask(c, "one"));
            assertThatThrownBy(() -> pool.withConnection(ep, Idempotence.IDEMPOTENT, c -> ask(c, "twotwo")))
                    .isInstanceOf(EOFException.class);
            assertThat(pool.stats(ep).retried()).isZero();
            server.assertAccepted(1);
        }
    }

    /** The retry fails too: the caller gets that failure, the first attached; no third run. */
    @Test
    void neverTwice() throws Exception {
        try (LineServer server = LineServer.start(
                (connection, request) -> connection == 0 && request == 1 ? Action.ANSWER : Action.CLOSE)) {
            ConnectionPool pool = pool(2);
            Endpoint ep = server.endpoint();
            pool.withConnection(ep, Idempotence.IDEMPOTENT, c -> ask(c, "one"));
            int[] runs = new int[1];
            Throwable failure = catchThrowable(() -> pool.withConnection(ep, Idempotence.IDEMPOTENT, c -> {
                runs[0]++;
                return ask(c, "two");
            }));
            assertThat(failure).isInstanceOfAny(EOFException.class, SocketException.class);
            assertThat(failure.getSuppressed()).hasSize(1);
            assertThat(runs[0]).isEqualTo(2);
            assertThat(pool.stats(ep).retried()).isEqualTo(1);
            server.assertAccepted(2);
        }
    }

    /** A connection opened for this very lease that fails is not the idle-close race: no retry. */
    @Test
    void neverOnAConnectionOpenedForThisLease() throws Exception {
        try (LineServer server = LineServer.start((connection, request) -> Action.CLOSE)) {
            ConnectionPool pool = pool(2);
            assertThatThrownBy(() -> pool.withConnection(server.endpoint(), Idempotence.IDEMPOTENT,
                    c -> ask(c, "one"))).isInstanceOfAny(EOFException.class, SocketException.class);
            assertThat(pool.stats(server.endpoint()).retried()).isZero();
            server.assertAccepted(1);
        }
    }

    /** Only I/O errors: the work's own exception is its answer. */
    @Test
    void neverForAnythingButAnIoError() throws Exception {
        try (LineServer server = closingOnSecondRequest(Action.ANSWER)) {
            ConnectionPool pool = pool(2);
            Endpoint ep = server.endpoint();
            pool.withConnection(ep, c -> ask(c, "one"));
            assertThatThrownBy(() -> pool.withConnection(ep, Idempotence.IDEMPOTENT, c -> {
                throw new IllegalArgumentException("bad input");
            })).hasMessage("bad input");
            assertThat(pool.stats(ep).retried()).isZero();
        }
    }

    /** Another idle connection may have been closed by the same timer: the retry opens a new one instead. */
    @Test
    void theRetryNeverTakesAnotherIdleConnection() throws Exception {
        try (LineServer server = closingOnSecondRequest(Action.CLOSE)) {
            ConnectionPool pool = pool(3);
            Endpoint ep = server.endpoint();
            // Connection 0 is returned last, so it is the one handed out next (most recently used first).
            try (PooledConnection second = pool.acquire(ep)) {
                try (PooledConnection first = pool.acquire(ep)) {
                    ask(first, "hello");
                }
                ask(second, "hello");
            }
            assertThat(pool.stats(ep).idle()).isEqualTo(2);
            String answer = pool.withConnection(ep, Idempotence.IDEMPOTENT, c -> ask(c, "again"));
            assertThat(answer).isEqualTo("again");
            EndpointStats s = pool.stats(ep);
            assertThat(s.retried()).isEqualTo(1);
            assertThat(s.created()).as("a third connection was opened").isEqualTo(3);
            assertThat(s.reused()).isEqualTo(1);
            assertThat(s.idle()).isEqualTo(2);
        }
    }

    /** The lease took the raw socket: what was read through it is out of sight, so no retry. */
    @Test
    void neverWhenTheLeaseTookTheSocket() throws Exception {
        try (LineServer server = closingOnSecondRequest(Action.CLOSE)) {
            ConnectionPool pool = pool(2);
            Endpoint ep = server.endpoint();
            pool.withConnection(ep, c -> ask(c, "one"));
            assertThatThrownBy(() -> pool.withConnection(ep, Idempotence.IDEMPOTENT, c -> {
                c.socket().setSoTimeout(5_000);
                return ask(c, "two");
            })).isInstanceOfAny(EOFException.class, SocketException.class);
            assertThat(pool.stats(ep).retried()).isZero();
        }
    }

    /** No connection for the retry (the server went away): the connect failure, the first failure attached. */
    @Test
    void aRetryThatCannotConnectReportsWhy() throws Exception {
        try (LineServer server = closingOnSecondRequest(Action.CLOSE)) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(PoolConfig.builder()
                    .connectAttempts(1).build()));
            Endpoint ep = server.endpoint();
            pool.withConnection(ep, c -> ask(c, "one"));
            Throwable failure = catchThrowable(() -> pool.withConnection(ep, Idempotence.IDEMPOTENT, c -> {
                server.close(); // stops listening; the request below is met by the closing server
                return ask(c, "two");
            }));
            assertThat(failure).isInstanceOf(ConnectException.class);
            assertThat(failure.getSuppressed()).hasSize(1);
            assertThat(pool.stats(ep).retried()).isEqualTo(1);
        }
    }

    /** What is left of the acquire timeout bounds the retry. */
    @Test
    void theRetryStaysWithinTheAcquireDeadline() throws Exception {
        try (LineServer server = closingOnSecondRequest(Action.CLOSE)) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(PoolConfig.builder()
                    .acquireTimeout(Duration.ofMillis(300)).build()));
            Endpoint ep = server.endpoint();
            pool.withConnection(ep, c -> ask(c, "one"));
            assertThatThrownBy(() -> pool.withConnection(ep, Idempotence.IDEMPOTENT, c -> {
                Thread.sleep(400); // the work itself used up the acquire's time
                return ask(c, "two");
            })).isInstanceOfAny(EOFException.class, SocketException.class);
            assertThat(pool.stats(ep).retried()).isZero();
        }
    }

    @Test
    void refusedPortNeverRetries() throws Exception {
        Endpoint refused = Endpoint.of("127.0.0.1", RefusedPort.find());
        ConnectionPool pool = leaks.track(ConnectionPool.builder().config(PoolConfig.builder()
                .connectAttempts(1).build()));
        assertThatThrownBy(() -> pool.withConnection(refused, Idempotence.IDEMPOTENT, c -> "x"))
                .isInstanceOf(ConnectException.class);
        assertThat(pool.stats(refused).retried()).isZero();
    }

    private static Throwable catchThrowable(ThrowingRunnable r) {
        try {
            r.run();
            return null;
        }
        catch (Throwable t) {
            return t;
        }
    }

    @FunctionalInterface
    private interface ThrowingRunnable {

        void run() throws Exception;
    }
}
