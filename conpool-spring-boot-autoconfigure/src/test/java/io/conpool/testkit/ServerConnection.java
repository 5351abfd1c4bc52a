package io.conpool.testkit;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.SSLSocket;

/**
 * The server side of one accepted connection of a {@link LoopbackServer}. Tests use it to act as a misbehaving
 * peer: close the connection (FIN), reset it (RST), send bytes nobody asked for, or look at what arrived.
 *
 * <p>For TLS connections {@link #close()} sends a close_notify alert first, while {@link #closeWithoutCloseNotify()}
 * and {@link #reset()} act on the TCP socket underneath, so the client sees no TLS alert at all.
 */
public final class ServerConnection {

    /** Bytes kept per connection for {@link #received()}; the count goes on past it. */
    private static final int RECORD_LIMIT = 1 << 20;

    private final Socket raw;

    private final int index;

    private volatile Socket io;

    private volatile InputStream in;

    private volatile OutputStream out;

    private final AtomicLong bytesReceived = new AtomicLong();

    private final ByteArrayOutputStream record = new ByteArrayOutputStream();

    private volatile boolean closed;

    private volatile String sniHostName;

    private volatile String protocol;

    ServerConnection(Socket raw, int index) {
        this.raw = raw;
        this.index = index;
        this.io = raw;
    }

    /** Order of acceptance, from 0. */
    public int index() {
        return index;
    }

    /** The client's port: equal to {@code clientSocket.getLocalPort()} of the pooled connection it belongs to. */
    public int clientPort() {
        return raw.getPort();
    }

    /** Bytes received from the client (through TLS: application bytes only). */
    public long bytesReceived() {
        return bytesReceived.get();
    }

    /** The first MiB of what the client sent. */
    public byte[] received() {
        synchronized (record) {
            return record.toByteArray();
        }
    }

    /** Whether the server closed or reset it, or the client went away. */
    public boolean isClosed() {
        return closed;
    }

    /** The SNI host name the client sent, or {@code null} if it sent none (TLS only). */
    public String sniHostName() {
        return sniHostName;
    }

    /** The negotiated TLS protocol, e.g. {@code TLSv1.3}, or {@code null} for plaintext. */
    public String protocol() {
        return protocol;
    }

    /** Writes bytes the client did not ask for (through TLS for TLS connections), and flushes. */
    public void send(byte[] bytes) {
        try {
            OutputStream o = out();
            synchronized (o) {
                o.write(bytes);
                o.flush();
            }
        }
        catch (IOException ex) {
            throw new UncheckedIOException("sending to client port " + clientPort(), ex);
        }
    }

    /** Closes the connection in an orderly way: FIN (after a TLS close_notify for TLS). */
    public void close() {
        closed = true;
        closeQuietly(io);
        closeQuietly(raw);
    }

    /** Closes the TCP socket without any TLS close_notify (same as {@link #close()} for plaintext). */
    public void closeWithoutCloseNotify() {
        closed = true;
        closeQuietly(raw);
    }

    /** Resets the connection: SO_LINGER 0, then close, so the kernel sends an RST instead of a FIN. */
    public void reset() {
        closed = true;
        try {
            raw.setSoLinger(true, 0);
        }
        catch (IOException ignored) {
            // already closed: nothing to reset
        }
        closeQuietly(raw);
    }

    // ---------------------------------------------------------------- for the servers

    /** Input that counts and records what it reads. */
    InputStream in() throws IOException {
        if (in == null) {
            in = new Counting(io.getInputStream());
        }
        return in;
    }

    OutputStream out() throws IOException {
        if (out == null) {
            out = io.getOutputStream();
        }
        return out;
    }

    Socket raw() {
        return raw;
    }

    /** Switches the connection to TLS after the server-side handshake. */
    void upgraded(SSLSocket ssl, List<String> requestedNames) {
        this.io = ssl;
        this.in = null;
        this.out = null;
        this.protocol = ssl.getSession().getProtocol();
        this.sniHostName = requestedNames.isEmpty() ? null : requestedNames.get(0);
    }

    /** Echoes every byte back until the client closes or the connection is closed. */
    void echoUntilClosed(java.util.function.BooleanSupplier echoing) throws IOException {
        InputStream i = in();
        OutputStream o = out();
        byte[] buf = new byte[8192];
        int n;
        while ((n = i.read(buf)) >= 0) {
            if (echoing.getAsBoolean()) {
                synchronized (o) {
                    o.write(buf, 0, n);
                    o.flush();
                }
            }
        }
    }

    /** Holds the connection open without reading from it (the client's writes pile up) until it is closed. */
    void holdWithoutReading(java.util.function.BooleanSupplier serverClosed) {
        while (!closed && !serverClosed.getAsBoolean()) {
            try {
                Thread.sleep(5);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    void markClosed() {
        closed = true;
    }

    static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        }
        catch (Exception ignored) {
            // closing anyway
        }
    }

    @Override
    public String toString() {
        return "ServerConnection[#" + index + ", client port " + clientPort() + ", received " + bytesReceived()
                + (closed ? ", closed" : "") + "]";
    }

    private final class Counting extends FilterInputStream {

        Counting(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count(new byte[] { (byte) b }, 0, 1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count(b, off, n);
            }
            return n;
        }

        private void count(byte[] b, int off, int n) {
            bytesReceived.addAndGet(n);
            synchronized (record) {
                int room = RECORD_LIMIT - record.size();
                if (room > 0) {
                    record.write(b, off, Math.min(room, n));
                }
            }
        }
    }
}
