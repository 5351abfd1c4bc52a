package io.conpool.internal;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.conpool.CircuitOpenException;
import io.conpool.CircuitState;
import io.conpool.Endpoint;
import io.conpool.PoolConfig;
import io.conpool.Ticker;

/**
 * One endpoint's circuit breaker. Closed: connects allowed, consecutive failures counted. After
 * {@code failureThreshold} of them it opens for the open period (doubling on each further trip up to the maximum,
 * with ±10 % jitter so many clients do not probe together); acquires then fail at once. When the period ends the
 * next acquire is the single half-open probe: its success closes the breaker and resets the counts, its failure
 * opens it again.
 *
 * <p>The fast path (breaker closed, no failures) reads one volatile field; transitions are synchronized.
 */
final class CircuitBreaker {

    private static final Logger log = LoggerFactory.getLogger(CircuitBreaker.class);

    /** What a state change is reported to. */
    interface Transitions {
        void changed(CircuitState from, CircuitState to);
    }

    private final Endpoint endpoint;

    private final boolean enabled;

    private final int threshold;

    private final long baseOpenNanos;

    private final long maxOpenNanos;

    private final Ticker ticker;

    private final Transitions transitions;

    private volatile CircuitState state = CircuitState.CLOSED;

    private volatile int consecutiveFailures;

    private int trips;

    private long openUntilNanos;

    private boolean probeInFlight;

    private Throwable lastFailure;

    /** State changes not yet told to {@link #transitions} (guarded by this). */
    private final java.util.ArrayDeque<CircuitState[]> unreported = new java.util.ArrayDeque<>();

    /** A thread is telling {@link #transitions} (guarded by this). */
    private boolean reporting;

    CircuitBreaker(Endpoint endpoint, PoolConfig config, Ticker ticker, Transitions transitions) {
        this.endpoint = endpoint;
        this.enabled = config.circuitBreakerEnabled();
        this.threshold = config.circuitBreakerFailureThreshold();
        this.baseOpenNanos = config.circuitBreakerOpenDuration().toNanos();
        this.maxOpenNanos = config.circuitBreakerMaxOpenDuration().toNanos();
        this.ticker = ticker;
        this.transitions = transitions;
    }

    /**
     * The state now. An open breaker whose open period has passed is half-open from that moment for every observer
     * (stats, health, metrics), not only for the next caller: this read moves it there (and reports the change).
     */
    CircuitState state() {
        CircuitState s = state;
        if (s != CircuitState.OPEN || ticker.nanoTime() - openUntilNanos() < 0) {
            return s;
        }
        synchronized (this) {
            if (state != CircuitState.OPEN || ticker.nanoTime() - openUntilNanos < 0) {
                return state;
            }
            state = CircuitState.HALF_OPEN;
            probeInFlight = false;
            changed(CircuitState.OPEN, CircuitState.HALF_OPEN);
        }
        log.info("circuit for {} half-open: its open period is over, one probe may connect", endpoint);
        report();
        return CircuitState.HALF_OPEN;
    }

    private synchronized long openUntilNanos() {
        return openUntilNanos;
    }

    /**
     * Lets an acquire through, or throws {@link CircuitOpenException}. Returns {@code true} if this acquire is the
     * half-open probe (it must then report {@link #success} or {@link #failure}, or {@link #probeAbandoned}).
     */
    boolean admit() {
        if (state == CircuitState.CLOSED) {
            return false;
        }
        state(); // an open period that is over makes it half-open first
        synchronized (this) {
            if (state == CircuitState.CLOSED) {
                return false;
            }
            long now = ticker.nanoTime();
            if (state == CircuitState.OPEN) {
                throw new CircuitOpenException(endpoint, Duration.ofNanos(Math.max(0, openUntilNanos - now)),
                        lastFailure);
            }
            if (probeInFlight) {
                throw new CircuitOpenException(endpoint, Duration.ZERO, lastFailure);
            }
            probeInFlight = true;
            return true;
        }
    }

    /** A connect succeeded (or the probe got a working connection). */
    void success() {
        if (state == CircuitState.CLOSED && consecutiveFailures == 0) {
            return;
        }
        CircuitState from;
        synchronized (this) {
            from = state;
            consecutiveFailures = 0;
            trips = 0;
            probeInFlight = false;
            lastFailure = null;
            state = CircuitState.CLOSED;
            changed(from, CircuitState.CLOSED);
        }
        if (from != CircuitState.CLOSED) {
            log.info("circuit for {} closed: a probe connect succeeded", endpoint);
            report();
        }
    }

    /** A connect failed after all its attempts. Returns {@code true} if this opened the breaker. */
    boolean failure(Throwable cause) {
        if (!enabled) {
            return false;
        }
        CircuitState from;
        long openNanos;
        synchronized (this) {
            lastFailure = cause;
            consecutiveFailures++;
            if (state == CircuitState.OPEN || (state == CircuitState.CLOSED && consecutiveFailures < threshold)) {
                return false;
            }
            from = state;
            trips++;
            long grown = baseOpenNanos << Math.min(trips - 1, 30);
            long period = grown <= 0 || grown > maxOpenNanos ? maxOpenNanos : grown;
            openNanos = (long) (period * ThreadLocalRandom.current().nextDouble(0.9, 1.1));
            openUntilNanos = ticker.nanoTime() + openNanos;
            probeInFlight = false;
            state = CircuitState.OPEN;
            changed(from, CircuitState.OPEN);
        }
        log.warn("circuit for {} opened for {} ms after {} consecutive connect failures: {}", endpoint,
                openNanos / 1_000_000, consecutiveFailures, cause == null ? "?" : cause.getMessage());
        report();
        return true;
    }

    /** The probe ended without a connect outcome (it timed out waiting, was interrupted...): allow another. */
    synchronized void probeAbandoned() {
        probeInFlight = false;
    }

    /** Closes the breaker by hand. */
    void reset() {
        CircuitState from;
        synchronized (this) {
            from = state;
            consecutiveFailures = 0;
            trips = 0;
            probeInFlight = false;
            lastFailure = null;
            state = CircuitState.CLOSED;
            changed(from, CircuitState.CLOSED);
        }
        if (from != CircuitState.CLOSED) {
            log.info("circuit for {} closed by hand", endpoint);
            report();
        }
    }

    /** Exception for waiters failed when the breaker opens. */
    synchronized CircuitOpenException openException() {
        return new CircuitOpenException(endpoint, Duration.ofNanos(Math.max(0, openUntilNanos - ticker.nanoTime())),
                lastFailure);
    }

    /** Queues a change for {@link #report()}, in the order the changes happened. Caller holds this lock. */
    private void changed(CircuitState from, CircuitState to) {
        if (from != to) {
            unreported.add(new CircuitState[] { from, to });
        }
    }

    /**
     * Tells {@link Transitions} every queued change, in order, outside this lock: one thread at a time reports,
     * and it reports whatever others queued meanwhile, so two threads changing the state at once can never be
     * heard in the wrong order (say half-open before open).
     */
    private void report() {
        while (true) {
            CircuitState[] next;
            synchronized (this) {
                if (reporting || unreported.isEmpty()) {
                    return;
                }
                reporting = true;
                next = unreported.poll();
            }
            try {
                transitions.changed(next[0], next[1]);
            }
            finally {
                synchronized (this) {
                    reporting = false;
                }
            }
        }
    }
}
