package io.conpool.autoconfigure.readiness;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.conpool.ConnectionPool;
import io.conpool.EndpointStats;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.ApplicationListener;

/**
 * Keeps the application's readiness at {@link ReadinessState#REFUSING_TRAFFIC} until every named endpoint of the
 * pool has its min-idle connections open ({@code idle + active >= min-idle}), or until the timeout has passed since
 * the application would otherwise have become ready; then the endpoints still short are logged as a warning and the
 * application becomes ready all the same. Liveness is never touched.
 *
 * <p>How: Spring Boot declares an application ready by publishing {@code ACCEPTING_TRAFFIC} right after
 * {@code ApplicationReadyEvent}. While the pool is not warm, this listener answers that event with a
 * {@code REFUSING_TRAFFIC} of its own, and publishes {@code ACCEPTING_TRAFFIC} once the pool is warm or the time is
 * up, unless something else has declared the application refusing since (then that stands). The readiness probe
 * ({@code /actuator/health/readiness}) and {@link ApplicationAvailability} read that state. A health indicator in the
 * readiness group would not do: it changes the probe but not {@link ApplicationAvailability#getReadinessState()}.
 *
 * <p>Its answer must come after {@link ApplicationAvailability} has recorded Boot's event, or Boot's would win.
 * Listeners of the same order are called in the order they were created, and this one is created after the
 * availability bean because it depends on it. Should another arrangement ever reverse them, the check that runs
 * every {@value #POLL_MILLIS} ms while readiness is held puts {@code REFUSING_TRAFFIC} back.
 */
public class WarmUpReadiness implements ApplicationListener<AvailabilityChangeEvent<ReadinessState>>, DisposableBean {

    private static final Log logger = LogFactory.getLog(WarmUpReadiness.class);

    /** How often the pool's stats are looked at while readiness is held (a few map reads per named endpoint). */
    static final long POLL_MILLIS = 50;

    private final ConnectionPool pool;

    private final ApplicationAvailability availability;

    private final ApplicationEventPublisher publisher;

    private final Duration timeout;

    /** While held: whether the application is to become ready when released (no one asked for REFUSING since). */
    private boolean readyWanted;

    private boolean holding;

    /** Released, or closed: nothing more to do. */
    private boolean done;

    private long heldSinceNanos;

    private ScheduledExecutorService poller;

    /**
     * @param pool the pool whose named endpoints must be warm
     * @param availability the application's availability (a dependency so that this listener is called after it)
     * @param publisher where readiness changes are published
     * @param timeout longest hold, from the moment the application would otherwise have become ready
     */
    public WarmUpReadiness(ConnectionPool pool, ApplicationAvailability availability,
            ApplicationEventPublisher publisher, Duration timeout) {
        this.pool = pool;
        this.availability = availability;
        this.publisher = publisher;
        this.timeout = timeout;
    }

    @Override
    public void onApplicationEvent(AvailabilityChangeEvent<ReadinessState> event) {
        if (event.getSource() == this) {
            return; // our own
        }
        synchronized (this) {
            if (done) {
                return;
            }
            if (event.getState() == ReadinessState.REFUSING_TRAFFIC) {
                readyWanted = false; // someone else's reason to refuse: it outlives the warm-up
                return;
            }
            readyWanted = true;
            if (!holding) {
                List<String> cold = coldEndpoints();
                if (cold.isEmpty()) {
                    done = true;
                    return;
                }
                holding = true;
                heldSinceNanos = System.nanoTime();
                logger.info("Readiness held until the conpool endpoints are warm (at most " + timeout.toMillis()
                        + " ms): " + String.join(", ", cold));
                poller = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "conpool-warm-up");
                    t.setDaemon(true);
                    return t;
                });
                poller.scheduleWithFixedDelay(this::check, POLL_MILLIS, POLL_MILLIS, TimeUnit.MILLISECONDS);
            }
        }
        refuse();
    }

    /** Releases readiness when the pool is warm or the time is up; restores the hold if it was overwritten. */
    private void check() {
        boolean release;
        boolean refuseAgain = false;
        synchronized (this) {
            if (done) {
                return;
            }
            List<String> cold = coldEndpoints();
            long heldNanos = System.nanoTime() - heldSinceNanos;
            release = cold.isEmpty() || heldNanos >= timeout.toNanos();
            if (release) {
                done = true;
                poller.shutdown();
                if (cold.isEmpty()) {
                    logger.info("conpool endpoints warm after " + heldNanos / 1_000_000 + " ms; readiness released");
                }
                else {
                    logger.warn("conpool endpoints not warm after " + timeout.toMillis()
                            + " ms, readiness released anyway: " + String.join(", ", cold));
                }
            }
            else {
                refuseAgain = readyWanted && availability.getReadinessState() == ReadinessState.ACCEPTING_TRAFFIC;
            }
            release = release && readyWanted;
        }
        if (release) {
            AvailabilityChangeEvent.publish(publisher, this, ReadinessState.ACCEPTING_TRAFFIC);
        }
        else if (refuseAgain) {
            refuse();
        }
    }

    private void refuse() {
        AvailabilityChangeEvent.publish(publisher, this, ReadinessState.REFUSING_TRAFFIC);
    }

    /** Named endpoints with fewer connections than their min-idle, as {@code name (open of min-idle)}. */
    private List<String> coldEndpoints() {
        List<String> cold = new ArrayList<>();
        pool.namedEndpoints().forEach((name, endpoint) -> {
            int minIdle = pool.config(endpoint).minIdlePerEndpoint();
            EndpointStats stats = pool.stats(endpoint);
            int open = stats.idle() + stats.active();
            if (open < minIdle) {
                cold.add(name + " (" + open + " of " + minIdle + " connections open)");
            }
        });
        return cold;
    }

    @Override
    public void destroy() {
        ScheduledExecutorService p;
        synchronized (this) {
            done = true;
            p = poller;
        }
        if (p != null) {
            p.shutdownNow();
        }
    }
}
