package io.conpool.internal;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

import io.conpool.CloseReason;
import io.conpool.Endpoint;
import io.conpool.PooledConnection;

/**
 * One lease of a {@link Connection}. A fresh object per acquire, so a stale reference kept after the lease ended
 * cannot touch the connection's next lessee: every accessor checks the lease is still open.
 */
final class Lease implements PooledConnection {

    private static final VarHandle ENDED;

    static {
        try {
            ENDED = MethodHandles.lookup().findVarHandle(Lease.class, "ended", boolean.class);
        }
        catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    final EndpointPool owner;

    final Connection connection;

    private final boolean reused;

    @SuppressWarnings("unused") // accessed through ENDED
    private volatile boolean ended;

    Lease(EndpointPool owner, Connection connection, boolean reused) {
        this.owner = owner;
        this.connection = connection;
        this.reused = reused;
    }

    @Override
    public Endpoint endpoint() {
        return owner.endpoint;
    }

    @Override
    public Socket socket() {
        checkOpen();
        connection.optionsTouched = true; // whatever the caller sets on it is put back on return
        return connection.socket;
    }

    @Override
    public InputStream in() {
        checkOpen();
        return connection.in();
    }

    @Override
    public OutputStream out() {
        checkOpen();
        return connection.out();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return connection.remote;
    }

    @Override
    public Duration age() {
        return Duration.ofNanos(owner.ticker.nanoTime() - connection.createdNanos);
    }

    @Override
    public long uses() {
        return connection.uses;
    }

    @Override
    public boolean reused() {
        return reused;
    }

    @Override
    public <T> T protocolState(Class<T> type) {
        checkOpen();
        if (owner.protocol == null) {
            throw new IllegalStateException(owner.endpoint + " has no protocol handler (PoolConfig.protocolHandler)");
        }
        return type.cast(connection.protocolState);
    }

    @Override
    public void invalidate() {
        end(CloseReason.INVALIDATED, "invalidate");
    }

    @Override
    public void close() {
        end(null, "close");
    }

    /** Ends the lease exactly once: destroys the connection for {@code reason}, or returns it if {@code null}. */
    void end(CloseReason reason, String action) {
        if (!ENDED.compareAndSet(this, false, true)) {
            throw new IllegalStateException("cannot " + action + " a lease of " + owner.endpoint
                    + " that has already ended (returned or invalidated)");
        }
        owner.release(this, reason);
    }

    /**
     * Ends a lease that was only a view for the pool's own call (a health check, a protocol handler's call), without
     * returning anything: whoever kept a reference to it cannot use the connection afterwards.
     */
    void detach() {
        ENDED.setVolatile(this, true);
    }

    boolean isEnded() {
        return ended;
    }

    private void checkOpen() {
        if (ended) {
            throw new IllegalStateException("the lease of " + owner.endpoint + " has ended; acquire a new one");
        }
    }

    @Override
    public String toString() {
        return "PooledConnection[" + owner.endpoint + " via " + connection.remote + (ended ? ", ended" : "") + "]";
    }
}
