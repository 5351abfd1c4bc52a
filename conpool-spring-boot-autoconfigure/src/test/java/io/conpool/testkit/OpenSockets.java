package io.conpool.testkit;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Counts this process's open socket descriptors ({@code /proc/self/fd} entries pointing to {@code socket:[...]}),
 * to show that an operation opened no socket, or closed every socket it opened; and lists every descriptor with its
 * link, for the kit's other checks. Regular files are left out on
 * purpose: the JVM opens class files and jars lazily, which says nothing about the pool.
 */
public final class OpenSockets {

    private static final Path FD_DIR = Path.of("/proc/self/fd");

    private OpenSockets() {
    }

    /** Open sockets of this process now. */
    public static int count() {
        return (int) descriptors().values().stream().filter(target -> target.startsWith("socket:")).count();
    }

    /**
     * This process's open descriptors now: descriptor number to what its {@code /proc/self/fd} link names (for
     * example {@code socket:[12345]}, {@code pipe:[678]} or a file's path). Descriptors closed while listing are left
     * out.
     */
    public static Map<String, String> descriptors() {
        Map<String, String> out = new HashMap<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(FD_DIR)) {
            for (Path fd : fds) {
                try {
                    out.put(fd.getFileName().toString(), Files.readSymbolicLink(fd).toString());
                }
                catch (IOException ex) {
                    // closed while listing
                }
            }
        }
        catch (IOException ex) {
            throw new IllegalStateException("cannot list " + FD_DIR + ": the test kit needs Linux /proc", ex);
        }
        return out;
    }
}
