package io.conpool.demo.web;

import io.conpool.ConnectionPool;
import io.conpool.Endpoint;

import org.springframework.stereotype.Component;

/** Finds the endpoints configured under {@code conpool.endpoints.<name>} by name, for the demo's HTTP API. */
@Component
public class NamedEndpoints {

    private final ConnectionPool pool;

    public NamedEndpoints(ConnectionPool pool) {
        this.pool = pool;
    }

    /**
     * The endpoint configured under that name.
     *
     * @throws UnknownEndpointException if there is none
     */
    public Endpoint byName(String name) {
        return pool.endpoint(name).orElseThrow(() -> new UnknownEndpointException(name, pool.namedEndpoints().keySet()));
    }
}
