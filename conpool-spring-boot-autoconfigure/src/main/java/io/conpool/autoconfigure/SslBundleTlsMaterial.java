package io.conpool.autoconfigure;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import javax.net.ssl.SSLContext;

import io.conpool.CloseReason;
import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.EndpointStats;
import io.conpool.Tls;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;

/**
 * The TLS material of every endpoint that takes its trust or client key from one Spring Boot SSL bundle: the
 * {@link Tls#sslContextSource() source} their {@link Tls} holds, so they share one context (and stay the same
 * endpoints when it changes).
 *
 * <p>When Boot reloads the bundle (its files changed, with {@code spring.ssl.bundle.<type>.<name>.reload-on-update}),
 * a new context is built from it and the pool is told, for every endpoint it knows that uses this material (named
 * ones and any endpoint made at run time with their {@code Tls}), so that new connections shake hands with the new
 * certificates and the old connections retire ({@link CloseReason#TLS_MATERIAL_CHANGED}). A reloaded bundle whose
 * context cannot be built leaves the previous material in use, with an error in the log: a half-rotated certificate
 * must not take the endpoints down.
 */
final class SslBundleTlsMaterial implements Supplier<SSLContext> {

    private static final Log logger = LogFactory.getLog(SslBundleTlsMaterial.class);

    private final String bundleName;

    private volatile SSLContext current;

    SslBundleTlsMaterial(String bundleName, SSLContext initial) {
        this.bundleName = bundleName;
        this.current = initial;
    }

    /** The context new connections use now; asked once per new connection, so it only reads a field. */
    @Override
    public SSLContext get() {
        return current;
    }

    String bundleName() {
        return bundleName;
    }

    /** From now on, a reload of the bundle reaches the pool's endpoints that use this material. */
    void followUpdates(SslBundles bundles, ConnectionPool pool) {
        bundles.addBundleUpdateHandler(bundleName, bundle -> reloaded(bundle, pool));
    }

    /**
     * The bundle was reloaded: new connections use its new context, old ones retire. Runs on Boot's file watcher
     * thread; closing the idle connections happens there too.
     */
    void reloaded(SslBundle bundle, ConnectionPool pool) {
        SSLContext next;
        try {
            next = bundle.createSslContext();
        }
        catch (RuntimeException ex) {
            logger.error("SSL bundle '" + bundleName + "' was reloaded but its SSLContext cannot be built; conpool "
                    + "keeps connecting with the previous material", ex);
            return;
        }
        current = next; // before the pool is told: a connection of the new generation must use the new context
        if (pool.isClosed()) {
            return;
        }
        List<String> changed = new ArrayList<>();
        int idleClosed = 0;
        int leasedMarked = 0;
        for (EndpointStats stats : pool.allStats()) {
            Endpoint endpoint = stats.endpoint();
            if (endpoint.isTls() && endpoint.tls().sslContextSource() == this) {
                var result = pool.tlsMaterialChanged(endpoint);
                idleClosed += result.idleClosed();
                leasedMarked += result.leasedMarked();
                changed.add(stats.name() != null ? stats.name() : endpoint.toString());
            }
        }
        logger.info("SSL bundle '" + bundleName + "' reloaded: conpool endpoints " + changed
                + " connect with the new material; " + idleClosed + " idle connections closed, " + leasedMarked
                + " leased ones close when returned");
    }
}
