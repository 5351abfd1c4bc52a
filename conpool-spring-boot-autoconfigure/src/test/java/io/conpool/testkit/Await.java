package io.conpool.testkit;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.conpool.ConnectionPool;
import io.conpool.Endpoint;

/** Small waiting and timing helpers shared by the reliability and resilience tests. */
public final class Await {

    /** How long a condition that should hold "soon" may take on a loaded 2-core machine. */
    public static final Duration DEFAULT = Duration.ofSeconds(5);

    private Await() {
    }

    /** Polls every 2 ms until the condition holds; fails naming {@code what} after {@link #DEFAULT}. */
    public static void until(BooleanSupplier condition, String what) {
        until(condition, DEFAULT, what);
    }

    public static void until(BooleanSupplier condition, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what);
            }
            sleep(2);
        }
    }

    /** Until exactly {@code n} callers wait on the endpoint. */
    public static void pending(ConnectionPool pool, Endpoint endpoint, int n) {
        until(() -> pool.stats(endpoint).pending() == n,
                () -> n + " pending acquires; stats " + pool.stats(endpoint));
    }

    /** Until the process has exactly {@code n} open sockets (closing is not always synchronous with the pool). */
    public static void sockets(int n) {
        until(() -> OpenSockets.count() == n, () -> n + " open sockets, have " + OpenSockets.count());
    }

    /** Milliseconds since {@code startNanos} ({@link System#nanoTime()}). */
    public static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    /** Runs {@code r} and returns what it threw, or {@code null}. */
    public static Throwable failureOf(ThrowingRunnable r) {
        try {
            r.run();
            return null;
        }
        catch (Throwable t) {
            return t;
        }
    }

    /** Stops test threads; fails if they do not stop within 5 s. */
    public static void shutdown(ExecutorService threads) {
        threads.shutdownNow();
        try {
            if (!threads.awaitTermination(5, TimeUnit.SECONDS)) {
                throw new AssertionError("test threads did not stop within 5 s");
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while stopping test threads", ex);
        }
    }

    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", ex);
        }
    }

    /** Code that may throw anything. */
    @FunctionalInterface
    public interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static void until(BooleanSupplier condition, java.util.function.Supplier<String> what) {
        long deadline = System.nanoTime() + DEFAULT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + DEFAULT.toMillis() + " ms waiting for " + what.get());
            }
            sleep(2);
        }
    }
}
