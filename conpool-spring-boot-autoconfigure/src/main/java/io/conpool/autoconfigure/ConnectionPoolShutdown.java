package io.conpool.autoconfigure;

import java.time.Duration;

import io.conpool.ConnectionPool;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.DisposableBean;

/**
 * Closes the auto-configured pool gracefully when the application context closes: new acquires fail at once, idle
 * connections close, and leased connections get {@code conpool.shutdown-grace-period} to come back before their
 * sockets are closed.
 *
 * <p>A separate bean rather than the pool's destroy method because {@link ConnectionPool#close(Duration)} takes an
 * argument. The pool bean depends on this one, so every bean that uses the pool is destroyed first, and this one
 * last.
 */
public class ConnectionPoolShutdown implements DisposableBean {

    private static final Log logger = LogFactory.getLog(ConnectionPoolShutdown.class);

    private final Duration gracePeriod;

    private volatile ConnectionPool pool;

    public ConnectionPoolShutdown(Duration gracePeriod) {
        this.gracePeriod = gracePeriod;
    }

    /** The pool to close; set once it is built. */
    void manage(ConnectionPool pool) {
        this.pool = pool;
    }

    @Override
    public void destroy() {
        ConnectionPool p = this.pool;
        if (p == null || p.isClosed()) {
            return;
        }
        int forced = p.close(gracePeriod);
        if (forced > 0 && logger.isDebugEnabled()) {
            logger.debug("Closed " + forced + " connections still leased after the grace period of " + gracePeriod);
        }
    }
}
