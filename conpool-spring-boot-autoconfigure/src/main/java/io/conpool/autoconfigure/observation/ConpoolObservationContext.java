package io.conpool.autoconfigure.observation;

import io.conpool.ConnectionPoolObserver.Phase;
import io.conpool.Endpoint;
import io.micrometer.observation.Observation;

/**
 * What one observed phase of the pool's work is about: the phase (acquire, wait, connect attempt, TLS handshake),
 * the endpoint and its name, the pool, and once it has ended, whether an acquire reused an idle connection (its error,
 * if it failed, is the context's {@link #getError() error}). {@link ConpoolObservationConvention}s turn it into key
 * values.
 */
public class ConpoolObservationContext extends Observation.Context {

    private final Phase phase;

    private final Endpoint endpoint;

    private final String endpointName;

    private final String poolName;

    private boolean ended;

    private boolean reused;

    /**
     * @param phase the phase observed
     * @param endpoint the endpoint it is for
     * @param endpointName the endpoint's configured name, or {@code null} for an endpoint met at run time
     * @param poolName the pool's name ({@code conpool.name})
     */
    public ConpoolObservationContext(Phase phase, Endpoint endpoint, String endpointName, String poolName) {
        this.phase = phase;
        this.endpoint = endpoint;
        this.endpointName = endpointName;
        this.poolName = poolName;
    }

    public Phase getPhase() {
        return phase;
    }

    public Endpoint getEndpoint() {
        return endpoint;
    }

    /** The endpoint's configured name, or {@code null} for an endpoint the application met at run time. */
    public String getEndpointName() {
        return endpointName;
    }

    public String getPoolName() {
        return poolName;
    }

    /** Whether the phase has ended (its outcome is known). */
    public boolean isEnded() {
        return ended;
    }

    /** For an ended acquire, whether it got an idle connection rather than a new one; {@code false} otherwise. */
    public boolean isReused() {
        return reused;
    }

    /** The phase ended: read by the convention when the observation stops. */
    void ended(boolean reusedConnection) {
        this.ended = true;
        this.reused = reusedConnection;
    }
}
