package io.conpool;

/** State of an endpoint's circuit breaker. */
public enum CircuitState {

    /** Connects are allowed. */
    CLOSED,
    /** Repeated connect failures: acquires fail at once until the open period ends. */
    OPEN,
    /** The open period ended: one probe connect is allowed; its outcome closes or reopens the breaker. */
    HALF_OPEN
}
