package io.conpool;

/**
 * Hooks called by the pool as connections live and die, for logging, metrics or tracing. Every method has a no-op
 * default. Hooks run on the thread that caused the event (often a caller's thread, inside {@code acquire} or
 * {@code close}) and must be quick. A hook that throws is logged and counted ({@link EndpointStats#listenerErrors()})
 * and never breaks the pool.
 */
public interface ConnectionPoolListener {

    /** A connection was opened (TCP connect and TLS handshake took {@code connectNanos}). */
    default void onConnectionCreated(Endpoint endpoint, long connectNanos) {
    }

    /** An idle connection was handed out again. */
    default void onConnectionReused(Endpoint endpoint) {
    }

    /** A connection was closed, for that reason. */
    default void onConnectionClosed(Endpoint endpoint, CloseReason reason) {
    }

    /** Opening a connection failed after all attempts. */
    default void onConnectFailed(Endpoint endpoint, ConpoolException error) {
    }

    /** A caller got a lease after waiting {@code waitNanos} (including validation and connect). */
    default void onAcquired(Endpoint endpoint, long waitNanos) {
    }

    /** An acquire failed (timeout, rejection, connect failure, closed pool). */
    default void onAcquireFailed(Endpoint endpoint, ConpoolException error) {
    }

    /** A lease ended after {@code leaseNanos}, whether the connection went back to the pool or was closed. */
    default void onReleased(Endpoint endpoint, long leaseNanos) {
    }

    /** The endpoint's circuit breaker changed state. */
    default void onCircuitStateChanged(Endpoint endpoint, CircuitState from, CircuitState to) {
    }

    /** {@code clearEndpoint} was called for the endpoint. */
    default void onEndpointCleared(Endpoint endpoint) {
    }

    /** The pool forgot an unnamed endpoint that had no connections and no activity for {@code maxIdleTime}. */
    default void onEndpointRemoved(Endpoint endpoint) {
    }
}
