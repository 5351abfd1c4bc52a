package io.conpool.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.conpool.Endpoint;

/**
 * Base of the kit's in-JVM servers: a listener on a loopback address (port 0), one thread accepting and one thread
 * per connection, every accepted connection kept as a {@link ServerConnection} the test can close, reset or
 * inspect. {@link #close()} closes everything and joins every thread, so a server leaves no thread or file
 * descriptor behind (it fails loudly if a thread will not stop).
 *
 * <p>Thread names start with {@code testkit-}, which {@link LeakCheck} watches.
 */
public abstract class LoopbackServer implements AutoCloseable {

    /** Prefix of every thread a kit server starts. */
    public static final String THREAD_PREFIX = "testkit-";

    private final ServerSocket listener;

    private final String threadName;

    private final Thread acceptor;

    private final List<ServerConnection> connections = new CopyOnWriteArrayList<>();

    private final List<Thread> handlers = new CopyOnWriteArrayList<>();

    private final AtomicInteger accepted = new AtomicInteger();

    private volatile boolean closed;

    protected LoopbackServer(String kind, String bindAddress) {
        try {
            this.listener = new ServerSocket();
            listener.bind(new InetSocketAddress(InetAddress.getByName(bindAddress), 0), 128);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("binding a " + kind + " server on " + bindAddress, ex);
        }
        this.threadName = THREAD_PREFIX + kind + "-" + listener.getLocalPort();
        this.acceptor = new Thread(this::acceptLoop, threadName + "-accept");
        this.acceptor.setDaemon(true);
    }

    /** Starts accepting; called by the factory methods once the subclass is fully built. */
    protected final void startAccepting() {
        acceptor.start();
    }

    /**
     * Serves one connection in its own thread. Returning (or throwing) ends the connection: the server closes it.
     */
    protected abstract void serve(ServerConnection connection) throws IOException;

    /** Whether {@link #close()} was called. */
    protected final boolean isServerClosed() {
        return closed;
    }

    /** The address it listens on, e.g. {@code 127.0.0.1}. */
    public String host() {
        return listener.getInetAddress().getHostAddress();
    }

    public int port() {
        return listener.getLocalPort();
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(listener.getInetAddress(), port());
    }

    /** A plaintext endpoint for this server's address and port. */
    public Endpoint endpoint() {
        return Endpoint.of(host(), port());
    }

    /** Connections accepted since start. */
    public int accepted() {
        return accepted.get();
    }

    /** Every accepted connection, in order, open or not. */
    public List<ServerConnection> connections() {
        return List.copyOf(connections);
    }

    /** Accepted connections still open on the server side. */
    public List<ServerConnection> openConnections() {
        List<ServerConnection> open = new ArrayList<>();
        for (ServerConnection c : connections) {
            if (!c.isClosed()) {
                open.add(c);
            }
        }
        return open;
    }

    /** The server side of the client socket {@code client} (matched by the client's local port). */
    public ServerConnection connectionOf(Socket client) {
        int port = client.getLocalPort();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            for (ServerConnection c : connections) {
                if (c.clientPort() == port) {
                    return c;
                }
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("no connection from client port " + port + " on " + this);
            }
            pause();
        }
    }

    /** Waits until at least {@code n} connections were accepted. */
    public void awaitAccepted(int n, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (accepted.get() < n) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("expected " + n + " accepted connections within " + timeout.toMillis()
                        + " ms, got " + accepted.get() + " on " + this);
            }
            pause();
        }
    }

    /**
     * Asserts that exactly {@code n} connections were accepted, waiting up to 5 s for them first (a client's connect
     * completes in the kernel before this server's thread gets to accept it).
     */
    public void assertAccepted(int n) {
        awaitAccepted(n, Duration.ofSeconds(5));
        if (accepted.get() != n) {
            throw new AssertionError("expected exactly " + n + " accepted connections, got " + accepted.get() + " on "
                    + this);
        }
    }

    /**
     * Closes the listener and waits for the accepting thread to end: from then on connects are refused (the kernel
     * releases a listening socket only once the thread blocked in accept has left it). Accepted connections go on.
     */
    public void stopAccepting() {
        ServerConnection.closeQuietly(listener);
        if (Thread.currentThread() != acceptor && acceptor.isAlive()) {
            join(acceptor);
        }
    }

    /** Closes every open connection with a FIN (after close_notify for TLS). */
    public void closeAll() {
        for (ServerConnection c : connections) {
            c.close();
        }
    }

    /** Resets every open connection (RST). */
    public void resetAll() {
        for (ServerConnection c : connections) {
            c.reset();
        }
    }

    /** Closes the listener and every connection, and waits for every thread of this server to end. */
    @Override
    public void close() {
        closed = true;
        stopAccepting();
        closeAll();
        for (Thread t : handlers) {
            join(t);
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + host() + ":" + port() + ", accepted " + accepted.get() + "]";
    }

    private void acceptLoop() {
        while (!closed) {
            Socket s;
            try {
                s = listener.accept();
            }
            catch (IOException ex) {
                return; // listener closed
            }
            // Counted only once listed, so that a test that awaited n accepted connections can look at the n-th.
            // (One acceptor thread: nobody else moves the count between these lines.)
            int index = accepted.get();
            ServerConnection c = new ServerConnection(s, index);
            connections.add(c);
            accepted.incrementAndGet();
            Thread t = new Thread(() -> handle(c), threadName + "-conn-" + index);
            t.setDaemon(true);
            handlers.add(t);
            if (closed) {
                c.close();
            }
            t.start();
        }
    }

    private void handle(ServerConnection c) {
        try {
            serve(c);
        }
        catch (SocketException ex) {
            // closed or reset by either side: the normal end of a test connection
        }
        catch (IOException | RuntimeException ex) {
            // a misbehaving client is what tests provoke; the connection just ends
        }
        finally {
            c.markClosed();
            if (!c.raw().isClosed()) {
                c.close();
            }
        }
    }

    private static void join(Thread t) {
        try {
            t.join(5_000);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping " + t.getName(), ex);
        }
        if (t.isAlive()) {
            throw new IllegalStateException("server thread " + t.getName() + " did not stop within 5 s");
        }
    }

    private static void pause() {
        try {
            Thread.sleep(2);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", ex);
        }
    }
}
