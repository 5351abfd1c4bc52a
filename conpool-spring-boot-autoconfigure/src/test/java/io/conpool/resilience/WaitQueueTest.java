package io.conpool.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.AcquireInterruptedException;
import io.conpool.AcquireTimeoutException;
import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.EndpointStats;
import io.conpool.PendingAcquiresExceededException;
import io.conpool.PoolConfig;
import io.conpool.PooledConnection;
import io.conpool.testkit.Await;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.OpenSockets;

/**
 * Bounded and fair waiting: {@code maxPendingAcquires} turns callers away at once; waiters are served first come,
 * first served; the pending count is exact, also under churn with timeouts and interrupts.
 */
@Timeout(60)
class WaitQueueTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private static PoolConfig.Builder max(int n) {
        return PoolConfig.builder().maxConnectionsPerEndpoint(n).maxIdlePerEndpoint(n)
                .acquireTimeout(Duration.ofSeconds(10));
    }

    @Test
    void pendingBoundRejectsAtOnceWithATypedError() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(max(1).maxPendingAcquires(2).build()));
            PooledConnection held = pool.acquire(ep);
            List<Future<Throwable>> waiters = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                waiters.add(threads.submit(() -> Await.failureOf(() -> pool.acquire(ep).close())));
                Await.pending(pool, ep, i + 1);
            }
            int sockets = OpenSockets.count();

            long t0 = System.nanoTime();
            Throwable t = Await.failureOf(() -> pool.acquire(ep).close());
            assertThat(Await.millisSince(t0)).as("at once, not after the 10 s acquire timeout").isLessThan(500);
            assertThat(t).isInstanceOf(PendingAcquiresExceededException.class).hasMessageContaining(ep.toString())
                    .hasMessageContaining("2");
            assertThat(((PendingAcquiresExceededException) t).maxPendingAcquires()).isEqualTo(2);
            assertThat(OpenSockets.count()).isEqualTo(sockets);
            EndpointStats s = pool.stats(ep);
            assertThat(s.rejected()).isEqualTo(1);
            assertThat(s.pending()).as("the rejected caller took no place in the queue").isEqualTo(2);

            held.close();
            for (Future<Throwable> w : waiters) {
                assertThat(w.get(5, TimeUnit.SECONDS)).as("queued callers are still served").isNull();
            }
            LeakCheck.assertNoPermitLost(pool, ep);
        }
        finally {
            Await.shutdown(threads);
        }
    }

    @Test
    void zeroPendingAcquiresMeansNeverWait() throws Exception {
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(max(1).maxPendingAcquires(0).build()));
            try (PooledConnection held = pool.acquire(ep)) {
                assertThatThrownBy(() -> pool.acquire(ep)).isInstanceOf(PendingAcquiresExceededException.class);
            }
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    /** Ten callers start waiting one after another on an exhausted endpoint; they are served in that order. */
    @Test
    void waitersAreServedFirstComeFirstServed() throws Exception {
        int n = 10;
        ExecutorService threads = Executors.newFixedThreadPool(n);
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(max(1).build()));
            PooledConnection held = pool.acquire(ep);
            List<Integer> served = new CopyOnWriteArrayList<>();
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int id = i;
                done.add(threads.submit(() -> {
                    try (PooledConnection c = pool.acquire(ep)) {
                        served.add(id);
                        Thread.sleep(2);
                    }
                    return null;
                }));
                Await.pending(pool, ep, i + 1); // caller i is queued before caller i+1 arrives
            }
            held.close();
            for (Future<?> f : done) {
                f.get(10, TimeUnit.SECONDS);
            }
            assertThat(served).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
            assertThat(pool.stats(ep).created()).as("one connection passed from waiter to waiter").isEqualTo(1);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
        finally {
            Await.shutdown(threads);
        }
    }

    /**
     * Many callers share few connections for a while: with a first-come-first-served queue every caller is served
     * round after round (no starvation, similar counts). Virtual threads when the JVM has them (Java 21+), platform
     * threads otherwise; the test does the same work either way.
     */
    @Test
    void manyCallersOnFewConnectionsAreAllServedWithoutStarvation() throws Exception {
        boolean virtual = virtualThreadFactory() != null;
        int callers = virtual ? 1_000 : 200;
        int connections = 4;
        ThreadFactory factory = virtual ? virtualThreadFactory() : Executors.defaultThreadFactory();
        ExecutorService threads = Executors.newFixedThreadPool(callers, factory);
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(max(connections)
                    .acquireTimeout(Duration.ofSeconds(20)).build()));
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2_000);
            AtomicLong[] counts = new AtomicLong[callers];
            LongAccumulator maxWaitNanos = new LongAccumulator(Math::max, 0);
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                AtomicLong count = counts[i] = new AtomicLong();
                done.add(threads.submit(() -> {
                    while (System.nanoTime() - deadline < 0) {
                        long t0 = System.nanoTime();
                        try (PooledConnection c = pool.acquire(ep)) {
                            maxWaitNanos.accumulate(System.nanoTime() - t0);
                            count.incrementAndGet();
                            Thread.sleep(1);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS); // an AcquireTimeoutException would surface here
            }
            long min = Long.MAX_VALUE;
            long total = 0;
            for (AtomicLong c : counts) {
                min = Math.min(min, c.get());
                total += c.get();
            }
            double mean = (double) total / callers;
            System.out.printf("fair queue: %d %s threads on %d connections for 2 s: %d leases, per caller min %d, "
                    + "mean %.1f; longest wait %d ms%n", callers, virtual ? "virtual" : "platform", connections, total,
                    min, mean, TimeUnit.NANOSECONDS.toMillis(maxWaitNanos.get()));
            assertThat(min).as("every caller was served (%s threads, mean %.1f leases each)",
                    virtual ? "virtual" : "platform", mean).isGreaterThanOrEqualTo(1);
            assertThat((double) min).as("no caller starved: fewest leases vs mean %.1f", mean)
                    .isGreaterThanOrEqualTo(mean / 4);
            assertThat(maxWaitNanos.get()).as("longest wait").isLessThan(TimeUnit.SECONDS.toNanos(10));
            assertThat(pool.stats(ep).acquireTimeouts()).isZero();
            assertThat(pool.stats(ep).created()).isLessThanOrEqualTo(connections);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
        finally {
            Await.shutdown(threads);
        }
    }

    @Test
    void pendingCountIsExactWhenCallersAreParked() throws Exception {
        int waiting = 20;
        ExecutorService threads = Executors.newFixedThreadPool(waiting);
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(max(4).build()));
            List<PooledConnection> held = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                held.add(pool.acquire(ep));
            }
            List<Thread> parked = new CopyOnWriteArrayList<>();
            List<Future<Throwable>> done = new ArrayList<>();
            for (int i = 0; i < waiting; i++) {
                done.add(threads.submit(() -> {
                    parked.add(Thread.currentThread());
                    return Await.failureOf(() -> pool.acquire(ep).close());
                }));
            }
            // Judge "waiting" from the threads themselves (parked inside acquire), not from the pool's own count.
            Await.until(() -> parked.size() == waiting && parked.stream().allMatch(
                    t -> t.getState() == Thread.State.TIMED_WAITING && inAcquire(t)), "all callers to park in acquire");
            for (int i = 0; i < 20; i++) {
                assertThat(pool.stats(ep).pending()).isEqualTo(waiting);
                Thread.sleep(2);
            }
            held.forEach(PooledConnection::close);
            for (Future<Throwable> f : done) {
                assertThat(f.get(10, TimeUnit.SECONDS)).isNull();
            }
            assertThat(pool.stats(ep).pending()).isZero();
            LeakCheck.assertNoPermitLost(pool, ep);
        }
        finally {
            Await.shutdown(threads);
        }
    }

    /**
     * Churn: 32 callers on 3 connections with short acquire timeouts, random hold times, and a thread interrupting
     * callers at random. Sampled all along: pending never negative nor above the callers, active never above the
     * limit. At the end: nothing pending or leased, and the pool counted exactly the timeouts callers saw.
     */
    @Test
    void pendingCountStaysExactUnderChurnWithTimeoutsAndInterrupts() throws Exception {
        int callers = 32;
        int max = 3;
        ExecutorService threads = Executors.newFixedThreadPool(callers + 1);
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(max(max).build()));
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1_500);
            AtomicInteger timeouts = new AtomicInteger();
            AtomicInteger interrupts = new AtomicInteger();
            AtomicInteger leases = new AtomicInteger();
            List<Thread> workers = new CopyOnWriteArrayList<>();
            ConcurrentHashMap<String, AtomicInteger> unexpected = new ConcurrentHashMap<>();
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                done.add(threads.submit(() -> {
                    workers.add(Thread.currentThread());
                    ThreadLocalRandom r = ThreadLocalRandom.current();
                    while (System.nanoTime() - deadline < 0) {
                        try (PooledConnection c = pool.acquire(ep, Duration.ofMillis(1 + r.nextInt(20)))) {
                            leases.incrementAndGet();
                            busyFor(r.nextInt(500_000));
                        }
                        catch (AcquireTimeoutException ex) {
                            timeouts.incrementAndGet();
                        }
                        catch (AcquireInterruptedException ex) {
                            interrupts.incrementAndGet();
                            Thread.interrupted();
                        }
                        catch (RuntimeException ex) {
                            unexpected.computeIfAbsent(ex.getClass().getSimpleName(), k -> new AtomicInteger())
                                    .incrementAndGet();
                        }
                    }
                    Thread.interrupted();
                    return null;
                }));
            }
            Future<?> interrupter = threads.submit(() -> {
                while (System.nanoTime() - deadline < 0) {
                    if (!workers.isEmpty()) {
                        workers.get(ThreadLocalRandom.current().nextInt(workers.size())).interrupt();
                    }
                    Thread.sleep(3);
                }
                return null;
            });
            int maxPending = 0;
            while (System.nanoTime() - deadline < 0) {
                EndpointStats s = pool.stats(ep);
                assertThat(s.pending()).isBetween(0, callers);
                assertThat(s.active()).isBetween(0, max);
                assertThat(s.active() + s.idle()).isLessThanOrEqualTo(max);
                maxPending = Math.max(maxPending, s.pending());
                Thread.sleep(1);
            }
            interrupter.get(5, TimeUnit.SECONDS);
            for (Future<?> f : done) {
                f.get(10, TimeUnit.SECONDS);
            }
            EndpointStats s = pool.stats(ep);
            assertThat(unexpected).isEmpty();
            assertThat(s.pending()).isZero();
            assertThat(s.active()).isZero();
            assertThat(maxPending).as("callers really queued").isGreaterThan(max);
            assertThat(timeouts.get()).as("some timeouts happened").isPositive();
            assertThat(s.acquireTimeouts()).as("the pool counted exactly the timeouts callers saw")
                    .isEqualTo(timeouts.get());
            assertThat(leases.get()).isPositive();
            // Callers' short deadlines say nothing about the endpoint: no connect error, the breaker stays closed.
            assertThat(s.errors()).isZero();
            assertThat(s.circuitState()).isEqualTo(io.conpool.CircuitState.CLOSED);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
        finally {
            Await.shutdown(threads);
        }
    }

    private static boolean inAcquire(Thread t) {
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getMethodName().equals("acquire") && e.getClassName().startsWith("io.conpool.internal.")) {
                return true;
            }
        }
        return false;
    }

    private static void busyFor(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() - end < 0) {
            Thread.onSpinWait();
        }
    }

    /** {@code Thread.ofVirtual().factory()} on Java 21+, else {@code null} (this suite compiles for Java 17). */
    private static ThreadFactory virtualThreadFactory() {
        try {
            Method ofVirtual = Thread.class.getMethod("ofVirtual");
            Object builder = ofVirtual.invoke(null);
            // Through the public interface Thread.Builder: the implementing class is not accessible.
            Method factory = Class.forName("java.lang.Thread$Builder").getMethod("factory");
            return (ThreadFactory) factory.invoke(builder);
        }
        catch (NoSuchMethodException ex) {
            return null;
        }
        catch (ReflectiveOperationException ex) {
            throw new IllegalStateException("Thread.ofVirtual() exists but could not be used", ex);
        }
    }
}
