package io.conpool.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.AcquireTimeoutException;
import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.PoolConfig;
import io.conpool.PooledConnection;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.LeakCheck;

/**
 * Waiters give up at their own deadline. Virtual threads (on Java 21+; platform threads on older JVMs, where the
 * same assertions hold) wait without a per-wait timer and are woken by the pool's deadline check, so these cases
 * pin down that check: a short deadline queued behind a long one, a burst of waiters, a second round after the
 * first check found nobody left.
 */
@Timeout(60)
class WaiterDeadlineTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    @Test
    void aShortDeadlineQueuedBehindALongOneStillEndsOnTime() throws Exception {
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            ConnectionPool pool = leaks.track(ConnectionPool.builder()
                    .config(PoolConfig.builder().maxConnectionsPerEndpoint(1).maxIdlePerEndpoint(1).build()));
            PooledConnection held = pool.acquire(ep);
            ExecutorService threads = Executors.newCachedThreadPool(threadFactory());
            try {
                Future<Long> longWaiter = threads.submit(() -> timeToFail(pool, ep, Duration.ofSeconds(4)));
                awaitPending(pool, ep, 1);
                Future<Long> shortWaiter = threads.submit(() -> timeToFail(pool, ep, Duration.ofMillis(300)));
                long shortMs = shortWaiter.get(10, TimeUnit.SECONDS);
                assertThat(shortMs).as("the 300 ms waiter gave up after (ms)").isBetween(290L, 300L * 2 + 500);
                assertThat(longWaiter.isDone()).as("the 4 s waiter still waits").isFalse();
                long longMs = longWaiter.get(10, TimeUnit.SECONDS);
                assertThat(longMs).as("the 4 s waiter gave up after (ms)").isBetween(3_990L, 4_000L * 2 + 500);
            }
            finally {
                threads.shutdownNow();
                threads.awaitTermination(10, TimeUnit.SECONDS);
                held.close();
            }
            assertThat(pool.stats(ep).pending()).isZero();
            assertThat(pool.stats(ep).acquireTimeouts()).isEqualTo(2);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    @Test
    void aBurstOfWaitersAllGiveUpOnTimeAndALaterRoundToo() throws Exception {
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            ConnectionPool pool = leaks.track(ConnectionPool.builder()
                    .config(PoolConfig.builder().maxConnectionsPerEndpoint(1).maxIdlePerEndpoint(1).build()));
            PooledConnection held = pool.acquire(ep);
            ExecutorService threads = Executors.newCachedThreadPool(threadFactory());
            try {
                for (int round = 0; round < 2; round++) {
                    List<Future<Long>> waits = new ArrayList<>();
                    for (int i = 0; i < 50; i++) {
                        Duration timeout = Duration.ofMillis(200 + 10 * (i % 5));
                        waits.add(threads.submit(() -> timeToFail(pool, ep, timeout)));
                    }
                    for (Future<Long> f : waits) {
                        assertThat(f.get(10, TimeUnit.SECONDS)).as("round %d: gave up after (ms)", round)
                                .isBetween(190L, 240L * 2 + 500);
                    }
                    assertThat(pool.stats(ep).pending()).isZero();
                    Thread.sleep(300); // the deadline check ran and found nobody: the next round must schedule anew
                }
            }
            finally {
                threads.shutdownNow();
                threads.awaitTermination(10, TimeUnit.SECONDS);
                held.close();
            }
            assertThat(pool.stats(ep).acquireTimeouts()).isEqualTo(100);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    @Test
    void aWaiterServedBeforeItsDeadlineGetsTheConnection() throws Exception {
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            ConnectionPool pool = leaks.track(ConnectionPool.builder()
                    .config(PoolConfig.builder().maxConnectionsPerEndpoint(1).maxIdlePerEndpoint(1).build()));
            PooledConnection held = pool.acquire(ep);
            ExecutorService threads = Executors.newCachedThreadPool(threadFactory());
            try {
                Future<Boolean> waiter = threads.submit(() -> {
                    try (PooledConnection c = pool.acquire(ep, Duration.ofSeconds(5))) {
                        return c.reused();
                    }
                });
                awaitPending(pool, ep, 1);
                held.close();
                assertThat(waiter.get(10, TimeUnit.SECONDS)).isTrue();
            }
            finally {
                threads.shutdownNow();
                threads.awaitTermination(10, TimeUnit.SECONDS);
            }
            assertThat(pool.stats(ep).acquireTimeouts()).isZero();
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    /** Milliseconds until the acquire failed with {@link AcquireTimeoutException} (anything else fails the test). */
    private static long timeToFail(ConnectionPool pool, Endpoint ep, Duration timeout) {
        long start = System.nanoTime();
        try {
            pool.acquire(ep, timeout).close();
        }
        catch (AcquireTimeoutException expected) {
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        }
        throw new AssertionError("acquired a connection that was held by another caller");
    }

    private static void awaitPending(ConnectionPool pool, Endpoint ep, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (pool.stats(ep).pending() < n) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("never saw " + n + " waiter(s)");
            }
            Thread.sleep(5);
        }
    }

    /** Virtual threads on Java 21+ (the path without per-wait timers), platform threads before. */
    private static ThreadFactory threadFactory() {
        try {
            Method ofVirtual = Thread.class.getMethod("ofVirtual");
            Object builder = ofVirtual.invoke(null);
            Method factory = Class.forName("java.lang.Thread$Builder").getMethod("factory");
            return (ThreadFactory) factory.invoke(builder);
        }
        catch (NoSuchMethodException ex) {
            return Executors.defaultThreadFactory();
        }
        catch (ReflectiveOperationException ex) {
            throw new IllegalStateException("Thread.ofVirtual() exists but could not be used", ex);
        }
    }
}
