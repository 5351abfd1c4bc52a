package io.conpool;

/**
 * Opening a connection failed after every configured attempt. {@link #getCause()} is the last failure
 * (for example {@link java.net.ConnectException} or {@link javax.net.ssl.SSLException}).
 */
public class ConnectException extends ConpoolException {

    private static final long serialVersionUID = 1L;

    private final Endpoint endpoint;

    private final int attempts;

    public ConnectException(Endpoint endpoint, int attempts, Throwable lastCause) {
        this("connecting to " + endpoint + " after " + attempts + (attempts == 1 ? " attempt: " : " attempts: ")
                + describe(lastCause), endpoint, attempts, lastCause);
    }

    protected ConnectException(String message, Endpoint endpoint, int attempts, Throwable lastCause) {
        super(message, lastCause);
        this.endpoint = endpoint;
        this.attempts = attempts;
    }

    /** The endpoint that could not be reached. */
    public Endpoint endpoint() {
        return endpoint;
    }

    /** How many attempts were made before giving up. */
    public int attempts() {
        return attempts;
    }

    static String describe(Throwable t) {
        if (t == null) {
            return "unknown cause";
        }
        String message = t.getMessage();
        return message == null || message.isBlank() ? t.getClass().getSimpleName() : message;
    }
}
