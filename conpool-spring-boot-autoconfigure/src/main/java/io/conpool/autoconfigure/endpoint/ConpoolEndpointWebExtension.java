package io.conpool.autoconfigure.endpoint;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.annotation.EndpointWebExtension;

/**
 * Web-specific answer of the write operation: over HTTP an unknown endpoint is a 404, where the technology-neutral
 * {@link ConpoolEndpoint#clear} can only answer {@code null} (which the web layer would turn into a 204).
 */
@EndpointWebExtension(endpoint = ConpoolEndpoint.class)
public class ConpoolEndpointWebExtension {

    private final ConpoolEndpoint delegate;

    public ConpoolEndpointWebExtension(ConpoolEndpoint delegate) {
        this.delegate = delegate;
    }

    /** See {@link ConpoolEndpoint#clear}; 404 when the pool has no such endpoint. */
    @DeleteOperation
    public WebEndpointResponse<ConpoolEndpoint.Change> clear(@Selector String endpoint, @Nullable Boolean circuit) {
        ConpoolEndpoint.Change change = delegate.clear(endpoint, circuit);
        return change != null ? new WebEndpointResponse<>(change, WebEndpointResponse.STATUS_OK)
                : new WebEndpointResponse<>(WebEndpointResponse.STATUS_NOT_FOUND);
    }
}
