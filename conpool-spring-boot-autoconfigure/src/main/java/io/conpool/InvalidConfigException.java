package io.conpool;

/**
 * A configuration value is out of range or inconsistent with another. The message names the setting and the
 * rejected value, e.g. {@code "maxIdlePerEndpoint (12) must not exceed maxConnectionsPerEndpoint (10)"}.
 */
public class InvalidConfigException extends ConpoolException {

    private static final long serialVersionUID = 1L;

    private final String property;

    private final transient Object value;

    public InvalidConfigException(String property, Object value, String problem) {
        super(property + " (" + value + ") " + problem);
        this.property = property;
        this.value = value;
    }

    /** The name of the rejected setting. */
    public String property() {
        return property;
    }

    /** The rejected value, as given. */
    public Object value() {
        return value;
    }
}
