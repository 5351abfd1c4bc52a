package io.conpool.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.CloseReason;
import io.conpool.ConnectionPool;
import io.conpool.ConpoolException;
import io.conpool.Endpoint;
import io.conpool.EndpointStats;
import io.conpool.PoolConfig;
import io.conpool.PooledConnection;
import io.conpool.testkit.EchoClient;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.FaultProxy;
import io.conpool.testkit.LatencyHistogram;
import io.conpool.testkit.LeakCheck;

/**
 * A bounded soak: 64 threads on 10 endpoints (max 8 connections each) for {@code conpool.soak.seconds} (default
 * 20), through fault proxies that reset a connection now and then, close connections idle 250 ms (as a server's
 * keep-alive timeout would; the load has a lull every 2 s so that some do sit idle) and delay a few chunks by 20 ms;
 * connections also retire by lifetime and idle time.
 * Every operation writes a unique id and checks that the echo is that id.
 *
 * <p>It proves: {@code started == succeeded + failures} with every failure of a known type, no reply ever
 * mismatched (no connection handed to two callers, no stale bytes), the per-endpoint cap held at every sample, and
 * nothing leaked (stats add up, every permit can be leased again, sockets and threads gone). The figures are
 * printed: run {@code ./mvnw -pl conpool-spring-boot-autoconfigure test -Dtest=SoakTest
 * -Dconpool.soak.seconds=300} for a longer soak.
 */
@Timeout(value = 2, unit = TimeUnit.HOURS) // the real bound is the soak length plus a minute, enforced below
class SoakTest {

    private static final int THREADS = 64;

    private static final int ENDPOINTS = 10;

    private static final int MAX_PER_ENDPOINT = 8;

    /** The proxies close connections idle this long, as a server's keep-alive timeout would. */
    private static final long PROXY_IDLE_TIMEOUT_MILLIS = 250;

    private static final long LULL_EVERY_MILLIS = 2_000;

    /** Longer than the proxies' idle timeout, so that connections left idle during a lull are closed under the pool. */
    private static final long LULL_MILLIS = 600;

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    @Test
    void soakThroughFaultsKeepsEveryPromise() throws Exception {
        int seconds = Integer.getInteger("conpool.soak.seconds", 20);
        assertThat(seconds).as("conpool.soak.seconds").isPositive();
        List<FaultProxy> proxies = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(THREADS + 2);
        try (EchoServer server = EchoServer.start()) {
            List<Endpoint> endpoints = new ArrayList<>();
            for (int i = 0; i < ENDPOINTS; i++) {
                FaultProxy proxy = FaultProxy.to(server.address(), 4 * MAX_PER_ENDPOINT);
                proxies.add(proxy);
                proxy.idleTimeout(Duration.ofMillis(PROXY_IDLE_TIMEOUT_MILLIS))
                        .latency(FaultProxy.Direction.TO_CLIENT, Duration.ofMillis(20)).latencyProbability(0.001);
                endpoints.add(Endpoint.of(proxy.host(), proxy.port()));
            }
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(PoolConfig.builder()
                    .maxConnectionsPerEndpoint(MAX_PER_ENDPOINT).maxIdlePerEndpoint(MAX_PER_ENDPOINT)
                    .acquireTimeout(Duration.ofSeconds(2)).connectionTimeout(Duration.ofSeconds(1)).connectAttempts(2)
                    .connectBackoff(Duration.ofMillis(10)).maxIdleTime(Duration.ofSeconds(2))
                    .maxConnectionLifetime(Duration.ofSeconds(10)).lifetimeJitter(0.1)
                    .validationInterval(Duration.ofMillis(100)).build()));

            Figures figures = new Figures();
            long startNanos = System.nanoTime();
            long deadline = startNanos + TimeUnit.SECONDS.toNanos(seconds);
            AtomicBoolean running = new AtomicBoolean(true);
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int worker = t;
                workers.add(threads.submit(() -> work(pool, endpoints, worker, startNanos, deadline, figures)));
            }
            Future<?> chaos = threads.submit(() -> {
                while (running.get()) {
                    proxies.get(ThreadLocalRandom.current().nextInt(ENDPOINTS)).resetOne();
                    Thread.sleep(200);
                }
                return null;
            });
            Future<?> sampler = threads.submit(() -> {
                while (running.get()) {
                    for (Endpoint ep : endpoints) {
                        figures.sample(pool.stats(ep));
                    }
                    Thread.sleep(10);
                }
                return null;
            });

            long joinBy = deadline + TimeUnit.SECONDS.toNanos(60);
            for (Future<?> w : workers) {
                w.get(Math.max(1, joinBy - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
            double elapsed = (System.nanoTime() - startNanos) / 1e9;
            running.set(false);
            chaos.get(5, TimeUnit.SECONDS);
            sampler.get(5, TimeUnit.SECONDS);
            proxies.forEach(FaultProxy::heal);

            Map<CloseReason, Long> closedByReason = new EnumMap<>(CloseReason.class);
            long created = 0;
            long reused = 0;
            long errors = 0;
            long acquireTimeouts = 0;
            for (Endpoint ep : endpoints) {
                EndpointStats s = pool.stats(ep);
                assertThat(s.active()).as("%s: nothing leased after the run", ep).isZero();
                assertThat(s.pending()).isZero();
                assertThat(s.created() - s.closed()).as("%s: created - closed == idle", ep).isEqualTo(s.idle());
                created += s.created();
                reused += s.reused();
                errors += s.errors();
                acquireTimeouts += s.acquireTimeouts();
                s.closedByReason().forEach((r, n) -> closedByReason.merge(r, n, Long::sum));
            }
            long resets = proxies.stream().mapToLong(FaultProxy::resets).sum();
            long idleCloses = proxies.stream().mapToLong(FaultProxy::idleCloses).sum();
            long delayed = proxies.stream().mapToLong(FaultProxy::delayedChunks).sum();
            figures.print(seconds, elapsed, created, reused, errors, acquireTimeouts, closedByReason, resets,
                    idleCloses, delayed);

            assertThat(figures.mismatches.sum()).as("mismatched replies: %s", figures.mismatchExamples).isZero();
            assertThat(figures.started.sum()).as("started == succeeded + failures")
                    .isEqualTo(figures.succeeded.sum() + figures.failureCount());
            assertThat(figures.failures.keySet()).as("every failure is of a known type")
                    .allMatch(Figures.EXPECTED_FAILURES::contains);
            assertThat(figures.capViolations).as("samples with active + idle > %d: %s", MAX_PER_ENDPOINT,
                    figures.capExamples).hasValue(0);
            assertThat(figures.samples.get()).as("the cap was sampled all along").isGreaterThan(seconds * 10);
            assertThat(figures.succeeded.sum()).as("the soak did real work").isGreaterThan(1_000L * seconds);
            assertThat(resets).as("resets were injected").isPositive();
            assertThat(idleCloses).as("idle connections were closed under the pool").isPositive();
            assertThat(delayed).as("latency was injected").isPositive();
            for (Endpoint ep : endpoints) {
                LeakCheck.assertNoPermitLost(pool, ep);
            }
        }
        finally {
            threads.shutdownNow();
            assertThat(threads.awaitTermination(10, TimeUnit.SECONDS)).as("soak threads stopped").isTrue();
            proxies.forEach(FaultProxy::close);
        }
    }

    /**
     * One caller: random endpoint, acquire, write a unique id, read the echo, compare, return. Three workers in four
     * pause during a lull of {@link #LULL_MILLIS} every {@link #LULL_EVERY_MILLIS}: the load drops, connections sit
     * idle past the proxies' idle timeout and are closed under the pool, which must notice before handing them out.
     */
    private static Void work(ConnectionPool pool, List<Endpoint> endpoints, int worker, long startNanos,
            long deadline, Figures figures) throws InterruptedException {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long seq = 0;
        while (System.nanoTime() - deadline < 0) {
            long intoCycle = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos) % LULL_EVERY_MILLIS;
            if (worker % 4 != 0 && intoCycle >= LULL_EVERY_MILLIS - LULL_MILLIS) {
                Thread.sleep(LULL_EVERY_MILLIS - intoCycle);
                continue;
            }
            Endpoint ep = endpoints.get(random.nextInt(endpoints.size()));
            String id = worker + ":" + seq++;
            figures.started.increment();
            long t0 = System.nanoTime();
            PooledConnection c;
            try {
                c = pool.acquire(ep);
            }
            catch (ConpoolException ex) {
                figures.failed(ex);
                continue;
            }
            figures.acquire.record(System.nanoTime() - t0);
            try {
                c.socket().setSoTimeout(3_000);
                String reply = EchoClient.roundTrip(c, id);
                if (reply.equals(id)) {
                    figures.succeeded.increment();
                    c.close();
                }
                else {
                    figures.mismatch(id, reply);
                    c.invalidate();
                }
            }
            catch (IOException ex) {
                figures.failed(ex);
                c.close(); // returned after an I/O error on purpose: the pool must destroy it, not pool it
            }
            catch (RuntimeException ex) {
                figures.failed(ex);
                c.invalidate();
            }
        }
        return null;
    }

    /** What the soak counts and samples. */
    private static final class Figures {

        /**
         * Failures a caller may legitimately see when the network misbehaves. A channel's write to a reset
         * connection fails with a plain {@code IOException}, told apart by its message.
         */
        static final java.util.Set<String> EXPECTED_FAILURES = java.util.Set.of("SocketException", "EOFException",
                "SocketTimeoutException", "IOException(Broken pipe)", "IOException(Connection reset by peer)",
                "AcquireTimeoutException", "ConnectException", "ConnectTimeoutException", "CircuitOpenException");

        final LongAdder started = new LongAdder();

        final LongAdder succeeded = new LongAdder();

        final LongAdder mismatches = new LongAdder();

        final List<String> mismatchExamples = new CopyOnWriteArrayList<>();

        final Map<String, LongAdder> failures = new ConcurrentHashMap<>();

        final LatencyHistogram acquire = new LatencyHistogram();

        final AtomicInteger samples = new AtomicInteger();

        final AtomicInteger capViolations = new AtomicInteger();

        final List<String> capExamples = new CopyOnWriteArrayList<>();

        int maxOccupancy;

        void failed(Throwable t) {
            String type = t.getClass() == IOException.class ? "IOException(" + t.getMessage() + ")"
                    : t.getClass().getSimpleName();
            failures.computeIfAbsent(type, k -> new LongAdder()).increment();
        }

        long failureCount() {
            return failures.values().stream().mapToLong(LongAdder::sum).sum();
        }

        void mismatch(String sent, String got) {
            mismatches.increment();
            if (mismatchExamples.size() < 10) {
                mismatchExamples.add("sent '" + sent + "', got '" + got + "'");
            }
        }

        void sample(EndpointStats s) {
            samples.incrementAndGet();
            int occupancy = s.active() + s.idle();
            maxOccupancy = Math.max(maxOccupancy, occupancy);
            if (occupancy > MAX_PER_ENDPOINT || s.pending() < 0) {
                capViolations.incrementAndGet();
                if (capExamples.size() < 10) {
                    capExamples.add(s.toString());
                }
            }
        }

        void print(int seconds, double elapsed, long created, long reused, long errors, long acquireTimeouts,
                Map<CloseReason, Long> closedByReason, long resets, long idleCloses, long delayed) {
            Map<String, Long> byType = new TreeMap<>();
            failures.forEach((k, v) -> byType.put(k, v.sum()));
            Map<String, Long> closed = new TreeMap<>();
            closedByReason.forEach((r, n) -> {
                if (n > 0) {
                    closed.put(r.tag(), n);
                }
            });
            StringBuilder out = new StringBuilder();
            out.append(String.format("%n=== conpool soak: %d threads x %d endpoints, max %d per endpoint, %d s "
                    + "(ran %.1f s) ===%n", THREADS, ENDPOINTS, MAX_PER_ENDPOINT, seconds, elapsed));
            out.append(String.format("operations: started %d, succeeded %d (%.0f/s), failed %d, mismatched %d%n",
                    started.sum(), succeeded.sum(), succeeded.sum() / elapsed, failureCount(), mismatches.sum()));
            out.append(String.format("failures by type: %s%n", byType));
            out.append(String.format("acquire: p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms (%d samples)%n",
                    acquire.percentileNanos(50) / 1e6, acquire.percentileNanos(99) / 1e6,
                    acquire.percentileNanos(99.9) / 1e6, acquire.maxNanos() / 1e6, acquire.count()));
            out.append(String.format("connections: created %d, reused %d times, connect errors %d, acquire "
                    + "timeouts %d%n", created, reused, errors, acquireTimeouts));
            out.append(String.format("closed by reason: %s%n", closed));
            out.append(String.format("faults injected: %d resets, %d idle closes by the server side, %d chunks "
                    + "delayed 20 ms%n", resets, idleCloses, delayed));
            out.append(String.format("cap: %d samples, max active+idle %d (limit %d), violations %d%n",
                    samples.get(), maxOccupancy, MAX_PER_ENDPOINT, capViolations.get()));
            System.out.print(out);
        }
    }
}
