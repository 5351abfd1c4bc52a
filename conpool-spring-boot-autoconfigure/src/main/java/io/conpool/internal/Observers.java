package io.conpool.internal;

import java.util.List;

import io.conpool.ConnectionPoolObserver;
import io.conpool.ConnectionPoolObserver.Phase;
import io.conpool.ConnectionPoolObserver.Scope;
import io.conpool.Endpoint;

/**
 * The pool's {@link ConnectionPoolObserver}s and the one way they are called: each in turn, a throw counted and
 * logged like a listener's, never passed to the caller. The pool holds {@code null} instead of an instance when
 * there is no observer, so an unobserved phase costs one null check and nothing else (no clock read, no
 * allocation, no name lookup).
 */
final class Observers {

    private final ConnectionPoolObserver[] all;

    private final DefaultConnectionPool pool;

    private Observers(List<ConnectionPoolObserver> observers, DefaultConnectionPool pool) {
        this.all = observers.toArray(ConnectionPoolObserver[]::new);
        this.pool = pool;
    }

    /** The observers, or {@code null} if there are none. */
    static Observers of(List<ConnectionPoolObserver> observers, DefaultConnectionPool pool) {
        return observers.isEmpty() ? null : new Observers(observers, pool);
    }

    /** A phase begins on this thread: every observer is told; end what this returns on the same thread. */
    Observed start(Phase phase, Endpoint endpoint) {
        String name = pool.nameOf(endpoint);
        Scope[] scopes = new Scope[all.length];
        for (int i = 0; i < all.length; i++) {
            Scope s = null;
            try {
                s = all[i].start(phase, endpoint, name);
            }
            catch (RuntimeException ex) {
                pool.observerFailed(endpoint, ex);
            }
            scopes[i] = s != null ? s : Scope.NONE;
        }
        return new Observed(endpoint, scopes);
    }

    /** One phase under way, for every observer; ended once. Ends in the reverse order of the starts (nesting). */
    final class Observed {

        private final Endpoint endpoint;

        private final Scope[] scopes;

        private Observed(Endpoint endpoint, Scope[] scopes) {
            this.endpoint = endpoint;
            this.scopes = scopes;
        }

        void succeeded(boolean reused) {
            for (int i = scopes.length - 1; i >= 0; i--) {
                try {
                    scopes[i].succeeded(reused);
                }
                catch (RuntimeException ex) {
                    pool.observerFailed(endpoint, ex);
                }
            }
        }

        void failed(Throwable error) {
            for (int i = scopes.length - 1; i >= 0; i--) {
                try {
                    scopes[i].failed(error);
                }
                catch (RuntimeException ex) {
                    pool.observerFailed(endpoint, ex);
                }
            }
        }
    }
}
