package io.conpool.internal;

import io.conpool.ConpoolException;
import io.conpool.Endpoint;

/**
 * Opening a connection stopped because the caller's deadline passed, before an attempt could start or while one was
 * still within its connection timeout: the endpoint did nothing wrong. Never reaches callers: the endpoint's pool
 * turns it into an {@link io.conpool.AcquireTimeoutException} (a lease) or a
 * {@link io.conpool.ConnectTimeoutException} (warming, whose deadline is the connect budget itself), and counts no
 * connect error and no circuit-breaker failure for it.
 */
final class CallerDeadlineException extends ConpoolException {

    private static final long serialVersionUID = 1L;

    private final int attempts;

    CallerDeadlineException(Endpoint endpoint, int attempts, Throwable lastCause) {
        super("connecting to " + endpoint + ": the caller's deadline passed "
                + (attempts == 0 ? "before a connect attempt could start" : "during attempt " + attempts), lastCause);
        this.attempts = attempts;
    }

    /** Attempts started, the last one cut short. */
    int attempts() {
        return attempts;
    }
}
