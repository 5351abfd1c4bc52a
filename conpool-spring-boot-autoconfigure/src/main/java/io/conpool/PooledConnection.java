package io.conpool;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

/**
 * A lease on one pooled connection: exclusively yours until {@link #close()} gives it back or
 * {@link #invalidate()} destroys it. Use it with try-with-resources:
 *
 * <pre>{@code
 * try (PooledConnection c = pool.acquire(endpoint)) {
 *     c.out().write(request);
 *     c.out().flush();
 *     c.in().read(reply);
 * }
 * }</pre>
 *
 * <p>Speak through {@link #in()} and {@link #out()}: they are buffered, belong to the connection (so a parser's
 * read-ahead survives between leases), and let the pool see I/O errors. A connection returned with bytes unread in
 * {@code in()}'s buffer, bytes unflushed in {@code out()}, after an I/O error on either, or with its socket closed or
 * shut down, is destroyed rather than pooled. Closing either stream only flushes; it never closes the socket.
 *
 * <p>Every method except {@code close()}/{@code invalidate()} throws {@link IllegalStateException} once the lease
 * has ended; ending it a second time does too.
 */
public interface PooledConnection extends AutoCloseable {

    /** The endpoint this connection goes to. */
    Endpoint endpoint();

    /** The connected socket ({@link javax.net.ssl.SSLSocket} for TLS endpoints). Do not close it; return the lease. */
    Socket socket();

    /** Buffered input belonging to the connection. */
    InputStream in();

    /** Buffered output belonging to the connection; flush before returning. */
    OutputStream out();

    /** The address actually connected to (one of the host's resolved addresses). */
    InetSocketAddress remoteAddress();

    /** Time since the connection was opened. */
    Duration age();

    /** How many leases this connection has had, this one included. */
    long uses();

    /** Whether this lease came from an idle connection rather than a new one. */
    boolean reused();

    /**
     * The state the endpoint's {@link ProtocolHandler} made for this connection in {@link ProtocolHandler#init} (what
     * {@code AUTH} answered, the database selected, a session's parameters...), or {@code null} if it made none.
     *
     * @throws IllegalStateException if the endpoint has no protocol handler, or the lease has ended
     * @throws ClassCastException if the state is not a {@code T}
     */
    default <T> T protocolState(Class<T> type) {
        throw new UnsupportedOperationException("protocolState is not supported by " + getClass().getName());
    }

    /** Destroys the connection instead of returning it. Ends the lease. */
    void invalidate();

    /**
     * Returns the connection to the pool (or destroys it if it is dirty, broken, or past its limits). Ends the lease.
     *
     * @throws IllegalStateException if the lease has already ended
     */
    @Override
    void close();
}
