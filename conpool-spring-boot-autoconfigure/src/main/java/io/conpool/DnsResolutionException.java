package io.conpool;

/** The host name of an endpoint did not resolve to any address. */
public class DnsResolutionException extends ConpoolException {

    private static final long serialVersionUID = 1L;

    private final String hostname;

    public DnsResolutionException(String hostname, String message, Throwable cause) {
        super(message, cause);
        this.hostname = hostname;
    }

    /** The host name that failed to resolve. */
    public String hostname() {
        return hostname;
    }
}
