package io.conpool;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;

/**
 * Turns a host name into addresses, in the order to try them. The pool caches answers (see
 * {@code ConnectionPool.Builder#dnsCacheTtl}); IP literals never reach the resolver.
 */
@FunctionalInterface
public interface Resolver {

    /** The JDK's resolver ({@link InetAddress#getAllByName}). */
    Resolver SYSTEM = host -> Arrays.asList(InetAddress.getAllByName(host));

    /**
     * @return at least one address
     * @throws UnknownHostException if the name does not resolve
     */
    List<InetAddress> resolve(String host) throws UnknownHostException;
}
