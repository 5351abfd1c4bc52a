package io.conpool.internal;

import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts a freshly connected socket into non-blocking mode at the operating-system level for the rest of its life,
 * on Java 21+, so that the liveness probe costs one system call instead of five.
 *
 * <p>Why: the probe is a one-byte read in non-blocking mode. On a blocking {@link SocketChannel},
 * {@code configureBlocking(false)} and {@code configureBlocking(true)} around that read cost two {@code fcntl} calls
 * each (about 1.1 us in all here, against 0.4 us for the read alone), on every borrow of an idle connection.
 *
 * <p>How: since Java 21 the JDK itself switches a socket to non-blocking mode, for good, the first time a virtual
 * thread does I/O on it; from then on {@code configureBlocking} only flips a flag, and blocking reads and writes by
 * any thread wait by polling, exactly as a {@code java.net.Socket} with a read timeout always does. Here a
 * short-lived virtual thread reads zero bytes from the channel right after it connects. Nothing about the channel's
 * behaviour changes for its users (it still reports {@code isBlocking()}, reads still block, timeouts still apply).
 * A blocking read that must wait costs a poll and a second read instead of one read; a read with a timeout saves
 * the four {@code fcntl} calls the JDK otherwise makes around it.
 *
 * <p>This relies on what the JDK does, not on an API: on Java 17-20, or a JDK that stops doing it, nothing breaks
 * and the probe costs its five calls again. {@code -Dio.conpool.nonBlockingSockets=false} turns it off (read when a
 * pool is built).
 */
final class NonBlockingSockets {

    private static final Logger log = LoggerFactory.getLogger(NonBlockingSockets.class);

    /** The system property that turns this off. */
    static final String PROPERTY = "io.conpool.nonBlockingSockets";

    /**
     * How long the connecting thread waits for the virtual thread. Should the virtual-thread scheduler be too busy
     * to run it by then, it runs later, harmlessly: a zero-byte read waits for the channel's read lock.
     */
    private static final long JOIN_MILLIS = 100;

    private NonBlockingSockets() {
    }

    /** Whether pools built now should switch their sockets: Java 21+ and not turned off by {@link #PROPERTY}. */
    static boolean enabled() {
        return VirtualThreads.canStart() && !"false".equalsIgnoreCase(System.getProperty(PROPERTY, "true").trim());
    }

    /**
     * Lets a virtual thread touch the connected {@code channel} once (a read of zero bytes), unless the calling
     * thread is virtual itself (its first read or write on the channel does the same). Best effort: a failure only
     * leaves the socket as it was.
     */
    static void switchToNonBlocking(SocketChannel channel) {
        if (!VirtualThreads.canStart() || VirtualThreads.isVirtual(Thread.currentThread())) {
            return;
        }
        try {
            Thread touch = VirtualThreads.start(() -> {
                try {
                    channel.read(ByteBuffer.allocate(0));
                }
                catch (Exception ex) {
                    // left blocking; the probe still works, with more system calls
                }
            });
            touch.join(JOIN_MILLIS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt(); // the caller's connect sees the interrupt next
        }
        catch (RuntimeException | Error ex) {
            log.debug("could not switch a socket to non-blocking mode: {}", ex.toString());
        }
    }
}
