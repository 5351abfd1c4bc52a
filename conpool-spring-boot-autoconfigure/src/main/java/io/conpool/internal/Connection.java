package io.conpool.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import javax.net.ssl.SSLSocket;

import io.conpool.CloseReason;

/**
 * One open socket and everything the pool knows about it: the object commons-pool2 keeps for conpool. Fields without
 * a note are touched only by the thread that holds the connection (its lessee, or the thread commons-pool2 lets
 * examine it while it is idle); commons-pool2's hand-over between them publishes them.
 */
final class Connection {

    private static final VarHandle CLOSED;

    private static final VarHandle FORGOTTEN;

    private static final VarHandle LEASED;

    private static final VarHandle GOODBYE;

    static {
        try {
            CLOSED = MethodHandles.lookup().findVarHandle(Connection.class, "closed", boolean.class);
            FORGOTTEN = MethodHandles.lookup().findVarHandle(Connection.class, "forgotten", boolean.class);
            LEASED = MethodHandles.lookup().findVarHandle(Connection.class, "leased", boolean.class);
            GOODBYE = MethodHandles.lookup().findVarHandle(Connection.class, "goodbye", boolean.class);
        }
        catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    final SocketChannel channel;

    /** What callers use: the channel's socket, or the TLS socket layered on it. */
    final Socket socket;

    /** {@code null} for plaintext. */
    final SSLSocket ssl;

    final InetSocketAddress remote;

    final long createdNanos;

    /** When the connection retires: creation + lifetime, shortened by its jitter. */
    final long expiresAtNanos;

    /** {@code clearEndpoint} generation it was created in; older ones are closed when seen. */
    final int generation;

    long lastUsedNanos;

    long uses;

    /** Set when the lease starts, for leak detection and lease timing. */
    long leasedAtNanos;

    /** Borrower's stack, recorded only when leak detection is on. */
    Throwable leasedBy;

    boolean leakReported;

    /** The endpoint it belongs to (set once, by the factory that opened it). */
    EndpointPool owner;

    /** Opened during the borrow that hands it out: no reuse rule applies to it yet. Cleared by that borrower. */
    boolean fresh;

    /** Why it must close, decided before commons-pool2 is asked to destroy it; {@code null} while it may live on. */
    CloseReason closeReason;

    /** What the endpoint's protocol handler's {@code init} returned for it ({@code null} without a handler). */
    Object protocolState;

    /**
     * The {@link CallContext#claim} of the {@code acquireNew} call that opened it, or {@code null}. Never cleared: a
     * claim object belongs to one call, so a stale one matches nothing.
     */
    Object claim;

    /**
     * A read through {@link #in()} returned data since this was last cleared (by the retry-once of idempotent work,
     * before the work runs): after that, running the work again is never safe. A plain write per read call.
     */
    boolean readSome;

    /** Whether a health check ever passed on it; if so, when ({@link #checkedAtNanos}, the endpoint's ticker). */
    boolean checked;

    long checkedAtNanos;

    /** Its lessee asked for the socket itself, so it may have changed socket options (put back on return). */
    boolean optionsTouched;

    /**
     * Whether a caller holds it, read only by other threads (leak reports, the forced close at shutdown), which may
     * see it a moment late: written with release semantics ({@link #markLeased}), which costs nothing on the borrow
     * path, where a volatile write would cost a fence.
     */
    @SuppressWarnings("unused") // accessed through LEASED
    private boolean leased;

    /** Its address dropped out of DNS: close when next seen. */
    volatile boolean retired;

    /** An I/O error happened on its streams. */
    private volatile boolean broken;

    /** Set once by {@link #close()} (through {@code CLOSED}; a field rather than an AtomicBoolean: one object less). */
    private volatile boolean closed;

    /** Set once by the first goodbye ({@link #claimGoodbye()}). */
    @SuppressWarnings("unused") // accessed through GOODBYE
    private volatile boolean goodbye;

    /** Set once when the pool stops counting it (see {@link #forget()}). */
    @SuppressWarnings("unused") // accessed through FORGOTTEN
    private volatile boolean forgotten;

    private ConnectionInput in;

    private ConnectionOutput out;

    private InputStream rawIn;

    private ByteBuffer probe;

    Connection(SocketChannel channel, SSLSocket ssl, InetSocketAddress remote, long createdNanos, long lifetimeNanos,
            int generation) {
        this.channel = channel;
        this.ssl = ssl;
        this.socket = ssl != null ? ssl : channel.socket();
        this.remote = remote;
        this.createdNanos = createdNanos;
        this.lastUsedNanos = createdNanos;
        this.expiresAtNanos = createdNanos + lifetimeNanos;
        this.generation = generation;
    }

    ConnectionInput in() {
        if (in == null) {
            try {
                in = new ConnectionInput(socket.getInputStream(), this);
            }
            catch (IOException ex) {
                markBroken();
                throw new UncheckedIOException(ex);
            }
        }
        return in;
    }

    ConnectionOutput out() {
        if (out == null) {
            try {
                out = new ConnectionOutput(socket.getOutputStream(), this);
            }
            catch (IOException ex) {
                markBroken();
                throw new UncheckedIOException(ex);
            }
        }
        return out;
    }

    /**
     * Drops the buffered streams of an idle connection (8 KB each), if both are empty; {@link #in()} and
     * {@link #out()} make new ones on the next lease. Called by the sweep, under the endpoint's lock, only for
     * connections that sat idle a whole validation interval.
     */
    void shedBuffers() {
        if (in != null && in.buffered() == 0) {
            in = null;
        }
        if (out != null && out.buffered() == 0) {
            out = null;
        }
    }

    /**
     * Puts back the options the pool connects with (no read timeout, {@code TCP_NODELAY} and {@code SO_KEEPALIVE}
     * on, no linger), writing only those that differ. Returns {@code false} if the socket refused, so the connection
     * goes. Called on return only if the lessee touched the socket: streams alone cannot change options.
     */
    boolean restoreOptions() {
        optionsTouched = false;
        try {
            if (socket.getSoTimeout() != 0) {
                socket.setSoTimeout(0);
            }
            if (!socket.getTcpNoDelay()) {
                socket.setTcpNoDelay(true);
            }
            if (!socket.getKeepAlive()) {
                socket.setKeepAlive(true);
            }
            if (socket.getSoLinger() != -1) {
                socket.setSoLinger(false, 0);
            }
            return true;
        }
        catch (IOException ex) {
            markBroken();
            return false;
        }
    }

    void markBroken() {
        broken = true;
    }

    boolean isClosed() {
        return closed;
    }

    /**
     * What a returning caller left behind that forbids reuse, or {@code null} if nothing: an I/O error, unread or
     * unflushed bytes, a socket closed or shut down behind the pool's back.
     */
    CloseReason leftoverOnReturn() {
        if (closed) {
            return CloseReason.POOL_CLOSED;
        }
        // Only a lessee that asked for the socket itself can have closed or shut it down (closing a stream does not):
        // the socket's own state (a lock in the JDK) is read only then.
        if (broken || (optionsTouched && (socket.isClosed() || socket.isInputShutdown() || socket.isOutputShutdown()))) {
            return CloseReason.BROKEN;
        }
        if ((in != null && in.buffered() > 0) || (out != null && out.buffered() > 0)) {
            return CloseReason.DIRTY;
        }
        return null;
    }

    /**
     * Is the idle connection still usable at the socket level? Returns {@code null} if so, otherwise why not. Costs
     * a few system calls and never blocks on a healthy connection: a non-blocking one-byte read on the channel tells
     * "peer closed" (end of stream or reset) from "bytes waiting" (dirty) from "nothing" (alive).
     *
     * <p>Under TLS, bytes waiting on the raw channel may be a close alert or TLS 1.3 post-handshake messages
     * (session tickets), which are not user data; those are read through the TLS layer with a 1 ms timeout
     * before judging.
     */
    CloseReason probe() {
        if (closed) {
            return CloseReason.POOL_CLOSED;
        }
        if (broken || socket.isClosed()) {
            return CloseReason.BROKEN;
        }
        if (in != null && in.buffered() > 0) {
            return CloseReason.DIRTY;
        }
        try {
            if (ssl != null && rawAvailable() > 0) {
                return probeThroughTls();
            }
            return probeRaw();
        }
        catch (IOException ex) {
            return CloseReason.PEER_CLOSED;
        }
    }

    private CloseReason probeRaw() throws IOException {
        ByteBuffer buf = probe;
        if (buf == null) {
            buf = probe = ByteBuffer.allocateDirect(1);
        }
        int n;
        synchronized (channel.blockingLock()) {
            channel.configureBlocking(false);
            try {
                n = channel.read(buf);
            }
            finally {
                channel.configureBlocking(true);
            }
        }
        buf.clear();
        if (n < 0) {
            return CloseReason.PEER_CLOSED;
        }
        // A byte that arrived on an idle connection is unexpected; under TLS it would also be part of a record we
        // just took away from the TLS layer. Either way the connection cannot be trusted.
        return n > 0 ? CloseReason.DIRTY : null;
    }

    private int rawAvailable() throws IOException {
        if (rawIn == null) {
            rawIn = channel.socket().getInputStream();
        }
        return rawIn.available();
    }

    private CloseReason probeThroughTls() throws IOException {
        InputStream tlsIn = ssl.getInputStream();
        if (tlsIn.available() > 0) {
            return CloseReason.DIRTY;
        }
        int saved = ssl.getSoTimeout();
        ssl.setSoTimeout(1);
        try {
            int b = tlsIn.read();
            return b < 0 ? CloseReason.PEER_CLOSED : CloseReason.DIRTY;
        }
        catch (SocketTimeoutException ex) {
            return null; // only handshake messages were waiting; the TLS layer consumed them
        }
        finally {
            if (!socket.isClosed()) {
                ssl.setSoTimeout(saved);
            }
        }
    }

    /**
     * Closes the TCP channel under the connection, without any TLS goodbye, so a lessee blocked reading or writing
     * on it fails at once. For closing a connection that another thread still holds: a TLS close first sends
     * close_notify, which needs the TLS record lock a blocked writer holds, so it would wait for that write, forever if
     * the peer stopped reading. {@link #close()} is still called afterwards and does the counting.
     */
    void abortChannel() {
        try {
            channel.close();
        }
        catch (IOException ignored) {
            // closing anyway
        }
    }

    void markLeased(boolean now) {
        LEASED.setRelease(this, now);
    }

    boolean isLeased() {
        return (boolean) LEASED.getAcquire(this);
    }

    /**
     * Marks the connection as no longer counted among its endpoint's open ones; returns {@code true} only for the
     * first call. (commons-pool2 may destroy one object twice when a clear races the evictor.)
     */
    boolean forget() {
        return FORGOTTEN.compareAndSet(this, false, true);
    }

    /**
     * Returns {@code true} for the first caller only: one goodbye per connection, even when commons-pool2 destroys it
     * twice (a clear racing the sweep).
     */
    boolean claimGoodbye() {
        return GOODBYE.compareAndSet(this, false, true);
    }

    /** Closes the socket; returns {@code true} only for the one call that actually closed it. */
    boolean close() {
        if (!CLOSED.compareAndSet(this, false, true)) {
            return false;
        }
        try {
            socket.close();
        }
        catch (IOException ignored) {
            // closing: nothing more to do
        }
        try {
            channel.close();
        }
        catch (IOException ignored) {
            // already closed with the socket
        }
        return true;
    }

    @Override
    public String toString() {
        return "Connection[" + remote + ", uses=" + uses + "]";
    }
}
