package io.conpool.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.AcquireInterruptedException;
import io.conpool.AcquireTimeoutException;
import io.conpool.CircuitOpenException;
import io.conpool.ConnectException;
import io.conpool.ConnectTimeoutException;
import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.EndpointStats;
import io.conpool.PoolConfig;
import io.conpool.PooledConnection;
import io.conpool.testkit.Await;
import io.conpool.testkit.ConnectTimeoutTarget;
import io.conpool.testkit.EchoClient;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.OpenSockets;

/**
 * Scenarios 1-3 of the reliability suite: callers waiting on an exhausted endpoint, interrupted waiters, and
 * waiters behind a connection that can never be opened.
 */
@Timeout(30)
class WaitingScenariosTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    /** Scenario 1. */
    @Test
    void exhaustedEndpointTimesOutCloseToTheConfiguredTimeAndOpensNoSocket() throws Exception {
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(PoolConfig.builder()
                    .maxConnectionsPerEndpoint(2).maxIdlePerEndpoint(2).acquireTimeout(Duration.ofMillis(400)).build()));
            PooledConnection a = pool.acquire(ep);
            PooledConnection b = pool.acquire(ep);
            server.awaitAccepted(2, Duration.ofSeconds(5)); // the server's side of b is a socket of this process too
            int sockets = OpenSockets.count();
            int accepted = server.accepted();

            long t0 = System.nanoTime();
            assertThatThrownBy(() -> pool.acquire(ep)).isInstanceOf(AcquireTimeoutException.class)
                    .hasMessageContaining(ep.toString());
            long waited = Await.millisSince(t0);

            assertThat(waited).as("waited close to acquireTimeout (400 ms)").isBetween(390L, 400L * 2 + 500);
            assertThat(OpenSockets.count()).as("no socket opened").isEqualTo(sockets);
            assertThat(server.accepted()).isEqualTo(accepted);
            EndpointStats s = pool.stats(ep);
            assertThat(s.acquireTimeouts()).isEqualTo(1);
            assertThat(s.pending()).isZero();
            assertThat(s.active()).isEqualTo(2);
            assertThat(s.created()).isEqualTo(2);
            a.close();
            b.close();
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    /** Scenario 2. */
    @Test
    void interruptedWaiterGetsTypedExceptionWithFlagSetAndTheNextWaiterIsServed() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(PoolConfig.builder()
                    .maxConnectionsPerEndpoint(1).maxIdlePerEndpoint(1).acquireTimeout(Duration.ofSeconds(10)).build()));
            PooledConnection held = pool.acquire(ep);
            Socket heldSocket = held.socket();

            AtomicReference<Thread> first = new AtomicReference<>();
            AtomicBoolean flagAfterCatch = new AtomicBoolean();
            Future<Throwable> interrupted = threads.submit(() -> {
                first.set(Thread.currentThread());
                try (PooledConnection c = pool.acquire(ep)) {
                    return null;
                }
                catch (Throwable t) {
                    flagAfterCatch.set(Thread.interrupted()); // read and clear, so the worker can be reused
                    return t;
                }
            });
            Await.pending(pool, ep, 1);
            Future<Socket> second = threads.submit(() -> {
                try (PooledConnection c = pool.acquire(ep)) {
                    EchoClient.roundTrip(c, "second");
                    return c.socket();
                }
            });
            Await.pending(pool, ep, 2);

            first.get().interrupt();
            Throwable t = interrupted.get(5, TimeUnit.SECONDS);
            assertThat(t).isInstanceOf(AcquireInterruptedException.class).hasMessageContaining(ep.toString());
            assertThat(flagAfterCatch).as("interrupt flag restored").isTrue();
            assertThat(pool.stats(ep).pending()).isEqualTo(1);
            assertThat(second).isNotDone();

            held.close();
            assertThat(second.get(5, TimeUnit.SECONDS)).as("the next waiter got the returned connection")
                    .isSameAs(heldSocket);
            assertThat(pool.stats(ep).created()).isEqualTo(1);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
        finally {
            Await.shutdown(threads);
        }
    }

    /** Scenario 3, breaker off: each waiter in turn gets the slot, tries, and fails with the connect error. */
    @Test
    void waitersBehindAConnectionThatCannotBeOpenedEachFailWithTheCauseBeforeTheirTimeout() throws Exception {
        int callers = 4;
        ExecutorService threads = Executors.newFixedThreadPool(callers);
        try (ConnectTimeoutTarget target = ConnectTimeoutTarget.open()) {
            Endpoint ep = Endpoint.of(target.host(), target.port());
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(PoolConfig.builder()
                    .maxConnectionsPerEndpoint(1).maxIdlePerEndpoint(1).connectionTimeout(Duration.ofMillis(250))
                    .connectAttempts(1).acquireTimeout(Duration.ofSeconds(5)).circuitBreakerEnabled(false).build()));
            int sockets = OpenSockets.count();
            AtomicInteger maxPending = new AtomicInteger();
            List<Future<Throwable>> results = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < callers; i++) {
                results.add(threads.submit(() -> Await.failureOf(() -> pool.acquire(ep).close())));
            }
            while (!results.stream().allMatch(Future::isDone)) {
                maxPending.accumulateAndGet(pool.stats(ep).pending(), Math::max);
                Thread.sleep(5);
            }
            long took = Await.millisSince(t0);
            for (Future<Throwable> f : results) {
                assertThat(f.get()).isInstanceOf(ConnectTimeoutException.class).hasMessageContaining(ep.toString());
                assertThat(f.get().getCause()).isInstanceOf(java.net.SocketTimeoutException.class);
            }
            assertThat(maxPending.get()).as("callers really waited for the single slot").isGreaterThanOrEqualTo(1);
            assertThat(took).as("one 250 ms connect after another, far from the 5 s acquire timeout")
                    .isLessThan(callers * 250L * 2 + 500);
            assertThat(pool.stats(ep).errors()).isEqualTo(callers);
            assertThat(pool.stats(ep).acquireTimeouts()).isZero();
            Await.sockets(sockets);
        }
        finally {
            Await.shutdown(threads);
        }
    }

    /** Scenario 3, breaker on: when it opens, every waiter fails at once with the breaker's error and its cause. */
    @Test
    void waitersAreReleasedAtOnceWhenTheBreakerOpens() throws Exception {
        int callers = 6;
        ExecutorService threads = Executors.newFixedThreadPool(callers);
        try (ConnectTimeoutTarget target = ConnectTimeoutTarget.open()) {
            Endpoint ep = Endpoint.of(target.host(), target.port());
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(PoolConfig.builder()
                    .maxConnectionsPerEndpoint(1).maxIdlePerEndpoint(1).connectionTimeout(Duration.ofMillis(250))
                    .connectAttempts(1).acquireTimeout(Duration.ofSeconds(10)).circuitBreakerFailureThreshold(2)
                    .circuitBreakerOpenDuration(Duration.ofSeconds(30))
                    .circuitBreakerMaxOpenDuration(Duration.ofSeconds(30)).build()));
            List<Future<Throwable>> results = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < callers; i++) {
                results.add(threads.submit(() -> Await.failureOf(() -> pool.acquire(ep).close())));
            }
            int connectFailures = 0;
            int openFailures = 0;
            for (Future<Throwable> f : results) {
                Throwable t = f.get(10, TimeUnit.SECONDS);
                if (t instanceof CircuitOpenException) {
                    openFailures++;
                    assertThat(t.getCause()).as("the breaker's error carries the last connect failure")
                            .isInstanceOf(ConnectTimeoutException.class);
                }
                else {
                    assertThat(t).isInstanceOf(ConnectTimeoutException.class);
                    connectFailures++;
                }
            }
            assertThat(connectFailures).as("exactly the threshold's connects were tried").isEqualTo(2);
            assertThat(openFailures).isEqualTo(callers - 2);
            assertThat(Await.millisSince(t0)).isLessThan(2 * 250L * 2 + 500);
            assertThat(pool.stats(ep).pending()).isZero();
        }
        finally {
            Await.shutdown(threads);
        }
    }
}
