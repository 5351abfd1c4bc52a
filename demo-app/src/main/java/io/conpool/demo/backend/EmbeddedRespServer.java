package io.conpool.demo.backend;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small TCP server speaking a subset of Redis' RESP (see {@link RespCommands}), so the demo has a backend to pool
 * connections to without any outside service. Plain Java, no Spring: {@link #start()} binds and starts accepting,
 * {@link #close()} stops everything.
 *
 * <p>One thread per connected client, from an executor bounded by {@code maxClients} (JDK 17 has no virtual threads;
 * blocking I/O on a bounded pool keeps the code obvious). A client arriving when all slots are taken gets Redis'
 * {@code -ERR max number of clients reached} and is disconnected, instead of waiting unseen in a queue.
 */
public final class EmbeddedRespServer implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(EmbeddedRespServer.class);

    private static final byte[] TOO_MANY_CLIENTS = "-ERR max number of clients reached\r\n"
            .getBytes(StandardCharsets.US_ASCII);

    private final InetAddress bindAddress;

    private final int requestedPort;

    private final int maxClients;

    private final RespCommands commands;

    private final RespCommandReader reader;

    private final Semaphore clientSlots;

    private final Set<Socket> clients = ConcurrentHashMap.newKeySet();

    private final AtomicInteger accepted = new AtomicInteger();

    private final AtomicInteger refused = new AtomicInteger();

    private ServerSocket serverSocket;

    private Thread acceptor;

    private ThreadPoolExecutor handlers;

    private volatile boolean closed;

    /**
     * @param bindAddress address to listen on (the demo uses loopback)
     * @param port port to listen on, 0 for one chosen by the kernel
     * @param maxClients most clients connected at once (each has a thread)
     * @param maxKeys most keys held in memory
     * @param maxBulkLength longest key or value accepted, in bytes
     */
    public EmbeddedRespServer(InetAddress bindAddress, int port, int maxClients, int maxKeys, int maxBulkLength) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0-65535, was " + port);
        }
        if (maxClients < 1) {
            throw new IllegalArgumentException("maxClients must be at least 1, was " + maxClients);
        }
        if (maxKeys < 1) {
            throw new IllegalArgumentException("maxKeys must be at least 1, was " + maxKeys);
        }
        if (maxBulkLength < 1) {
            throw new IllegalArgumentException("maxBulkLength must be at least 1, was " + maxBulkLength);
        }
        this.bindAddress = bindAddress;
        this.requestedPort = port;
        this.maxClients = maxClients;
        this.commands = new RespCommands(maxKeys);
        this.reader = new RespCommandReader(maxBulkLength);
        this.clientSlots = new Semaphore(maxClients);
    }

    /** Binds the port and starts accepting clients. Fails if the port is taken. */
    public synchronized void start() throws IOException {
        if (serverSocket != null) {
            throw new IllegalStateException("already started");
        }
        ServerSocket socket = new ServerSocket();
        try {
            socket.bind(new InetSocketAddress(bindAddress, requestedPort), 128);
        }
        catch (IOException ex) {
            socket.close();
            throw new IOException("cannot listen on " + bindAddress.getHostAddress() + ":" + requestedPort + ": "
                    + ex.getMessage(), ex);
        }
        serverSocket = socket;
        // Core size = max size with core time-out: threads exist only while clients are connected, never more than
        // maxClients of them, and a client whose slot was just freed never meets a rejection.
        // Thread names carry the port: several servers may live in one JVM (tests), and each must be told apart.
        String prefix = "resp-backend-" + socket.getLocalPort() + "-";
        handlers = new ThreadPoolExecutor(maxClients, maxClients, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                daemonThreads(prefix + "client-"));
        handlers.allowCoreThreadTimeOut(true);
        acceptor = new Thread(this::acceptLoop, prefix + "accept");
        acceptor.setDaemon(true);
        acceptor.start();
        logger.info("Embedded RESP backend listening on {}:{}", bindAddress.getHostAddress(), port());
    }

    /** The port listened on (the kernel's choice when started with 0). */
    public int port() {
        ServerSocket socket = serverSocket;
        if (socket == null) {
            throw new IllegalStateException("not started");
        }
        return socket.getLocalPort();
    }

    /** The address listened on. */
    public InetAddress bindAddress() {
        return bindAddress;
    }

    /** Clients connected now. */
    public int connectedClients() {
        return clients.size();
    }

    /** Clients accepted since start, including refused ones. */
    public int acceptedClients() {
        return accepted.get();
    }

    /** Clients turned away because {@code maxClients} were connected. */
    public int refusedClients() {
        return refused.get();
    }

    /** Keys held now. */
    public int keys() {
        return commands.size();
    }

    /** Threads serving clients now. */
    public int clientThreads() {
        ThreadPoolExecutor executor = handlers;
        return executor == null ? 0 : executor.getPoolSize();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = serverSocket.accept();
            }
            catch (IOException ex) {
                if (!closed) {
                    logger.warn("Embedded RESP backend stopped accepting: {}", ex.toString());
                }
                return;
            }
            accepted.incrementAndGet();
            if (!clientSlots.tryAcquire()) {
                refused.incrementAndGet();
                refuse(client);
                continue;
            }
            clients.add(client);
            if (closed) {
                // close() may have swept the client set before this one joined it.
                disconnect(client);
                continue;
            }
            try {
                handlers.execute(() -> serve(client));
            }
            catch (RuntimeException ex) {
                // Only after shutdown: the executor never rejects otherwise (unbounded queue behind maxClients permits).
                clients.remove(client);
                clientSlots.release();
                disconnect(client);
            }
        }
    }

    private void serve(Socket client) {
        try (client) {
            client.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(client.getInputStream(), 8192);
            OutputStream out = new BufferedOutputStream(client.getOutputStream(), 8192);
            try {
                while (!closed) {
                    List<byte[]> command = reader.read(in);
                    if (command == null) {
                        return;
                    }
                    if (command.isEmpty()) {
                        continue;
                    }
                    boolean keepOpen = commands.execute(command, out);
                    // Pipelined commands already buffered get their replies in one write.
                    if (!keepOpen || in.available() == 0) {
                        out.flush();
                    }
                    if (!keepOpen) {
                        return;
                    }
                }
            }
            catch (RespProtocolException ex) {
                RespCommands.protocolError(out, ex.getMessage());
                out.flush();
            }
        }
        catch (EOFException | SocketException ex) {
            // The client went away mid-command, or close() closed its socket: nothing to answer.
        }
        catch (IOException ex) {
            if (!closed) {
                logger.debug("Embedded RESP backend: client {} failed: {}", client.getRemoteSocketAddress(), ex.toString());
            }
        }
        finally {
            clients.remove(client);
            clientSlots.release();
        }
    }

    private static void refuse(Socket client) {
        try (client) {
            client.getOutputStream().write(TOO_MANY_CLIENTS);
        }
        catch (IOException ex) {
            // It may already be gone; it is being turned away anyway.
        }
    }

    private static void disconnect(Socket client) {
        try {
            client.close();
        }
        catch (IOException ex) {
            // Closing for shutdown: nothing left to do with it.
        }
    }

    /**
     * Stops accepting, disconnects every client and waits (up to 5 s) for their threads to end. Idempotent. Data
     * is lost: the store lives in memory only.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (serverSocket == null) {
            return;
        }
        try {
            serverSocket.close();
        }
        catch (IOException ex) {
            logger.debug("Closing the listening socket failed: {}", ex.toString());
        }
        clients.forEach(EmbeddedRespServer::disconnect);
        handlers.shutdown();
        try {
            acceptor.join(TimeUnit.SECONDS.toMillis(5));
            if (!handlers.awaitTermination(5, TimeUnit.SECONDS)) {
                handlers.shutdownNow();
                logger.warn("Embedded RESP backend: client threads still running 5 s after close");
            }
        }
        catch (InterruptedException ex) {
            handlers.shutdownNow();
            Thread.currentThread().interrupt();
        }
        logger.info("Embedded RESP backend on port {} stopped", serverSocket.getLocalPort());
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger counter = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + counter.incrementAndGet());
            // Daemon: a test that forgets close() must not keep the JVM alive.
            thread.setDaemon(true);
            return thread;
        };
    }
}
