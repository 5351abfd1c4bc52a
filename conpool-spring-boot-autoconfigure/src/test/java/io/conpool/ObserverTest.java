package io.conpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.ConnectionPoolObserver.Phase;
import io.conpool.testkit.Await;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.RefusedPort;
import io.conpool.testkit.ScriptedResolver;
import io.conpool.testkit.TestCertificates;
import io.conpool.testkit.TlsServer;
import io.conpool.testkit.Wire;

/**
 * {@link ConnectionPoolObserver}: each acquire, wait, connect attempt and TLS handshake is started and ended on the
 * thread doing it, nested as the work nests (acquire, then wait or connect, then handshake), with the outcome and,
 * for an acquire, whether the connection was reused; background connects are observed on the pool's worker thread;
 * an observer that throws is counted and changes nothing.
 */
@Timeout(30)
class ObserverTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private final Recorder recorder = new Recorder();

    private ConnectionPool pool(PoolConfig.Builder config, ConnectionPoolObserver... observers) {
        ConnectionPool.Builder b = ConnectionPool.builder()
                .resolver(ScriptedResolver.answering(TestCertificates.HOST, "127.0.0.1"))
                .config(config.build());
        for (ConnectionPoolObserver o : observers) {
            b.observer(o);
        }
        return leaks.track(b);
    }

    @Test
    void aNewTlsConnectionNestsConnectAndHandshakeInTheAcquireAndAReuseIsOneAcquire() {
        try (TlsServer server = TlsServer.start()) {
            ConnectionPool pool = pool(PoolConfig.builder(), recorder);
            Endpoint ep = server.endpoint(TestCertificates.HOST);
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(Wire.echo(c, "x")).isEqualTo("x");
            }
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.reused()).isTrue();
            }
            String me = Thread.currentThread().getName();
            assertThat(recorder.events()).containsExactly(
                    "start acquire " + ep + " name=null depth=0 on " + me,
                    "start connect " + ep + " name=null depth=1 on " + me,
                    "start handshake " + ep + " name=null depth=2 on " + me,
                    "end handshake ok",
                    "end connect ok",
                    "end acquire ok reused=false",
                    "start acquire " + ep + " name=null depth=0 on " + me,
                    "end acquire ok reused=true");
        }
    }

    @Test
    void everyFailedConnectAttemptIsOneObservationInsideTheFailedAcquire() {
        ConnectionPool pool = pool(PoolConfig.builder().connectAttempts(2).connectBackoff(Duration.ofMillis(1)),
                recorder);
        Endpoint ep = Endpoint.of("127.0.0.1", RefusedPort.find());
        assertThatThrownBy(() -> pool.acquire(ep)).isInstanceOf(ConnectException.class);
        assertThat(recorder.events()).extracting(e -> e.replaceAll(" on .*", "")).containsExactly(
                "start acquire " + ep + " name=null depth=0",
                "start connect " + ep + " name=null depth=1",
                "end connect failed java.net.ConnectException",
                "start connect " + ep + " name=null depth=1",
                "end connect failed java.net.ConnectException",
                "end acquire failed io.conpool.ConnectException");
    }

    @Test
    void aWaitIsObservedOnlyWhenTheCallerWaitsAndEndsWithItsOutcome() throws Exception {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder().endpoint("echo", server.endpoint())
                    .config(PoolConfig.builder().maxConnectionsPerEndpoint(1).maxIdlePerEndpoint(1).build())
                    .observer(recorder));
            Endpoint ep = server.endpoint();
            ExecutorService other = Executors.newSingleThreadExecutor();
            try {
                PooledConnection held = pool.acquire(ep);
                recorder.clear();
                assertThatThrownBy(() -> pool.acquire(ep, Duration.ofMillis(50)))
                        .isInstanceOf(AcquireTimeoutException.class);
                assertThat(recorder.events()).extracting(e -> e.replaceAll(" on .*", "")).containsExactly(
                        "start acquire " + ep + " name=echo depth=0",
                        "start wait " + ep + " name=echo depth=1",
                        "end wait failed io.conpool.AcquireTimeoutException",
                        "end acquire failed io.conpool.AcquireTimeoutException");

                recorder.clear();
                Future<Boolean> waiter = other.submit(() -> {
                    try (PooledConnection c = pool.acquire(ep)) {
                        return c.reused();
                    }
                });
                Await.pending(pool, ep, 1);
                held.close();
                assertThat(waiter.get()).isTrue();
                assertThat(recorder.events()).extracting(e -> e.replaceAll(" on .*", "")).containsExactly(
                        "start acquire " + ep + " name=echo depth=0",
                        "start wait " + ep + " name=echo depth=1",
                        "end wait ok",
                        "end acquire ok reused=true");
            }
            finally {
                Await.shutdown(other);
            }
        }
    }

    @Test
    void aWaitForRoomUnderTheTotalCapIsAWaitToo() {
        try (EchoServer a = EchoServer.start(); EchoServer b = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder().maxTotalConnections(1).observer(recorder));
            try (PooledConnection held = pool.acquire(a.endpoint())) {
                recorder.clear();
                assertThatThrownBy(() -> pool.acquire(b.endpoint(), Duration.ofMillis(50)))
                        .isInstanceOf(AcquireTimeoutException.class);
            }
            assertThat(recorder.events()).extracting(e -> e.replaceAll(" on .*", "")).containsExactly(
                    "start acquire " + b.endpoint() + " name=null depth=0",
                    "start wait " + b.endpoint() + " name=null depth=1",
                    "end wait failed io.conpool.AcquireTimeoutException",
                    "end acquire failed io.conpool.AcquireTimeoutException");
        }
    }

    @Test
    void connectsToKeepMinIdleAreObservedOnTheWorkerThreadOutsideAnyAcquire() {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder().endpoint("warm", server.endpoint())
                    .config(PoolConfig.builder().minIdlePerEndpoint(1).build()).observer(recorder));
            Await.until(() -> pool.stats(server.endpoint()).idle() == 1, "warmed");
            Await.until(() -> recorder.events().size() == 2, "the connect ended");
            assertThat(recorder.events().get(0)).startsWith("start connect " + server.endpoint() + " name=warm depth=0 on ")
                    .contains("-worker-");
            assertThat(recorder.events().get(1)).isEqualTo("end connect ok");
        }
    }

    @Test
    void anObserverThatThrowsIsCountedAndChangesNothing() {
        ConnectionPoolObserver throwing = (phase, endpoint, name) -> {
            if (phase == Phase.CONNECT) {
                throw new IllegalStateException("observer bug");
            }
            return new ConnectionPoolObserver.Scope() {

                @Override
                public void succeeded(boolean reused) {
                    throw new IllegalStateException("observer bug");
                }

                @Override
                public void failed(Throwable error) {
                }
            };
        };
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = pool(PoolConfig.builder(), throwing, recorder);
            Endpoint ep = server.endpoint();
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(Wire.echo(c, "still works")).isEqualTo("still works");
            }
            assertThat(pool.stats(ep).listenerErrors()).as("connect start, acquire end").isEqualTo(2);
            assertThat(recorder.events()).as("the other observer sees every phase").hasSize(4);
        }
    }

    /** Records phases as text, with how deep they nest on their thread. */
    static final class Recorder implements ConnectionPoolObserver {

        private final List<String> events = Collections.synchronizedList(new ArrayList<>());

        private final ThreadLocal<Deque<Phase>> open = ThreadLocal.withInitial(ArrayDeque::new);

        @Override
        public Scope start(Phase phase, Endpoint endpoint, String name) {
            Deque<Phase> stack = open.get();
            events.add("start " + phase.tag() + " " + endpoint + " name=" + name + " depth=" + stack.size() + " on "
                    + Thread.currentThread().getName());
            stack.push(phase);
            return new Scope() {

                @Override
                public void succeeded(boolean reused) {
                    end(phase, "ok" + (phase == Phase.ACQUIRE ? " reused=" + reused : ""));
                }

                @Override
                public void failed(Throwable error) {
                    end(phase, "failed " + error.getClass().getName());
                }
            };
        }

        private void end(Phase phase, String how) {
            Phase top = open.get().pop();
            assertThat(top).as("phases end in the reverse order they started").isEqualTo(phase);
            events.add("end " + phase.tag() + " " + how);
        }

        List<String> events() {
            synchronized (events) {
                return new ArrayList<>(events);
            }
        }

        void clear() {
            events.clear();
        }
    }
}
