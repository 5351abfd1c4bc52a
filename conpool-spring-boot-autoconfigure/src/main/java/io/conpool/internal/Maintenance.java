package io.conpool.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.conpool.CircuitOpenException;

/**
 * The pool's two background threads. The <em>sweeper</em> runs every validation interval (or health check interval,
 * if shorter) and only does quick, non-blocking work: it has commons-pool2 examine every idle connection of every
 * endpoint (expiry, liveness, surplus, through {@link SweepPolicy}), reports leaks, forgets unused endpoints. Anything
 * that may block (opening connections for min idle, refreshing DNS, background health checks) goes
 * to the <em>worker</em>, so a dead endpoint's connect timeouts never delay another endpoint's eviction. The worker
 * thread exists only while it has work. Both stop in {@link #stop()}.
 */
final class Maintenance {

    private static final Logger log = LoggerFactory.getLogger(Maintenance.class);

    private static final AtomicInteger POOLS = new AtomicInteger();

    private static final long MAX_WARM_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final DefaultConnectionPool pool;

    private final Duration interval;

    private final ScheduledThreadPoolExecutor sweeper;

    private final ThreadPoolExecutor worker;

    private final Set<String> dnsRefreshing = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private volatile long lastSweepNanos;

    Maintenance(String poolName, DefaultConnectionPool pool, Duration interval) {
        this.pool = pool;
        this.interval = interval;
        int id = POOLS.incrementAndGet();
        this.sweeper = new ScheduledThreadPoolExecutor(1, r -> daemon(r, poolName + "-sweeper-" + id));
        this.sweeper.setRemoveOnCancelPolicy(true);
        this.sweeper.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.worker = new ThreadPoolExecutor(1, 1, 5, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                r -> daemon(r, poolName + "-worker-" + id));
        this.worker.allowCoreThreadTimeOut(true);
    }

    void start() {
        // Endpoints known at start-up (the named ones) get their min idle opened now, on the worker; the first sweep
        // comes one interval later. (A sweep at start would have nothing to examine, and would race the first leases.)
        long now = pool.ticker().nanoTime();
        for (EndpointPool p : pool.endpointPools()) {
            if (p.config.minIdlePerEndpoint() > 0) {
                scheduleWarm(p, now);
            }
        }
        sweeper.scheduleWithFixedDelay(this::sweepSafely, interval.toNanos(), interval.toNanos(), TimeUnit.NANOSECONDS);
    }

    void stop() {
        sweeper.shutdownNow();
        worker.shutdownNow();
        try {
            if (!sweeper.awaitTermination(5, TimeUnit.SECONDS) || !worker.awaitTermination(5, TimeUnit.SECONDS)) {
                log.warn("conpool maintenance threads did not stop within 5 s");
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs a quick, non-blocking task on the sweeper thread after {@code delayNanos} (nothing after stop). */
    void schedule(Runnable task, long delayNanos) {
        try {
            sweeper.schedule(() -> {
                try {
                    task.run();
                }
                catch (RuntimeException ex) {
                    log.error("conpool maintenance task failed", ex);
                }
            }, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
        }
        catch (RejectedExecutionException ex) {
            // stopped: the pool is closed and its waiters were failed
        }
    }

    /** Nanos the last sweep took (for benchmarks and tests). */
    long lastSweepNanos() {
        return lastSweepNanos;
    }

    private void sweepSafely() {
        try {
            sweep();
        }
        catch (Throwable t) {
            log.error("conpool sweep failed; will try again in {} ms", interval.toMillis(), t);
        }
    }

    /**
     * One pass: marks the endpoints whose validation interval has passed, has commons-pool2 show every idle
     * connection to the {@link SweepPolicy} (full rules for the marked endpoints), then for each marked endpoint
     * reports leaks, tops up min idle, forgets it if unused, and refreshes its DNS answer if expired.
     */
    void sweep() {
        long started = System.nanoTime();
        long now = pool.ticker().nanoTime();
        List<EndpointPool> due = new ArrayList<>();
        for (EndpointPool p : pool.endpointPools()) {
            if (now - p.lastSweepNanos < p.config.validationInterval().toNanos() && p.lastSweepNanos != 0) {
                continue;
            }
            p.lastSweepNanos = now;
            p.sweeping = true;
            due.add(p);
        }
        try {
            pool.examineIdle();
        }
        finally {
            for (EndpointPool p : due) {
                p.sweeping = false;
            }
        }
        for (EndpointPool p : pool.endpointPools()) {
            if (p.checksInBackground() && !p.healthCheckInFlight
                    && now - p.lastHealthCheckNanos >= p.rules.healthCheckIntervalNanos) {
                p.lastHealthCheckNanos = now;
                scheduleHealthCheck(p);
            }
        }
        Set<String> hosts = new HashSet<>();
        for (EndpointPool p : due) {
            p.reportLeaks(now);
            p.circuitState(); // an open period that is over shows as half-open to every observer from now
            if (p.idleDeficit() > 0) {
                scheduleWarm(p, now);
            }
            if (p.retireIfUnused(now)) {
                pool.remove(p);
                continue;
            }
            // Only expired names go to the worker: a fresh one needs no lookup, and no worker thread to be woken.
            if (!p.endpoint.isIpLiteral() && pool.dns().isExpired(p.endpoint.host(), now)) {
                hosts.add(p.endpoint.host());
            }
        }
        for (String host : hosts) {
            if (dnsRefreshing.add(host)) {
                submit(() -> {
                    try {
                        pool.dns().refreshIfExpired(host);
                    }
                    finally {
                        dnsRefreshing.remove(host);
                    }
                });
            }
        }
        lastSweepNanos = System.nanoTime() - started;
    }

    /**
     * Health-checks the endpoint's idle connections on the worker (a check may wait for its timeout: not on the
     * sweeper, not inside commons-pool2's evict()).
     */
    private void scheduleHealthCheck(EndpointPool p) {
        p.healthCheckInFlight = true;
        if (!submit(() -> {
            try {
                p.checkIdleHealth();
            }
            catch (RuntimeException ex) {
                log.warn("background health check of {} failed", p.endpoint, ex);
            }
            finally {
                p.healthCheckInFlight = false;
            }
        })) {
            p.healthCheckInFlight = false;
        }
    }

    /** Opens connections up to min idle on the worker, backing off after failures. */
    private void scheduleWarm(EndpointPool p, long now) {
        if (p.warmInFlight || now - p.nextWarmNanos < 0) {
            return;
        }
        p.warmInFlight = true;
        submit(() -> {
            try {
                int target = p.config.minIdlePerEndpoint();
                while (p.addIdleIfRoom(target)) {
                    // one more idle connection opened
                }
                p.warmFailures = 0;
            }
            catch (CircuitOpenException ex) {
                // Not a failure of its own: try again once the open period is over (then as the half-open probe).
                p.nextWarmNanos = pool.ticker().nanoTime() + ex.retryAfter().toNanos();
            }
            catch (RuntimeException ex) {
                p.warmFailures++;
                long backoff = Math.min(MAX_WARM_BACKOFF_NANOS,
                        Math.max(p.config.connectBackoff().toNanos(), TimeUnit.MILLISECONDS.toNanos(100))
                                << Math.min(p.warmFailures, 20));
                p.nextWarmNanos = pool.ticker().nanoTime() + backoff;
                log.warn("keeping {} idle connections open to {} failed ({} in a row), next try in {} ms: {}",
                        p.config.minIdlePerEndpoint(), p.endpoint, p.warmFailures, backoff / 1_000_000,
                        ex.getMessage());
            }
            finally {
                p.warmInFlight = false;
            }
        });
    }

    /** Runs the task on the worker; {@code false} if it is shutting down. */
    private boolean submit(Runnable task) {
        try {
            worker.execute(task);
            return true;
        }
        catch (RejectedExecutionException ex) {
            return false; // shutting down
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
