package io.conpool.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A loopback address where a TCP connect hangs until the client's own timeout: a listener with a backlog of 1
 * that never accepts, whose accept queue is filled with connections this object keeps open.
 *
 * <p>Why it works on Linux: the accept queue of a listener with backlog {@code b} holds {@code b + 1} established
 * connections; once it is full, the kernel drops incoming SYNs silently (counted as ListenOverflows), so the client
 * retransmits its SYN and its connect times out, exactly as with a host that does not answer. This needs
 * {@code net.ipv4.tcp_abort_on_overflow = 0} (the default): with 1 the kernel answers with an RST in the overflow
 * case and the connect is refused instead. Java maps a backlog of 0 to 50, hence 1.
 *
 * <p>{@link #open()} checks the kernel setting, fills the queue until a connect times out, and checks once more
 * that a fresh connect times out rather than being refused or accepted; it fails with an explanation otherwise
 * (it never skips).
 */
public final class ConnectTimeoutTarget implements AutoCloseable {

    private static final Path ABORT_ON_OVERFLOW = Path.of("/proc/sys/net/ipv4/tcp_abort_on_overflow");

    private static final int PROBE_TIMEOUT_MS = 150;

    private static final int MAX_FILLERS = 64;

    private final ServerSocket listener;

    private final List<Socket> fillers = new ArrayList<>();

    private ConnectTimeoutTarget(ServerSocket listener) {
        this.listener = listener;
    }

    /**
     * Opens a target on 127.0.0.1, on a free port.
     *
     * @throws IllegalStateException if this kernel would refuse or accept the connect instead of letting it hang
     */
    public static ConnectTimeoutTarget open() {
        return open("127.0.0.1", 0);
    }

    /**
     * Opens a target on that loopback address and port (0: any free port).
     *
     * @throws UncheckedIOException if the address and port cannot be bound
     * @throws IllegalStateException if this kernel would refuse or accept the connect instead of letting it hang
     */
    public static ConnectTimeoutTarget open(String address, int port) {
        requireSilentOverflow();
        ServerSocket listener = null;
        ConnectTimeoutTarget target = null;
        try {
            listener = new ServerSocket();
            listener.setReuseAddress(true); // a TIME_WAIT connection on that port must not block a chosen port
            listener.bind(new InetSocketAddress(InetAddress.getByName(address), port), 1);
            target = new ConnectTimeoutTarget(listener);
            target.fill();
            target.verifyHangs();
            return target;
        }
        catch (IOException | RuntimeException ex) {
            if (target != null) {
                target.close();
            }
            else if (listener != null) {
                try {
                    listener.close();
                }
                catch (IOException ignored) {
                    // failing anyway
                }
            }
            if (ex instanceof IOException) {
                throw new UncheckedIOException("opening a connect-timeout target", (IOException) ex);
            }
            throw (RuntimeException) ex;
        }
    }

    /** Fails loudly unless the kernel drops SYNs to a listener whose accept queue is full. */
    public static void requireSilentOverflow() {
        String value;
        try {
            value = Files.readString(ABORT_ON_OVERFLOW, StandardCharsets.US_ASCII).trim();
        }
        catch (IOException ex) {
            throw new IllegalStateException("cannot read " + ABORT_ON_OVERFLOW + " (" + ex + "): the connect-timeout "
                    + "tests need Linux, where a listener with a full accept queue drops new SYNs", ex);
        }
        if (!value.equals("0")) {
            throw new IllegalStateException(ABORT_ON_OVERFLOW + " is " + value + ", but the connect-timeout tests need "
                    + "0 (the Linux default): with 1 the kernel resets connections to a listener whose accept queue "
                    + "is full, so a connect is refused instead of timing out. Run `sysctl -w "
                    + "net.ipv4.tcp_abort_on_overflow=0` on the test machine.");
        }
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    /** The address it listens on, e.g. {@code 127.0.0.1}. */
    public String host() {
        return address().getAddress().getHostAddress();
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** Connections held open in the accept queue (backlog + 1 on Linux). */
    public int queued() {
        return fillers.size();
    }

    /** Closes the queued connections and the listener. */
    @Override
    public void close() {
        for (Socket s : fillers) {
            closeQuietly(s);
        }
        fillers.clear();
        closeQuietly(listener);
    }

    private void fill() throws IOException {
        while (fillers.size() < MAX_FILLERS) {
            Socket s = new Socket();
            try {
                s.connect(address(), PROBE_TIMEOUT_MS);
                fillers.add(s);
            }
            catch (SocketTimeoutException ex) {
                s.close();
                if (fillers.isEmpty()) {
                    throw new IllegalStateException("a connect to a fresh listener on " + address()
                            + " timed out: the machine is too loaded to build the connect-timeout target");
                }
                return; // the queue is full
            }
            catch (IOException ex) {
                s.close();
                throw new IllegalStateException("filling the accept queue of " + address() + " failed: " + ex, ex);
            }
        }
        throw new IllegalStateException(MAX_FILLERS + " connects to a listener with backlog 1 on " + address()
                + " all succeeded: this kernel does not bound the accept queue as Linux does");
    }

    private void verifyHangs() throws IOException {
        try (Socket s = new Socket()) {
            s.connect(address(), PROBE_TIMEOUT_MS);
            throw new IllegalStateException("a connect to the full listener " + address()
                    + " succeeded: connects there would not time out");
        }
        catch (SocketTimeoutException expected) {
            // the SYN was dropped: this is the behaviour tests rely on
        }
        catch (java.net.ConnectException ex) {
            throw new IllegalStateException("a connect to the full listener " + address() + " was refused (" + ex
                    + ") instead of timing out; check " + ABORT_ON_OVERFLOW, ex);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        }
        catch (Exception ignored) {
            // closing anyway
        }
    }
}
