package io.conpool;

/**
 * The endpoint has no free connection and already has {@code maxPendingAcquires} callers waiting, so this
 * caller is turned away at once instead of joining the queue.
 */
public class PendingAcquiresExceededException extends ConpoolException {

    private static final long serialVersionUID = 1L;

    private final Endpoint endpoint;

    private final int maxPendingAcquires;

    public PendingAcquiresExceededException(Endpoint endpoint, int maxPendingAcquires) {
        super("acquiring a connection to " + endpoint + ": " + maxPendingAcquires
                + " callers are already waiting (maxPendingAcquires)");
        this.endpoint = endpoint;
        this.maxPendingAcquires = maxPendingAcquires;
    }

    public Endpoint endpoint() {
        return endpoint;
    }

    public int maxPendingAcquires() {
        return maxPendingAcquires;
    }
}
