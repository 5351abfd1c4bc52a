package io.conpool.internal;

import org.apache.commons.pool2.PooledObject;
import org.apache.commons.pool2.impl.EvictionConfig;
import org.apache.commons.pool2.impl.EvictionPolicy;

import io.conpool.CloseReason;

/**
 * The sweep's verdict on each idle connection commons-pool2's {@code evict()} shows it (oldest first, every idle
 * connection, while no borrower can take it): for an endpoint due in this sweep, the full sweep rules of its
 * {@link ReuseRules} (expiry, liveness probe, idle cap); for the others only the rules that need no I/O (a cleared
 * endpoint, a retired address, an expired lifetime or idle time), so an {@code evict()} run for one reason (a DNS
 * change) costs little for the rest.
 */
final class SweepPolicy implements EvictionPolicy<Connection> {

    @Override
    public boolean evict(EvictionConfig unused, PooledObject<Connection> underTest, int idleCount) {
        Connection c = underTest.getObject();
        EndpointPool owner = c.owner;
        long now = owner.ticker.nanoTime();
        CloseReason bad = owner.sweeping ? owner.rules.onSweep(c, now, idleCount) : owner.rules.stale(c, now);
        if (bad == null) {
            return false;
        }
        c.closeReason = bad;
        return true;
    }
}
