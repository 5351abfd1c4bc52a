package io.conpool;

import java.util.function.Function;

/**
 * A configuration value is out of range or inconsistent with another. The message names the setting and the
 * rejected value, e.g. {@code "maxIdlePerEndpoint (12) must not exceed maxConnectionsPerEndpoint (10)"}.
 *
 * <p>The parts of the message are kept as data, so that a layer that calls the settings by other names (the Spring
 * Boot starter's {@code conpool.endpoints.cache.max-idle}) can say the same thing in its own terms without parsing
 * this text: {@link #property()}, {@link #value()}, {@link #reason()}, and, when the value clashes with another
 * setting, {@link #conflictingProperty()} and {@link #conflictingValue()}; {@link #reason(Function, Function)} words
 * the reason with the caller's names and value format.
 */
public class InvalidConfigException extends ConpoolException {

    private static final long serialVersionUID = 1L;

    private final String property;

    private final transient Object value;

    private final String problem;

    private final String conflictingProperty;

    private final transient Object conflictingValue;

    /**
     * @param property the setting's name, as the builder calls it (e.g. {@code maxIdlePerEndpoint})
     * @param value the rejected value, as given
     * @param problem what is wrong, e.g. {@code "must be at least 1"}
     */
    public InvalidConfigException(String property, Object value, String problem) {
        this(property, value, problem, null, null, null);
    }

    /**
     * A value that clashes with another setting, e.g. {@code maxIdlePerEndpoint (12)} "must not exceed"
     * {@code maxConnectionsPerEndpoint (10)}.
     *
     * @param property the rejected setting's name
     * @param value the rejected value
     * @param problem the relation it breaks, worded to be followed by the other setting, e.g. {@code "must not exceed"}
     * @param conflictingProperty the other setting's name
     * @param conflictingValue the other setting's value
     */
    public InvalidConfigException(String property, Object value, String problem, String conflictingProperty,
            Object conflictingValue) {
        this(property, value, problem, conflictingProperty, conflictingValue, null);
    }

    /** For subclasses that report a failure of their own layer with the core's complaint as the cause. */
    protected InvalidConfigException(String property, Object value, String problem, String conflictingProperty,
            Object conflictingValue, Throwable cause) {
        super(property + " (" + value + ") " + words(problem, conflictingProperty, conflictingValue,
                Function.identity(), String::valueOf), cause);
        this.property = property;
        this.value = value;
        this.problem = problem;
        this.conflictingProperty = conflictingProperty;
        this.conflictingValue = conflictingValue;
    }

    /** The name of the rejected setting (the core's builder calls it so, e.g. {@code maxIdlePerEndpoint}). */
    public String property() {
        return property;
    }

    /** The rejected value, as given. */
    public Object value() {
        return value;
    }

    /** What is wrong with the value, in the core's names: {@code "must not exceed maxConnectionsPerEndpoint (10)"}. */
    public String reason() {
        return reason(Function.identity(), String::valueOf);
    }

    /**
     * What is wrong with the value, naming the conflicting setting (if any) through {@code names} and printing its
     * value through {@code values}.
     */
    public String reason(Function<String, String> names, Function<Object, String> values) {
        return words(problem, conflictingProperty, conflictingValue, names, values);
    }

    /** The other setting the value clashes with, or {@code null} if the value is wrong by itself. */
    public String conflictingProperty() {
        return conflictingProperty;
    }

    /** The other setting's value, or {@code null}. */
    public Object conflictingValue() {
        return conflictingValue;
    }

    private static String words(String problem, String conflictingProperty, Object conflictingValue,
            Function<String, String> names, Function<Object, String> values) {
        if (conflictingProperty == null) {
            return problem;
        }
        return problem + " " + names.apply(conflictingProperty) + " (" + values.apply(conflictingValue) + ")";
    }
}
