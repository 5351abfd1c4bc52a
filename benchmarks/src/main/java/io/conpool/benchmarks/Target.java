package io.conpool.benchmarks;

import java.net.InetSocketAddress;

/**
 * One endpoint of the benchmark as the peers' pools see it: the key of commons-pool2 and the route of HttpCore.
 * Canonical instances (one per endpoint), so identity equality and a precomputed hash are enough.
 */
final class Target {

    final int index;

    final InetSocketAddress address;

    final boolean tls;

    Target(int index, InetSocketAddress address, boolean tls) {
        this.index = index;
        this.address = address;
        this.tls = tls;
    }

    String host() {
        return address.getAddress().getHostAddress();
    }

    @Override
    public int hashCode() {
        return index;
    }

    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public String toString() {
        return (tls ? "tls:" : "") + host() + ":" + address.getPort();
    }
}
