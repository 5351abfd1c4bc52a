package io.conpool.internal;

import java.time.Duration;

import org.apache.commons.pool2.impl.EvictionPolicy;
import org.apache.commons.pool2.impl.GenericKeyedObjectPoolConfig;

/**
 * How conpool configures commons-pool2's {@code GenericKeyedObjectPool}: every setting that differs from
 * commons-pool2's defaults, with why. None of these is a user setting: the user's {@code conpool.*} settings are
 * enforced by the {@link Gate}, the {@link ReuseRules} and the sweep, which commons-pool2 calls back; so none of
 * commons-pool2's sentinels ({@code -1}, a zero duration meaning "forever") ever reaches a user.
 */
final class GkopSettings {

    /** The JMX name commons-pool2's MXBean is registered under, followed by the pool's name. */
    static final String JMX_NAME_BASE = "io.conpool:type=GenericKeyedObjectPool,name=";

    private GkopSettings() {
    }

    /**
     * The settings for a pool named {@code poolName}, whose sweep examines idle objects with {@code sweepPolicy}.
     * (Generic so that the benchmarks can measure a bare commons-pool2 with exactly these settings.)
     */
    static <T> GenericKeyedObjectPoolConfig<T> forPool(String poolName, boolean jmxEnabled,
            EvictionPolicy<T> sweepPolicy) {
        GenericKeyedObjectPoolConfig<T> c = new GenericKeyedObjectPoolConfig<>();
        // The most recently returned connection goes out first: the busy ones stay warm, the surplus ages and is
        // closed by the idle rules.
        c.setLifo(true);
        // The reuse rules (expiry, liveness probe, health check) run on every idle connection before it is handed
        // out; the factory skips them for a connection it opened for that very borrow.
        c.setTestOnBorrow(true);
        c.setTestOnCreate(false);
        c.setTestOnReturn(false); // the return rules run in passivateObject, which can veto the same way
        c.setTestWhileIdle(false); // the sweep's EvictionPolicy applies the idle rules itself
        // Nobody ever waits inside commons-pool2: a caller reaches it holding a Gate permit, so there is an idle
        // connection or room for a new one. A wait here would be unfair (arrivals barge past waiters), have no
        // deadline on the connect, and park inside a monitor.
        c.setBlockWhenExhausted(false);
        c.setMaxWait(Duration.ZERO);
        // With nobody parked inside, fair locks would only cost: measured, 8 threads on 100 keys convoy on the fair
        // key lock (~40 K borrows/s instead of ~3 M).
        c.setFairness(false);
        // Since 2.13 every return and every sweep scans and locks all keys' queues to "reuse capacity" for blocked
        // borrowers, of which there are none here: O(endpoints) per return.
        c.setReuseCapacityOnReturn(false);
        c.setReuseCapacityOnMaintenance(false);
        // Its timing statistics cost ~100 ns a borrow here; conpool keeps its own, cheaper ones.
        c.setCollectDetailedStatistics(false);
        // Caps: the Gate enforces each endpoint's own maxConnections (endpoints may override it, which one per-key
        // cap cannot express), the factory counts connections still opening against it, and TotalLimit enforces
        // maxTotalConnections with first-come-first-served waiting, which commons-pool2's total cap cannot give.
        c.setMaxTotalPerKey(-1);
        c.setMaxTotal(-1);
        // Surplus idle connections are closed by the sweep (oldest first), never on return: a cap applied on return
        // would close and reopen sockets under a burst.
        c.setMaxIdlePerKey(-1);
        c.setMinIdlePerKey(0); // min idle is opened by conpool's worker, with backoff and the circuit breaker
        // No commons-pool2 evictor thread: conpool's sweeper calls evict() on its own schedule, with SweepPolicy.
        c.setTimeBetweenEvictionRuns(Duration.ofMillis(-1));
        c.setNumTestsPerEvictionRun(-1); // each evict() examines every idle connection
        c.setEvictionPolicy(sweepPolicy);
        c.setJmxEnabled(jmxEnabled);
        c.setJmxNameBase(JMX_NAME_BASE);
        c.setJmxNamePrefix(jmxName(poolName));
        return c;
    }

    /** The pool's name as a JMX key property value: characters JMX would need quoted become '_'. */
    static String jmxName(String poolName) {
        return poolName.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
