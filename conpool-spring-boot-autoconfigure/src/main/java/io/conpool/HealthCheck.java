package io.conpool;

import java.io.IOException;

/**
 * A protocol-level check run on an idle connection before it is reused, e.g. a Redis {@code PING}. Runs with the
 * socket's read timeout set to the configured {@code healthCheckTimeout} (or less, to meet the acquire deadline).
 * Returning {@code false} or throwing closes the connection and the caller gets another one.
 *
 * <p>A check must leave the connection clean: read every byte its request produced.
 */
@FunctionalInterface
public interface HealthCheck {

    /** Whether the connection can be handed to a caller. */
    boolean isHealthy(PooledConnection connection) throws IOException;
}
