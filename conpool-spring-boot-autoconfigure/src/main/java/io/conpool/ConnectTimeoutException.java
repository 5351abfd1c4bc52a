package io.conpool;

import java.time.Duration;

/** Opening a connection (TCP connect plus TLS handshake) did not finish within the connection timeout. */
public class ConnectTimeoutException extends ConnectException {

    private static final long serialVersionUID = 1L;

    private final Duration timeout;

    public ConnectTimeoutException(Endpoint endpoint, int attempts, Duration timeout, Throwable lastCause) {
        super("connecting to " + endpoint + " after " + attempts + (attempts == 1 ? " attempt" : " attempts")
                + ": timed out after " + timeout.toMillis() + " ms", endpoint, attempts, lastCause);
        this.timeout = timeout;
    }

    /** The time budget of one attempt that ran out. */
    public Duration timeout() {
        return timeout;
    }
}
