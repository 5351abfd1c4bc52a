package io.conpool;

/** A host, port or endpoint string cannot name a TCP endpoint. The message quotes the rejected value. */
public class InvalidEndpointException extends ConpoolException {

    private static final long serialVersionUID = 1L;

    private final String value;

    public InvalidEndpointException(String value, String problem) {
        super("invalid endpoint '" + value + "': " + problem);
        this.value = value;
    }

    /** The rejected value, as given. */
    public String value() {
        return value;
    }
}
