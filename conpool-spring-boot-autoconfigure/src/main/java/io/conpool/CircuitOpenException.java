package io.conpool;

import java.time.Duration;

/**
 * The endpoint's circuit breaker is open after repeated connect failures: the acquire fails at once, without
 * opening a socket or waiting. {@link #retryAfter()} tells when the breaker will admit a probe.
 */
public class CircuitOpenException extends ConpoolException {

    private static final long serialVersionUID = 1L;

    private final Endpoint endpoint;

    private final Duration retryAfter;

    public CircuitOpenException(Endpoint endpoint, Duration retryAfter, Throwable lastFailure) {
        super("acquiring a connection to " + endpoint + ": circuit open after repeated connect failures, next probe in "
                + Math.max(0, retryAfter.toMillis()) + " ms", lastFailure);
        this.endpoint = endpoint;
        this.retryAfter = retryAfter;
    }

    public Endpoint endpoint() {
        return endpoint;
    }

    /** Time until the breaker admits a probe connection (zero if a probe is already in flight). */
    public Duration retryAfter() {
        return retryAfter;
    }
}
