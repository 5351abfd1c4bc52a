package io.conpool.demo.web;

/** A request parameter out of its bounds. Answered with 400 naming the parameter and the value as received. */
public final class InvalidParameterException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String parameter;

    private final String value;

    public InvalidParameterException(String parameter, Object value, String rule) {
        super(parameter + " " + rule + ", was " + value);
        this.parameter = parameter;
        this.value = String.valueOf(value);
    }

    public String parameter() {
        return parameter;
    }

    public String value() {
        return value;
    }
}
