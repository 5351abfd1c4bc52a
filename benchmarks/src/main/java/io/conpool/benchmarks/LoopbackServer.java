package io.conpool.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;

/**
 * The in-process backend: for every connection, read a 64-byte request, write a 64-byte reply, until the client
 * closes. Plain or TLS 1.3; one listening socket per loopback address given (port chosen by the OS). Connection
 * handlers are platform threads from a cached pool (re-used, so connect-per-request does not pay for a new server
 * thread each time) or, for thousands of idle connections, virtual threads.
 */
final class LoopbackServer implements AutoCloseable {

    static final int MESSAGE_BYTES = 64;

    private final List<ServerSocket> listeners = new ArrayList<>();

    private final List<InetSocketAddress> addresses = new ArrayList<>();

    private final ExecutorService handlers;

    private final Set<Socket> open = ConcurrentHashMap.newKeySet();

    private final List<Thread> acceptors = new ArrayList<>();

    private volatile boolean closed;

    private LoopbackServer(boolean virtualHandlers) {
        this.handlers = virtualHandlers ? Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("server-", 0).factory())
                : Executors.newCachedThreadPool(r -> {
                    Thread t = new Thread(null, r, "server-handler", 256 * 1024);
                    t.setDaemon(true);
                    return t;
                });
    }

    static LoopbackServer start(List<InetAddress> bindAddresses, SSLContext tls, boolean virtualHandlers)
            throws IOException {
        LoopbackServer server = new LoopbackServer(virtualHandlers);
        try {
            for (InetAddress address : bindAddresses) {
                ServerSocket ss = tls == null ? new ServerSocket() : tls.getServerSocketFactory().createServerSocket();
                if (ss instanceof SSLServerSocket sss) {
                    sss.setEnabledProtocols(new String[] {"TLSv1.3"});
                }
                ss.setReuseAddress(true);
                ss.bind(new InetSocketAddress(address, 0), 4096);
                server.listeners.add(ss);
                server.addresses.add(new InetSocketAddress(address, ss.getLocalPort()));
            }
            // Few listeners: platform acceptors (fast accept for connect-per-request); many: virtual ones.
            boolean virtualAcceptors = bindAddresses.size() > 8;
            for (ServerSocket ss : server.listeners) {
                Runnable accept = () -> server.acceptLoop(ss);
                Thread t = virtualAcceptors ? Thread.ofVirtual().name("server-accept").unstarted(accept)
                        : Thread.ofPlatform().daemon().name("server-accept").unstarted(accept);
                server.acceptors.add(t);
                t.start();
            }
            return server;
        }
        catch (IOException | RuntimeException ex) {
            server.close();
            throw ex;
        }
    }

    List<InetSocketAddress> addresses() {
        return addresses;
    }

    /** Connections the server holds open right now. */
    int openConnections() {
        return open.size();
    }

    private void acceptLoop(ServerSocket ss) {
        while (!closed) {
            Socket s;
            try {
                s = ss.accept();
            }
            catch (IOException ex) {
                if (closed || ss.isClosed()) {
                    return;
                }
                continue;
            }
            open.add(s);
            try {
                handlers.execute(() -> serve(s));
            }
            catch (RejectedExecutionException ex) {
                closeQuietly(s);
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            s.setTcpNoDelay(true);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[MESSAGE_BYTES];
            while (true) {
                int n = in.readNBytes(buf, 0, MESSAGE_BYTES);
                if (n < MESSAGE_BYTES) {
                    return;
                }
                out.write(buf, 0, MESSAGE_BYTES);
            }
        }
        catch (IOException ex) {
            // the client went away (reset, or the server is closing)
        }
        finally {
            open.remove(s);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (ServerSocket ss : listeners) {
            try {
                ss.close();
            }
            catch (IOException ignored) {
                // closing
            }
        }
        for (Socket s : open) {
            closeQuietly(s);
        }
        handlers.shutdownNow();
        for (Thread t : acceptors) {
            try {
                t.join(5_000);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        }
        catch (IOException ignored) {
            // closing
        }
    }
}
