package io.conpool.autoconfigure.observation;

import io.conpool.ConnectionPoolObserver;
import io.conpool.Endpoint;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;

/**
 * The pool's {@link ConnectionPoolObserver}, in Micrometer Observations: each acquire, wait, connect attempt and TLS
 * handshake is an observation ({@value #ACQUIRE}, {@value #WAIT}, {@value #CONNECT}, {@value #HANDSHAKE}), started
 * and put in scope on the thread doing the work, so that it nests in what the caller observes (an HTTP request's
 * span, say), and the wait and connect attempts of an acquire nest in it, the handshake in its connect attempt. Key
 * values come from a {@link ConpoolObservationConvention} ({@link DefaultConpoolObservationConvention} unless the
 * application defines one).
 *
 * <p>An observation switched off (by an {@code ObservationPredicate}, e.g.
 * {@code management.observations.enable.conpool=false}) costs a context and a predicate check per phase; with
 * {@code conpool.observations.enabled=false} the pool has no observer at all.
 */
public final class ConpoolObservations implements ConnectionPoolObserver {

    /** A whole acquire. */
    public static final String ACQUIRE = "conpool.acquire";

    /** Waiting in line for a connection (only when none was free at once). */
    public static final String WAIT = "conpool.wait";

    /** One connect attempt: DNS (cached), TCP connect, TLS handshake. */
    public static final String CONNECT = "conpool.connect";

    /** The TLS handshake of a connect attempt. */
    public static final String HANDSHAKE = "conpool.handshake";

    private static final DefaultConpoolObservationConvention DEFAULT_CONVENTION = new DefaultConpoolObservationConvention();

    private final ObservationRegistry registry;

    private final String poolName;

    private final ConpoolObservationConvention convention;

    /**
     * @param registry where the observations go
     * @param poolName the pool's name (key {@code pool})
     * @param convention names and key values; {@code null} for {@link DefaultConpoolObservationConvention}
     */
    public ConpoolObservations(ObservationRegistry registry, String poolName, ConpoolObservationConvention convention) {
        this.registry = registry;
        this.poolName = poolName;
        this.convention = convention != null ? convention : DEFAULT_CONVENTION;
    }

    /** The observation name of a phase, e.g. {@value #ACQUIRE}. */
    public static String name(Phase phase) {
        switch (phase) {
            case ACQUIRE:
                return ACQUIRE;
            case WAIT:
                return WAIT;
            case CONNECT:
                return CONNECT;
            default:
                return HANDSHAKE;
        }
    }

    @Override
    public Scope start(Phase phase, Endpoint endpoint, String name) {
        ConpoolObservationContext context = new ConpoolObservationContext(phase, endpoint, name, poolName);
        Observation observation = Observation.createNotStarted(name(phase), () -> context, registry)
            .observationConvention(convention);
        if (observation.isNoop()) {
            return Scope.NONE; // children still find the caller's observation in scope, and nest in it
        }
        observation.start();
        return new Observed(context, observation, observation.openScope());
    }

    /** One phase in scope on its thread: closed and stopped, on that thread, when the pool says it ended. */
    private static final class Observed implements Scope {

        private final ConpoolObservationContext context;

        private final Observation observation;

        private final Observation.Scope scope;

        Observed(ConpoolObservationContext context, Observation observation, Observation.Scope scope) {
            this.context = context;
            this.observation = observation;
            this.scope = scope;
        }

        @Override
        public void succeeded(boolean reused) {
            context.ended(reused);
            scope.close();
            observation.stop();
        }

        @Override
        public void failed(Throwable error) {
            context.ended(false);
            observation.error(error);
            scope.close();
            observation.stop();
        }
    }
}
