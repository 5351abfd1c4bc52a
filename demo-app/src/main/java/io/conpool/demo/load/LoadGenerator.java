package io.conpool.demo.load;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.PooledConnection;
import io.conpool.demo.resp.RespClient;
import io.conpool.demo.resp.RespReply;
import io.conpool.demo.resp.UnexpectedReplyException;

/**
 * Puts load on one endpoint through the pool: {@code concurrency} workers share {@code count} operations, each
 * operation a {@code SET} then a {@code GET} of a key of its worker's own (so the value read back can be checked),
 * optionally holding the connection a while to simulate work, all inside {@link ConnectionPool#withConnection}.
 *
 * <p>Workers run on a thread pool bounded by {@code demo.load.max-concurrency}; one run at a time (a second one is
 * refused with {@link LoadAlreadyRunningException}); a run stops starting operations at {@code demo.load.max-duration}.
 */
public final class LoadGenerator implements AutoCloseable {

    /** Keys per worker: SETs overwrite them in turn, so a run leaves at most concurrency x this many keys. */
    static final int KEYS_PER_WORKER = 50;

    private final ConnectionPool pool;

    private final LoadProperties limits;

    private final ThreadPoolExecutor workers;

    private final String prefix;

    private static final AtomicInteger generatorNumber = new AtomicInteger();

    private final Semaphore oneRunAtATime = new Semaphore(1);

    public LoadGenerator(ConnectionPool pool, LoadProperties limits) {
        limits.validate();
        this.pool = pool;
        this.limits = limits;
        AtomicInteger threadNumber = new AtomicInteger();
        this.prefix = "demo-load-" + generatorNumber.incrementAndGet() + "-";
        this.workers = new ThreadPoolExecutor(limits.getMaxConcurrency(), limits.getMaxConcurrency(), 30,
                TimeUnit.SECONDS, new LinkedBlockingQueue<>(), runnable -> {
                    Thread thread = new Thread(runnable, prefix + threadNumber.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        // Threads exist only while a run needs them.
        this.workers.allowCoreThreadTimeOut(true);
    }

    /** Prefix of this generator's thread names ({@code demo-load-<n>-}). */
    public String threadNamePrefix() {
        return prefix;
    }

    /** The bounds requests are checked against. */
    public LoadProperties limits() {
        return limits;
    }

    /**
     * Runs the load and waits for it to finish.
     *
     * @param name the endpoint's name (for the summary)
     * @param endpoint the endpoint
     * @param concurrency workers, 1 to {@code demo.load.max-concurrency}
     * @param count operations, 1 to {@code demo.load.max-count}
     * @param hold how long each operation holds its connection, 0 to {@code demo.load.max-hold}
     * @throws IllegalArgumentException a value out of bounds (callers check first, naming their parameter)
     * @throws LoadAlreadyRunningException another run is in progress
     */
    public LoadSummary run(String name, Endpoint endpoint, int concurrency, int count, Duration hold) {
        if (concurrency < 1 || concurrency > limits.getMaxConcurrency()) {
            throw new IllegalArgumentException("concurrency must be 1-" + limits.getMaxConcurrency() + ", was " + concurrency);
        }
        if (count < 1 || count > limits.getMaxCount()) {
            throw new IllegalArgumentException("count must be 1-" + limits.getMaxCount() + ", was " + count);
        }
        if (hold.isNegative() || hold.compareTo(limits.getMaxHold()) > 0) {
            throw new IllegalArgumentException("hold must be 0-" + limits.getMaxHold() + ", was " + hold);
        }
        if (!oneRunAtATime.tryAcquire()) {
            throw new LoadAlreadyRunningException();
        }
        try {
            return new Run(name, endpoint, concurrency, count, hold.toMillis()).execute();
        }
        finally {
            oneRunAtATime.release();
        }
    }

    /** Stops the worker threads (a run in progress is interrupted). */
    @Override
    public void close() {
        workers.shutdownNow();
        try {
            workers.awaitTermination(10, TimeUnit.SECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    /** One run's shared state. */
    private final class Run {

        private final String name;

        private final Endpoint endpoint;

        private final int concurrency;

        private final int count;

        private final long holdMillis;

        private final AtomicInteger nextOperation = new AtomicInteger();

        private final AtomicInteger attempted = new AtomicInteger();

        private final AtomicInteger succeeded = new AtomicInteger();

        private final long[] acquireNanos;

        private final long[] operationNanos;

        private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();

        private final AtomicReference<String> firstFailure = new AtomicReference<>();

        private final AtomicBoolean stoppedAtDeadline = new AtomicBoolean();

        private long deadline;

        Run(String name, Endpoint endpoint, int concurrency, int count, long holdMillis) {
            this.name = name;
            this.endpoint = endpoint;
            this.concurrency = concurrency;
            this.count = count;
            this.holdMillis = holdMillis;
            this.acquireNanos = new long[count];
            this.operationNanos = new long[count];
        }

        LoadSummary execute() {
            long start = System.nanoTime();
            deadline = start + limits.getMaxDuration().toNanos();
            List<Future<?>> futures = new ArrayList<>(concurrency);
            for (int w = 0; w < concurrency; w++) {
                int worker = w;
                futures.add(workers.submit(() -> work(worker)));
            }
            // A worker past the deadline may still be in one acquire (bounded by the acquire timeout) and one hold.
            long waitLimit = deadline + pool.config(endpoint).acquireTimeout().toNanos()
                    + TimeUnit.MILLISECONDS.toNanos(holdMillis) + TimeUnit.SECONDS.toNanos(10);
            try {
                for (Future<?> future : futures) {
                    future.get(Math.max(0, waitLimit - System.nanoTime()), TimeUnit.NANOSECONDS);
                }
            }
            catch (InterruptedException ex) {
                futures.forEach(f -> f.cancel(true));
                Thread.currentThread().interrupt();
                fail(ex);
            }
            catch (TimeoutException ex) {
                futures.forEach(f -> f.cancel(true));
                fail(new TimeoutException("workers still running " + (waitLimit - start) / 1_000_000 + " ms after start"));
            }
            catch (ExecutionException ex) {
                futures.forEach(f -> f.cancel(true));
                fail(ex.getCause());
            }
            long elapsed = System.nanoTime() - start;
            int ok = Math.min(succeeded.get(), count);
            Map<String, Long> failureCounts = new TreeMap<>();
            failures.forEach((type, n) -> failureCounts.put(type, n.sum()));
            int failed = (int) failureCounts.values().stream().mapToLong(Long::longValue).sum();
            double seconds = elapsed / 1e9;
            return new LoadSummary(name, concurrency, count, attempted.get(), ok, failed, failureCounts,
                    firstFailure.get(), holdMillis, TimeUnit.NANOSECONDS.toMillis(elapsed),
                    seconds > 0 ? Math.round(ok / seconds * 10) / 10.0 : 0,
                    LatencySummary.ofNanos(acquireNanos, ok), LatencySummary.ofNanos(operationNanos, ok),
                    stoppedAtDeadline.get());
        }

        private void work(int worker) {
            int sequence = 0;
            while (!Thread.currentThread().isInterrupted()) {
                if (System.nanoTime() - deadline > 0) {
                    stoppedAtDeadline.set(nextOperation.get() < count);
                    return;
                }
                int operation = nextOperation.getAndIncrement();
                if (operation >= count) {
                    return;
                }
                attempted.incrementAndGet();
                String key = "load:" + worker + ":" + (sequence++ % KEYS_PER_WORKER);
                String value = "value-" + operation;
                long start = System.nanoTime();
                try {
                    long acquired = pool.withConnection(endpoint, connection -> setThenGet(connection, key, value));
                    long end = System.nanoTime();
                    int slot = succeeded.getAndIncrement();
                    acquireNanos[slot] = acquired - start;
                    operationNanos[slot] = end - start;
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    fail(ex);
                }
                catch (Exception ex) {
                    fail(ex);
                }
            }
        }

        /** Returns the time the connection was in hand. Throwing destroys the connection (withConnection's rule). */
        private long setThenGet(PooledConnection connection, String key, String value) throws Exception {
            long acquired = System.nanoTime();
            RespClient.send(connection.out(), "SET", key, value);
            RespReply stored = RespClient.read(connection.in());
            if (!(stored instanceof RespReply.Simple simple) || !"OK".equals(simple.text())) {
                throw new UnexpectedReplyException("SET", stored);
            }
            RespClient.send(connection.out(), "GET", key);
            RespReply read = RespClient.read(connection.in());
            if (!(read instanceof RespReply.Bulk bulk) || !value.equals(bulk.text())) {
                throw new UnexpectedReplyException("GET " + key, "expected '" + value + "', got " + read);
            }
            if (holdMillis > 0) {
                Thread.sleep(holdMillis);
            }
            return acquired;
        }

        private void fail(Throwable ex) {
            failures.computeIfAbsent(ex.getClass().getSimpleName(), type -> new LongAdder()).increment();
            firstFailure.compareAndSet(null, ex.getClass().getSimpleName() + ": " + ex.getMessage());
        }
    }
}
