package io.conpool.demo.web;

import java.util.Set;

/** A request named an endpoint that is not configured under {@code conpool.endpoints}. Answered with 404. */
public final class UnknownEndpointException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String name;

    public UnknownEndpointException(String name, Set<String> known) {
        super("no endpoint named '" + name + "'; configured: " + known);
        this.name = name;
    }

    public String name() {
        return name;
    }
}
