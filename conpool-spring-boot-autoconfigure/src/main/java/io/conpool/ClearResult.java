package io.conpool;

/**
 * What {@link ConnectionPool#clearEndpoint} did.
 *
 * @param endpoint the endpoint cleared
 * @param idleClosed idle connections closed at once
 * @param leasedMarked leased connections that keep working and will be closed when returned
 */
public record ClearResult(Endpoint endpoint, int idleClosed, int leasedMarked) {
}
