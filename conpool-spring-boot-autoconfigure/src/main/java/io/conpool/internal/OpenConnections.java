package io.conpool.internal;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The connections an endpoint has open or opening, idle or leased, counted against its {@code maxConnections} while
 * they open (commons-pool2 counts them only once made). Kept for what commons-pool2 cannot say: which connections are
 * leased, and since when (leak reports, the forced close at the end of a shutdown's grace period), and which are
 * connected to an address DNS no longer answers.
 */
final class OpenConnections {

    private final int max;

    /** Open or opening (see {@link #reserve()}). */
    private final AtomicInteger count = new AtomicInteger();

    private final Set<Connection> all = ConcurrentHashMap.newKeySet();

    OpenConnections(int max) {
        this.max = max;
    }

    /** Counts one more connection opening if below the maximum. */
    boolean reserve() {
        int n;
        do {
            n = count.get();
            if (n >= max) {
                return false;
            }
        }
        while (!count.compareAndSet(n, n + 1));
        return true;
    }

    /** An opening that was reserved failed. */
    void unreserve() {
        count.decrementAndGet();
    }

    /** A reserved opening succeeded. */
    void add(Connection c) {
        all.add(c);
    }

    /** A connection is no longer open (called once per connection, see {@link Connection#forget()}). */
    void remove(Connection c) {
        all.remove(c);
        count.decrementAndGet();
    }

    boolean isEmpty() {
        return count.get() == 0;
    }

    /** The leased ones held longer than {@code thresholdNanos} and not reported yet, marked reported. */
    List<Connection> newlyLeaked(long now, long thresholdNanos) {
        List<Connection> leaked = new ArrayList<>();
        for (Connection c : all) {
            if (c.isLeased() && !c.leakReported && c.leasedBy != null && now - c.leasedAtNanos > thresholdNanos) {
                c.leakReported = true;
                leaked.add(c);
            }
        }
        return leaked;
    }

    /** Marks those connected to an address not in {@code current} retired; returns whether there was any. */
    boolean retireAddressesNotIn(Set<InetAddress> current) {
        boolean any = false;
        for (Connection c : all) {
            if (!current.contains(c.remote.getAddress())) {
                c.retired = true;
                any = true;
            }
        }
        return any;
    }

    /** The ones leased now. */
    List<Connection> leased() {
        List<Connection> out = new ArrayList<>();
        for (Connection c : all) {
            if (c.isLeased()) {
                out.add(c);
            }
        }
        return out;
    }
}
