package io.conpool.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the kernel's view of a client socket from {@code /proc/net/tcp} and {@code /proc/net/tcp6}, so a test can
 * wait for an event to have reached the client (the peer's FIN or RST, bytes in the receive queue) instead of
 * sleeping and hoping. The socket is found by its local and remote ports.
 */
public final class TcpStates {

    /** TCP state codes as Linux prints them. */
    private static final String ESTABLISHED = "01";

    private static final String SYN_SENT = "02";

    /** Linux's {@code O_NONBLOCK} file status flag (octal, as {@code /proc/self/fdinfo} prints flags). */
    private static final long O_NONBLOCK = 04000;

    private static final Path[] TABLES = { Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6") };

    private TcpStates() {
    }

    /**
     * The kernel's entry for a socket: state code (e.g. {@code 01} established, {@code 08} close-wait), queues, and
     * the socket's inode (what {@code /proc/self/fd} links name as {@code socket:[inode]}).
     */
    public record Entry(String state, long sendQueue, long receiveQueue, long inode) {

        public boolean established() {
            return ESTABLISHED.equals(state);
        }
    }

    /** The entry for the connection from {@code localPort} to {@code remotePort}, if the kernel still has one. */
    public static Optional<Entry> find(int localPort, int remotePort) {
        String local = ":" + String.format(Locale.ROOT, "%04X", localPort);
        String remote = ":" + String.format(Locale.ROOT, "%04X", remotePort);
        for (Path table : TABLES) {
            try {
                for (String line : Files.readAllLines(table)) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 9 && f[1].endsWith(local) && f[2].endsWith(remote)) {
                        String[] queues = f[4].split(":");
                        return Optional.of(new Entry(f[3], Long.parseLong(queues[0], 16), Long.parseLong(queues[1], 16),
                                Long.parseLong(f[9])));
                    }
                }
            }
            catch (IOException ex) {
                throw new UncheckedIOException("reading " + table + " (the kit needs Linux /proc)", ex);
            }
        }
        return Optional.empty();
    }

    /**
     * Sockets of this process whose connect to {@code remotePort} is in progress (state SYN_SENT: the SYN went out,
     * no answer yet), for a test that must act while a connect hangs. Only this process's sockets are counted (the
     * kernel's table lists every process's).
     */
    public static int connectingTo(int remotePort) {
        String remote = ":" + String.format(Locale.ROOT, "%04X", remotePort);
        java.util.Set<String> ours = new java.util.HashSet<>(OpenSockets.descriptors().values());
        int n = 0;
        for (Path table : TABLES) {
            try {
                for (String line : Files.readAllLines(table)) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 9 && f[2].endsWith(remote) && SYN_SENT.equals(f[3])
                            && ours.contains("socket:[" + f[9] + "]")) {
                        n++;
                    }
                }
            }
            catch (IOException ex) {
                throw new UncheckedIOException("reading " + table + " (the kit needs Linux /proc)", ex);
            }
        }
        return n;
    }

    /** Waits until the peer's FIN or RST has reached {@code client}: no longer established, or gone. */
    public static void awaitPeerClosed(Socket client) {
        awaitPeerClosed(client.getLocalPort(), client.getPort());
    }

    public static void awaitPeerClosed(int localPort, int remotePort) {
        await(() -> find(localPort, remotePort).map(e -> !e.established()).orElse(true),
                "the peer's close to reach local port " + localPort);
    }

    /** Waits until at least {@code bytes} unread bytes sit in the kernel's receive queue of {@code client}. */
    public static void awaitReceived(Socket client, long bytes) {
        awaitReceived(client.getLocalPort(), client.getPort(), bytes);
    }

    public static void awaitReceived(int localPort, int remotePort, long bytes) {
        await(() -> find(localPort, remotePort).map(e -> e.receiveQueue() >= bytes).orElse(false),
                bytes + " bytes to arrive at local port " + localPort);
    }

    /**
     * Whether the operating system has {@code client}'s file descriptor in non-blocking mode ({@code O_NONBLOCK} in
     * {@code /proc/self/fdinfo}), whatever Java's {@code isBlocking()} says.
     */
    public static boolean nonBlockingAtOsLevel(Socket client) {
        long inode = find(client.getLocalPort(), client.getPort()).orElseThrow(
                () -> new AssertionError("no kernel entry for local port " + client.getLocalPort())).inode();
        String link = "socket:[" + inode + "]";
        for (Map.Entry<String, String> fd : OpenSockets.descriptors().entrySet()) {
            if (fd.getValue().equals(link)) {
                try {
                    for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo", fd.getKey()))) {
                        if (line.startsWith("flags:")) {
                            return (Long.parseLong(line.substring(6).trim(), 8) & O_NONBLOCK) != 0;
                        }
                    }
                }
                catch (IOException ex) {
                    throw new UncheckedIOException("reading /proc/self/fdinfo/" + fd.getKey(), ex);
                }
            }
        }
        throw new AssertionError("no descriptor of this process is " + link);
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after 5 s waiting for " + what);
            }
            try {
                Thread.sleep(1);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, ex);
            }
        }
    }
}
