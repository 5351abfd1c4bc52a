package io.conpool.autoconfigure.health;

import java.util.concurrent.ConcurrentHashMap;

import io.conpool.ConnectionPoolListener;
import io.conpool.ConpoolException;
import io.conpool.Endpoint;

/**
 * Remembers, per endpoint, when a connection was last opened and when opening one last failed, so that health can
 * tell "failing now" from "failed once an hour ago" without dialing. Registered on the pool as a listener; its hooks
 * run only when a connection is opened or fails to open, never on a plain acquire.
 */
public class ConnectOutcomes implements ConnectionPoolListener {

    private final ConcurrentHashMap<Endpoint, Outcome> outcomes = new ConcurrentHashMap<>();

    @Override
    public void onConnectionCreated(Endpoint endpoint, long connectNanos) {
        outcomes.computeIfAbsent(endpoint, e -> new Outcome()).lastSuccessNanos = System.nanoTime();
    }

    @Override
    public void onConnectFailed(Endpoint endpoint, ConpoolException error) {
        Outcome outcome = outcomes.computeIfAbsent(endpoint, e -> new Outcome());
        outcome.lastFailureType = error.getClass().getSimpleName();
        outcome.lastFailureNanos = System.nanoTime();
    }

    @Override
    public void onEndpointRemoved(Endpoint endpoint) {
        outcomes.remove(endpoint);
    }

    /** The endpoint's last outcomes, or {@code null} if it never opened or failed to open a connection. */
    Outcome get(Endpoint endpoint) {
        return outcomes.get(endpoint);
    }

    /** Last connect outcomes of one endpoint ({@link System#nanoTime()} values; 0 means never). */
    static final class Outcome {

        volatile long lastSuccessNanos;

        volatile long lastFailureNanos;

        volatile String lastFailureType;

        /** Whether the last attempt failed, within {@code windowNanos} of {@code now}. */
        boolean failingRecently(long now, long windowNanos) {
            long failure = lastFailureNanos;
            long success = lastSuccessNanos;
            return failure != 0 && now - failure <= windowNanos && (success == 0 || failure - success > 0);
        }
    }
}
