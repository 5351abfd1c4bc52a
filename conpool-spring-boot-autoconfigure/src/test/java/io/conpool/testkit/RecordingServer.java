package io.conpool.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback server that records what each client sends first and answers nothing useful: it reads until the
 * client pauses for {@code quietMillis} (or 64 KiB arrived), optionally writes a fixed reply, and closes. Used to
 * see what a client really puts on the wire (a TLS ClientHello, or plaintext where TLS was expected).
 *
 * <p>One thread, one connection at a time (tests open few); {@link #close()} stops it.
 */
public final class RecordingServer implements AutoCloseable {

    private final ServerSocket listener;

    private final Thread thread;

    private final byte[] reply;

    private final int quietMillis;

    private final List<byte[]> received = new CopyOnWriteArrayList<>();

    private volatile boolean closed;

    private RecordingServer(byte[] reply, int quietMillis) throws IOException {
        this.reply = reply.clone();
        this.quietMillis = quietMillis;
        this.listener = new ServerSocket();
        this.listener.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 16);
        this.thread = new Thread(this::serve, LoopbackServer.THREAD_PREFIX + "recording-server-" + listener.getLocalPort());
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** A server on 127.0.0.1 that records and then writes {@code reply} (may be empty) before closing. */
    public static RecordingServer start(byte[] reply) {
        try {
            return new RecordingServer(reply, 300);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("starting a recording server", ex);
        }
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** What each connection sent before pausing, in the order they were accepted. */
    public List<byte[]> received() {
        return new ArrayList<>(received);
    }

    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        }
        catch (IOException ignored) {
            // closing
        }
        try {
            thread.join(5_000);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            throw new IllegalStateException("recording server thread did not stop");
        }
    }

    private void serve() {
        while (!closed) {
            try (Socket s = listener.accept()) {
                s.setSoTimeout(quietMillis);
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                InputStream in = s.getInputStream();
                byte[] buf = new byte[4096];
                try {
                    int n;
                    while (bytes.size() < 65536 && (n = in.read(buf)) >= 0) {
                        bytes.write(buf, 0, n);
                    }
                }
                catch (SocketTimeoutException quiet) {
                    // the client waits for an answer: what it sent so far is its first flight
                }
                catch (IOException ex) {
                    // the client gave up; keep what arrived
                }
                received.add(bytes.toByteArray());
                if (reply.length > 0) {
                    try {
                        s.getOutputStream().write(reply);
                        s.getOutputStream().flush();
                    }
                    catch (IOException ignored) {
                        // the client is gone
                    }
                }
            }
            catch (IOException ex) {
                if (closed) {
                    return;
                }
            }
        }
    }
}
