package io.conpool.internal;

import java.io.IOException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.conpool.CloseReason;
import io.conpool.HealthCheck;
import io.conpool.PoolConfig;

/**
 * Every rule that decides whether a connection may be used again, in one place, for one endpoint's settings: on
 * borrow (expiry, liveness probe, health check and the protocol handler's {@code isHealthy}), on return (what the
 * caller left behind, uses, lifetime, retired address, then the protocol handler's {@code onRelease}) and in the
 * background sweep (the borrow rules without the health check, plus the idle cap). Each rule
 * answers with the {@link CloseReason} that closes the connection, or {@code null} to keep it.
 *
 * <p>Also puts back the socket options a caller changed on its lease, so the next caller gets the pool's own.
 */
final class ReuseRules {

    private static final Logger log = LoggerFactory.getLogger(ReuseRules.class);

    private final EndpointPool owner;

    private final long maxIdleNanos;

    private final long maxUses;

    private final int maxIdle;

    private final long coldNanos;

    private final HealthCheck healthCheck;

    private final long healthCheckTimeoutMs;

    /** Background health checks: connections checked more recently than this are skipped; 0: off. */
    final long healthCheckIntervalNanos;

    /** A check this recent lets a reuse skip its own; 0: off. */
    private final long bypassNanos;

    ReuseRules(EndpointPool owner, PoolConfig config) {
        this.owner = owner;
        this.maxIdleNanos = config.maxIdleTime().toNanos();
        this.maxUses = config.maxConnectionUses().orElse(Long.MAX_VALUE);
        this.maxIdle = config.maxIdlePerEndpoint();
        this.coldNanos = config.validationInterval().toNanos();
        this.healthCheck = config.healthCheck().orElse(null);
        this.healthCheckTimeoutMs = config.healthCheckTimeout().toMillis();
        this.healthCheckIntervalNanos = config.healthCheckInterval().map(d -> d.toNanos()).orElse(0L);
        this.bypassNanos = config.healthCheckBypassWindow().map(d -> d.toNanos()).orElse(0L);
    }

    /** Whether anything protocol-level is checked on this endpoint (a health check, or a protocol handler). */
    boolean hasHealthCheck() {
        return healthCheck != null || owner.protocol != null;
    }

    /** The rules that need no I/O: cleared (or otherwise retired), retired address, lifetime, idle time. */
    CloseReason stale(Connection c, long now) {
        if (c.generation != owner.generation()) {
            return owner.retiredReason();
        }
        if (c.retired) {
            return CloseReason.ADDRESS_RETIRED;
        }
        if (now - c.expiresAtNanos >= 0) {
            return CloseReason.LIFETIME_EXPIRED;
        }
        if (now - c.lastUsedNanos > maxIdleNanos) {
            return CloseReason.IDLE_TIMEOUT;
        }
        return null;
    }

    /**
     * Before an idle connection is handed out: expiry, then the liveness probe, then the health check (within the
     * call's deadline, if it runs in one), unless one passed within the bypass window. For a background check
     * ({@link CallContext#background}), the health check runs only if none passed within the interval.
     *
     * @param now the endpoint's ticker, read as the borrow began
     */
    CloseReason onBorrow(Connection c, long now, CallContext call) {
        CloseReason stale = stale(c, now);
        if (stale != null) {
            return stale;
        }
        CloseReason dead = c.probe();
        if (dead != null) {
            return dead;
        }
        if (healthCheck == null && owner.protocol == null) {
            return null;
        }
        boolean background = call.active && call.background;
        long fresh = background ? healthCheckIntervalNanos : bypassNanos;
        if (fresh > 0 && c.checked && now - c.checkedAtNanos < fresh) {
            return null;
        }
        long deadline = call.active && !background ? call.deadline()
                : System.nanoTime() + healthCheckTimeoutMs * 1_000_000;
        CloseReason failed = runHealthCheck(c, deadline);
        if (failed == null) {
            c.checked = true;
            c.checkedAtNanos = now;
        }
        return failed;
    }

    /** When a lease ends: an explicit reason, what the caller left behind, then uses, lifetime and retirement. */
    CloseReason onReturn(Connection c, long now) {
        if (c.closeReason != null) {
            return c.closeReason;
        }
        CloseReason left = c.leftoverOnReturn();
        if (left != null) {
            return left;
        }
        if (c.uses >= maxUses) {
            return CloseReason.MAX_USES;
        }
        if (now - c.expiresAtNanos >= 0) {
            return CloseReason.LIFETIME_EXPIRED;
        }
        if (c.retired || c.generation != owner.generation()) {
            return c.retired ? CloseReason.ADDRESS_RETIRED : owner.retiredReason();
        }
        if (c.optionsTouched && !c.restoreOptions()) {
            return CloseReason.BROKEN;
        }
        // Last: the protocol may cost a round trip, worth paying only for a connection that is otherwise reusable.
        return owner.protocol == null ? null : owner.protocol.released(c);
    }

    /**
     * The sweep's verdict on an idle connection, examined oldest first: stale, dead, or one more than
     * {@code maxIdlePerEndpoint} ({@code idleCount} counts the idle connections not yet closed, this one included).
     * A connection idle for a whole validation interval also gives up its stream buffers.
     */
    CloseReason onSweep(Connection c, long now, int idleCount) {
        CloseReason bad = stale(c, now);
        if (bad == null) {
            bad = c.probe();
        }
        if (bad == null && idleCount > maxIdle) {
            bad = CloseReason.IDLE_TRIMMED;
        }
        if (bad == null && now - c.lastUsedNanos >= coldNanos) {
            // Unused for a whole interval: its 16 KB of stream buffers go (remade on the next lease), so thousands
            // of idle endpoints cost little heap. Busy connections keep theirs.
            c.shedBuffers();
        }
        return bad;
    }

    private CloseReason runHealthCheck(Connection c, long deadline) {
        // Bounded by its own timeout and by what is left of the acquire's deadline.
        long budgetMs = Math.max(1, Math.min(healthCheckTimeoutMs, (deadline - System.nanoTime()) / 1_000_000));
        Lease probeLease = new Lease(owner, c, true);
        try {
            int saved = c.socket.getSoTimeout();
            c.socket.setSoTimeout((int) budgetMs);
            boolean healthy = (healthCheck == null || healthCheck.isHealthy(probeLease))
                    && (owner.protocol == null || owner.protocol.isHealthy(c, probeLease));
            c.socket.setSoTimeout(saved);
            if (healthy && c.leftoverOnReturn() == null) {
                return null;
            }
            return CloseReason.HEALTH_CHECK_FAILED;
        }
        catch (Exception ex) {
            if (!(ex instanceof IOException)) {
                Listeners.failed(owner.endpoint, owner.counters, ex);
            }
            log.debug("health check of {} failed: {}", owner.endpoint, ex.toString());
            return CloseReason.HEALTH_CHECK_FAILED;
        }
        finally {
            probeLease.detach();
        }
    }
}
