package io.conpool;

/**
 * Base of every exception conpool throws. Unchecked, so that callers handle the cases they care about
 * ({@link AcquireTimeoutException}, {@link ConnectException}, ...) and let the rest propagate.
 *
 * <p>Messages carry their context chain, for example
 * {@code "connecting to db.internal:5432 after 3 attempts: Connection refused"}.
 */
public class ConpoolException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ConpoolException(String message) {
        super(message);
    }

    public ConpoolException(String message, Throwable cause) {
        super(message, cause);
    }
}
