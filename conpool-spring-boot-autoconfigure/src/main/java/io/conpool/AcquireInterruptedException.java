package io.conpool;

/**
 * The thread was interrupted while waiting for a connection. The thread's interrupt flag is set again before
 * this is thrown, so code further up still sees the interrupt.
 */
public class AcquireInterruptedException extends ConpoolException {

    private static final long serialVersionUID = 1L;

    public AcquireInterruptedException(Endpoint endpoint, InterruptedException cause) {
        super("acquiring a connection to " + endpoint + ": interrupted while waiting", cause);
    }
}
