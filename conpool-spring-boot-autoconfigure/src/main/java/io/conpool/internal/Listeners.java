package io.conpool.internal;

import java.util.List;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.conpool.ConnectionPoolListener;
import io.conpool.Endpoint;

/**
 * The pool's {@link ConnectionPoolListener}s and the one way they are called: each in turn, a throw counted and
 * logged, never passed to the caller. Callers fire them outside any lock, so a slow listener delays only the thread
 * that fired it.
 */
final class Listeners {

    private static final Logger log = LoggerFactory.getLogger(Listeners.class);

    private final ConnectionPoolListener[] all;

    Listeners(List<ConnectionPoolListener> listeners) {
        this.all = listeners.toArray(ConnectionPoolListener[]::new);
    }

    /** Whether there is any listener: the hot path reads this before it measures anything for them. */
    boolean any() {
        return all.length > 0;
    }

    /** Calls {@code event} on every listener; a listener that throws is counted in {@code counters} and logged. */
    void fire(Endpoint endpoint, EndpointCounters counters, Consumer<ConnectionPoolListener> event) {
        for (ConnectionPoolListener l : all) {
            try {
                event.accept(l);
            }
            catch (RuntimeException ex) {
                failed(endpoint, counters, ex);
            }
        }
    }

    /** A listener or a user health check threw: counted, logged, ignored. */
    static void failed(Endpoint endpoint, EndpointCounters counters, Throwable ex) {
        counters.listenerErrors.increment();
        log.warn("a conpool listener or health check for {} threw; ignored", endpoint, ex);
    }
}
