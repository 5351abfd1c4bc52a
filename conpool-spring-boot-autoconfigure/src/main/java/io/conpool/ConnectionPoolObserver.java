package io.conpool;

import java.util.Locale;

/**
 * Told when each phase of the pool's work starts and when it ends, on the thread doing it, so that a tracer can make
 * each phase a span nested in what that thread is already doing. The Spring Boot starter adapts this to Micrometer
 * Observations; any tracer can be plugged in the same way ({@link ConnectionPool.Builder#observer}).
 *
 * <p>Where a {@link ConnectionPoolListener} reports what happened, an observer brackets work while it happens:
 * {@link #start} is called as a phase begins, and the {@link Scope} it returns is ended on the same thread when the
 * phase ends. Phases nest strictly on a thread: an acquire contains its wait and the connect attempts made for it,
 * and a connect attempt contains its TLS handshake. Connections the pool opens in the background (to keep
 * {@code minIdlePerEndpoint}) are observed on the pool's worker thread, outside any acquire.
 *
 * <p>A pool without an observer pays one null check per phase. The pool calls observers outside its locks, but on
 * its hot path: keep them quick. An observer that throws is logged and counted
 * ({@link EndpointStats#listenerErrors()}) and never breaks the pool.
 */
public interface ConnectionPoolObserver {

    /**
     * A phase begins on the calling thread.
     *
     * @param phase what begins
     * @param endpoint the endpoint it is for
     * @param name the endpoint's registered name ({@link ConnectionPool.Builder#endpoint(String, Endpoint)}), or
     * {@code null} for an endpoint met at run time
     * @return what the pool tells when the phase ends; {@link Scope#NONE} if this phase is of no interest
     */
    Scope start(Phase phase, Endpoint endpoint, String name);

    /** The phases of the pool's work that are observed. */
    enum Phase {

        /**
         * A whole acquire, from the call to the lease or the exception: waiting in line, checking idle connections,
         * opening one. Ends with whether the lease reuses an idle connection.
         */
        ACQUIRE,

        /**
         * Waiting in line for a connection, only when none was free at once: for one of the endpoint's connections,
         * or for room under the pool's {@code maxTotalConnections}.
         */
        WAIT,

        /**
         * One connect attempt (of up to {@code connectAttempts}): the host's addresses (from the DNS cache, or a
         * lookup), TCP connects to them in turn within the attempt's time, and the TLS handshake.
         */
        CONNECT,

        /** The TLS handshake of a connect attempt. */
        HANDSHAKE;

        /** Lower-case name, e.g. {@code acquire}, for names and tags. */
        public String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** One phase under way. The pool ends it exactly once, on the thread that started it. */
    interface Scope {

        /** For observers not interested in a phase. */
        Scope NONE = new Scope() {

            @Override
            public void succeeded(boolean reused) {
            }

            @Override
            public void failed(Throwable error) {
            }
        };

        /**
         * The phase ended well.
         *
         * @param reused for {@link Phase#ACQUIRE}, whether the lease got an idle connection (rather than a new one);
         * {@code false} for the other phases
         */
        void succeeded(boolean reused);

        /**
         * The phase ended with this error: for an acquire or a wait, the exception the caller gets; for a connect
         * attempt or a handshake, what ended it (an {@link java.io.IOException} such as a refused connection, a
         * timeout or an {@link javax.net.ssl.SSLException}, or a {@link DnsResolutionException}).
         */
        void failed(Throwable error);
    }
}
