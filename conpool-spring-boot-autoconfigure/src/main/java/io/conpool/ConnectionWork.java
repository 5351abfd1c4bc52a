package io.conpool;

/**
 * Work done with a leased connection by {@link ConnectionPool#withConnection}. Whatever it throws reaches the
 * caller unchanged (and the connection is destroyed, since its protocol state is unknown).
 *
 * @param <T> the result
 * @param <E> the checked exception the work may throw ({@link RuntimeException} if none)
 */
@FunctionalInterface
public interface ConnectionWork<T, E extends Exception> {

    T apply(PooledConnection connection) throws E;
}
