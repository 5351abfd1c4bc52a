package io.conpool;

import java.time.Duration;

/** No connection to the endpoint became available within the acquire timeout. */
public class AcquireTimeoutException extends ConpoolException {

    private static final long serialVersionUID = 1L;

    private final Endpoint endpoint;

    private final Duration timeout;

    public AcquireTimeoutException(Endpoint endpoint, Duration timeout, String detail) {
        super("acquiring a connection to " + endpoint + ": timed out after " + timeout.toMillis() + " ms" + detail);
        this.endpoint = endpoint;
        this.timeout = timeout;
    }

    public Endpoint endpoint() {
        return endpoint;
    }

    public Duration timeout() {
        return timeout;
    }
}
