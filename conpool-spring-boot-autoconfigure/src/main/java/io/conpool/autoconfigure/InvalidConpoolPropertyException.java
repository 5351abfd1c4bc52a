package io.conpool.autoconfigure;

import io.conpool.InvalidConfigException;

/**
 * A {@code conpool.*} property has a bad value. Unlike the core's {@link InvalidConfigException}, which names a
 * builder field, this names the property as the user wrote it ({@code conpool.endpoints.cache.max-connections}),
 * the value as written, and where it came from when Spring knows it (file and line). When the core rejected the
 * value, its exception is the cause.
 */
public class InvalidConpoolPropertyException extends InvalidConfigException {

    private static final long serialVersionUID = 1L;

    private final String origin;

    /**
     * @param property the full property name, e.g. {@code conpool.endpoints.cache.port}
     * @param value the value as written (or as bound when the text is unknown); may be {@code null} for "not set"
     * @param reason what is wrong, e.g. {@code "must be at least 1"}
     * @param origin where the value came from (e.g. {@code "class path resource [application.yml] - 4:22"}), or
     *        {@code null}
     */
    public InvalidConpoolPropertyException(String property, Object value, String reason, String origin) {
        this(property, value, reason, origin, null);
    }

    /**
     * @param property the full property name
     * @param value the value as written, or as bound
     * @param reason what is wrong, in terms of properties
     * @param origin where the value came from, or {@code null}
     * @param cause the core's complaint about the value, or {@code null}
     */
    public InvalidConpoolPropertyException(String property, Object value, String reason, String origin,
            Throwable cause) {
        super(property, value, reason, null, null, cause);
        this.origin = origin;
    }

    /** Where the value was set, or {@code null} if unknown (for example a default). */
    public String origin() {
        return origin;
    }
}
