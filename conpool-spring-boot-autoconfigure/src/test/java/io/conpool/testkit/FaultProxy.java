package io.conpool.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback TCP proxy in front of an in-test server whose faults can be switched on and off while connections are
 * open: added latency, blackhole, reset (RST), half-close, close after N bytes, and closing connections idle longer
 * than a limit (what Redis {@code timeout} or nginx {@code keepalive_timeout} do to a pooled client).
 *
 * <p>Blocking I/O, two pump threads per proxied connection. Threads are bounded: at most {@code maxConnections}
 * connections are proxied at once (one more is accepted and closed at once, counted in {@link #rejected()}), so at
 * most {@code 2 * maxConnections + 2} threads run. {@link #close()} closes every socket it opened or accepted and
 * waits for its threads to end.
 *
 * <p>Faults act on the client-facing side as the pool sees them: {@link #resetAll()} sends an RST (SO_LINGER 0),
 * {@link #halfCloseAll()} sends a FIN to the client while still reading from it, idle closes and byte limits close
 * normally (FIN).
 */
public final class FaultProxy implements AutoCloseable {

    /** Which way bytes travel through the proxy. */
    public enum Direction {
        /** From the client (the pool) to the server. */
        TO_SERVER,
        /** From the server back to the client. */
        TO_CLIENT
    }

    private static final AtomicInteger IDS = new AtomicInteger();

    private final InetSocketAddress target;

    private final int maxConnections;

    private final ServerSocket listener;

    private final Thread acceptor;

    private final ThreadPoolExecutor pumps;

    private final ScheduledExecutorService reaper;

    private final Set<Link> links = ConcurrentHashMap.newKeySet();

    private final Object lifecycle = new Object();

    private volatile boolean closed;

    // Faults, read by the pumps for every chunk (so switching them acts on open connections too).
    private volatile long toServerDelayNanos;

    private volatile long toClientDelayNanos;

    private volatile double delayProbability = 1.0;

    private volatile boolean blackhole;

    private volatile boolean resetOnAccept;

    private volatile long closeAfterBytes = -1;

    private volatile long idleTimeoutNanos;

    // Counters.
    private final AtomicLong accepted = new AtomicLong();

    private final AtomicLong rejected = new AtomicLong();

    private final AtomicLong resets = new AtomicLong();

    private final AtomicLong halfCloses = new AtomicLong();

    private final AtomicLong idleCloses = new AtomicLong();

    private final AtomicLong byteLimitCloses = new AtomicLong();

    private final AtomicLong upstreamFailures = new AtomicLong();

    private final AtomicLong delayedChunks = new AtomicLong();

    private FaultProxy(InetSocketAddress target, InetSocketAddress bindAddress, int maxConnections) throws IOException {
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections (" + maxConnections + ") must be at least 1");
        }
        this.target = target;
        this.maxConnections = maxConnections;
        String name = LoopbackServer.THREAD_PREFIX + "fault-proxy-" + IDS.incrementAndGet();
        this.listener = new ServerSocket();
        this.listener.setReuseAddress(true);
        this.listener.bind(bindAddress, 128);
        // Fixed size with a queue: a pump of a new connection may wait a moment for a thread of a just-closed one,
        // but is never rejected, and there are never more than 2 threads per admitted connection.
        this.pumps = new ThreadPoolExecutor(2 * maxConnections, 2 * maxConnections, 1, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> daemon(r, name + "-pump"));
        this.pumps.allowCoreThreadTimeOut(true);
        this.reaper = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, name + "-reaper"));
        this.reaper.scheduleWithFixedDelay(this::closeIdleLinks, 10, 10, TimeUnit.MILLISECONDS);
        this.acceptor = daemon(this::acceptLoop, name + "-accept");
        this.acceptor.start();
    }

    /** A proxy on 127.0.0.1 forwarding to {@code target}, proxying at most 64 connections at once. */
    public static FaultProxy to(InetSocketAddress target) {
        return to(target, 64);
    }

    /** A proxy on 127.0.0.1 forwarding to {@code target}, proxying at most {@code maxConnections} at once. */
    public static FaultProxy to(InetSocketAddress target, int maxConnections) {
        try {
            return new FaultProxy(target, new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), maxConnections);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("starting a fault proxy to " + target, ex);
        }
    }

    /**
     * A proxy listening on a given loopback address and port (e.g. to put a server on {@code 127.0.0.1:P} when
     * another already listens on {@code 127.0.0.2:P}).
     *
     * @throws UncheckedIOException if that address and port cannot be bound
     */
    public static FaultProxy on(String bindAddress, int port, InetSocketAddress target) {
        try {
            return new FaultProxy(target, new InetSocketAddress(InetAddress.getByName(bindAddress), port), 64);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("starting a fault proxy on " + bindAddress + ":" + port, ex);
        }
    }

    /** A proxy on 127.0.0.1 forwarding to {@code 127.0.0.1:targetPort}. */
    public static FaultProxy to(int targetPort) {
        return to(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort));
    }

    /** Where clients connect. */
    public InetSocketAddress address() {
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    /** Host (an IPv4 literal) where clients connect. */
    public String host() {
        return address().getAddress().getHostAddress();
    }

    public int port() {
        return listener.getLocalPort();
    }

    // ---------------------------------------------------------------- faults

    /** Delays every chunk travelling in that direction by {@code delay} (zero: none). */
    public FaultProxy latency(Direction direction, Duration delay) {
        long nanos = delay.toNanos();
        if (nanos < 0) {
            throw new IllegalArgumentException("delay (" + delay + ") must not be negative");
        }
        if (direction == Direction.TO_SERVER) {
            toServerDelayNanos = nanos;
        }
        else {
            toClientDelayNanos = nanos;
        }
        return this;
    }

    /** Delays every chunk in both directions by {@code delay}. */
    public FaultProxy latency(Duration delay) {
        return latency(Direction.TO_SERVER, delay).latency(Direction.TO_CLIENT, delay);
    }

    /** Applies the configured latency to each chunk only with this probability (default 1: every chunk). */
    public FaultProxy latencyProbability(double probability) {
        if (!(probability >= 0 && probability <= 1)) {
            throw new IllegalArgumentException("probability (" + probability + ") must be between 0 and 1");
        }
        this.delayProbability = probability;
        return this;
    }

    /**
     * While on, bytes go nowhere: connections accepted now are never connected to the server (nothing ever answers
     * them), and open connections stop forwarding in both directions. Connections stay open.
     */
    public FaultProxy blackhole(boolean on) {
        this.blackhole = on;
        return this;
    }

    /** While on, each accepted connection is reset (RST) at once. */
    public FaultProxy resetOnAccept(boolean on) {
        this.resetOnAccept = on;
        return this;
    }

    /**
     * Closes a connection (FIN to the client) once it has carried {@code bytes} bytes in both directions together,
     * forwarding only the bytes up to the limit; a negative value turns this off. Acts on open connections too,
     * counting from their start.
     */
    public FaultProxy closeAfterBytes(long bytes) {
        this.closeAfterBytes = bytes;
        return this;
    }

    /**
     * Closes (FIN) connections that carried no byte in either direction for longer than {@code timeout}, checked
     * every 10 ms; {@code null} or zero turns this off.
     */
    public FaultProxy idleTimeout(Duration timeout) {
        this.idleTimeoutNanos = timeout == null ? 0 : timeout.toNanos();
        return this;
    }

    /** Turns every fault off (latency, blackhole, resets on accept, byte limit, idle timeout). */
    public FaultProxy heal() {
        toServerDelayNanos = 0;
        toClientDelayNanos = 0;
        delayProbability = 1.0;
        blackhole = false;
        resetOnAccept = false;
        closeAfterBytes = -1;
        idleTimeoutNanos = 0;
        return this;
    }

    /** Resets (RST, SO_LINGER 0) every open connection toward the client. Returns how many. */
    public int resetAll() {
        int n = 0;
        for (Link link : snapshot()) {
            if (link.reset()) {
                n++;
            }
        }
        return n;
    }

    /** Resets one open connection, chosen at random. Returns whether there was one. */
    public boolean resetOne() {
        List<Link> open = snapshot();
        if (open.isEmpty()) {
            return false;
        }
        return open.get(ThreadLocalRandom.current().nextInt(open.size())).reset();
    }

    /**
     * Half-closes every open connection toward the client ({@code shutdownOutput}: the client reads end of stream)
     * while still reading what the client sends; the server's answers are dropped. Returns how many.
     */
    public int halfCloseAll() {
        int n = 0;
        for (Link link : snapshot()) {
            if (link.halfClose()) {
                n++;
            }
        }
        return n;
    }

    /** Closes (FIN) every open connection. Returns how many. */
    public int closeAll() {
        int n = 0;
        for (Link link : snapshot()) {
            if (link.close()) {
                n++;
            }
        }
        return n;
    }

    // ---------------------------------------------------------------- counters

    /** Connections accepted since start (rejected ones included). */
    public long accepted() {
        return accepted.get();
    }

    /** Connections open through the proxy now. */
    public int active() {
        return links.size();
    }

    /** Connections turned away because {@code maxConnections} were already open. */
    public long rejected() {
        return rejected.get();
    }

    /** Connections reset, by {@link #resetAll()}, {@link #resetOne()} or {@link #resetOnAccept}. */
    public long resets() {
        return resets.get();
    }

    public long halfCloses() {
        return halfCloses.get();
    }

    /** Connections closed by {@link #idleTimeout}. */
    public long idleCloses() {
        return idleCloses.get();
    }

    /** Connections closed by {@link #closeAfterBytes}. */
    public long byteLimitCloses() {
        return byteLimitCloses.get();
    }

    /** Connections whose server side could not be reached (closed at once). */
    public long upstreamFailures() {
        return upstreamFailures.get();
    }

    /** Chunks that were held back by the latency fault. */
    public long delayedChunks() {
        return delayedChunks.get();
    }

    // ---------------------------------------------------------------- lifecycle

    /** Stops accepting, closes every connection and waits (up to 5 s) for the proxy's threads to end. */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
        }
        closeQuietly(listener);
        for (Link link : snapshot()) {
            link.close();
        }
        reaper.shutdownNow();
        pumps.shutdownNow();
        try {
            acceptor.join(5_000);
            if (acceptor.isAlive() || !pumps.awaitTermination(5, TimeUnit.SECONDS)
                    || !reaper.awaitTermination(5, TimeUnit.SECONDS)) {
                throw new IllegalStateException("fault proxy threads did not stop within 5 s");
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "FaultProxy[" + address() + " -> " + target + ", active=" + active() + "]";
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            }
            catch (IOException ex) {
                if (closed) {
                    return;
                }
                continue; // e.g. the client gave up before accept: keep serving
            }
            accepted.incrementAndGet();
            start(client);
        }
    }

    private void start(Socket client) {
        if (resetOnAccept) {
            resets.incrementAndGet();
            abort(client);
            return;
        }
        Link link = new Link(client);
        synchronized (lifecycle) {
            if (closed || links.size() >= maxConnections) {
                if (!closed) {
                    rejected.incrementAndGet();
                }
                closeQuietly(client);
                return;
            }
            links.add(link);
        }
        if (blackhole) {
            link.pumpsLeft.set(1);
            run(link, () -> link.pump(client, null, Direction.TO_SERVER));
            return;
        }
        try {
            Socket upstream = new Socket();
            upstream.setTcpNoDelay(true);
            link.upstream = upstream;
            if (link.closed.get()) {
                closeQuietly(upstream);
                return;
            }
            upstream.connect(target, 2_000);
        }
        catch (IOException ex) {
            upstreamFailures.incrementAndGet();
            link.close();
            return;
        }
        link.pumpsLeft.set(2);
        Socket upstream = link.upstream;
        run(link, () -> link.pump(client, upstream, Direction.TO_SERVER));
        run(link, () -> link.pump(upstream, client, Direction.TO_CLIENT));
    }

    private void run(Link link, Runnable pump) {
        try {
            pumps.execute(pump);
        }
        catch (RuntimeException ex) {
            link.close(); // shutting down
        }
    }

    private void closeIdleLinks() {
        long limit = idleTimeoutNanos;
        if (limit <= 0) {
            return;
        }
        long now = System.nanoTime();
        for (Link link : snapshot()) {
            if (now - link.lastActivityNanos > limit) {
                link.close(idleCloses);
            }
        }
    }

    private List<Link> snapshot() {
        return new ArrayList<>(links);
    }

    private void delay(Direction direction) {
        long nanos = direction == Direction.TO_SERVER ? toServerDelayNanos : toClientDelayNanos;
        if (nanos <= 0) {
            return;
        }
        double p = delayProbability;
        if (p < 1.0 && ThreadLocalRandom.current().nextDouble() >= p) {
            return;
        }
        delayedChunks.incrementAndGet();
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    /** One proxied connection: the accepted client socket and the socket to the server. */
    private final class Link {

        final Socket client;

        volatile Socket upstream;

        volatile long lastActivityNanos = System.nanoTime();

        final AtomicLong bytes = new AtomicLong();

        final AtomicInteger pumpsLeft = new AtomicInteger();

        final AtomicBoolean closed = new AtomicBoolean();

        volatile boolean halfClosed;

        Link(Socket client) {
            this.client = client;
        }

        /** Copies {@code from} to {@code to} ({@code null}: discard) until end of stream or an error. */
        void pump(Socket from, Socket to, Direction direction) {
            byte[] buf = new byte[8192];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to == null ? null : to.getOutputStream();
                while (true) {
                    int n = in.read(buf);
                    if (n < 0) {
                        if (to != null && !(direction == Direction.TO_CLIENT && halfClosed)) {
                            to.shutdownOutput(); // pass the FIN on
                        }
                        break;
                    }
                    lastActivityNanos = System.nanoTime();
                    if (out == null || blackhole || (direction == Direction.TO_CLIENT && halfClosed)) {
                        continue;
                    }
                    delay(direction);
                    long limit = closeAfterBytes;
                    long before = bytes.getAndAdd(n);
                    if (limit >= 0 && before + n >= limit) {
                        int allowed = (int) Math.max(0, limit - before);
                        if (allowed > 0) {
                            out.write(buf, 0, allowed);
                            out.flush();
                        }
                        close(byteLimitCloses);
                        return;
                    }
                    out.write(buf, 0, n);
                    out.flush();
                    lastActivityNanos = System.nanoTime();
                }
            }
            catch (IOException ex) {
                close(); // reset or closed under us: the other pump ends too
                return;
            }
            if (pumpsLeft.decrementAndGet() <= 0) {
                close();
            }
        }

        boolean reset() {
            if (!closed.compareAndSet(false, true)) {
                return false;
            }
            resets.incrementAndGet();
            abort(client);
            closeQuietly(upstream);
            links.remove(this);
            return true;
        }

        boolean halfClose() {
            if (closed.get() || halfClosed) {
                return false;
            }
            halfClosed = true;
            halfCloses.incrementAndGet(); // counted before the client can see it
            try {
                client.shutdownOutput();
                return true;
            }
            catch (IOException ex) {
                halfCloses.decrementAndGet();
                return false;
            }
        }

        boolean close() {
            return close(null);
        }

        /** Closes with a FIN; counts the close in {@code reason} (if given) before the client can see it. */
        boolean close(AtomicLong reason) {
            if (!closed.compareAndSet(false, true)) {
                return false;
            }
            if (reason != null) {
                reason.incrementAndGet();
            }
            closeQuietly(client);
            closeQuietly(upstream);
            links.remove(this);
            return true;
        }
    }

    /** Closes with an RST instead of a FIN. */
    private static void abort(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        }
        catch (SocketException ignored) {
            // already closed: nothing to reset
        }
        closeQuietly(socket);
    }

    private static void closeQuietly(AutoCloseable c) {
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

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
