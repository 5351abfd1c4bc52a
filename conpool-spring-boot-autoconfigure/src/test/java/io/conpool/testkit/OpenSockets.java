package io.conpool.testkit;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Counts this process's open socket descriptors ({@code /proc/self/fd} entries pointing to {@code socket:[...]}),
 * to show that an operation opened no socket, or closed every socket it opened. Regular files are left out on
 * purpose: the JVM opens class files and jars lazily, which says nothing about the pool.
 */
public final class OpenSockets {

    private static final Path FD_DIR = Path.of("/proc/self/fd");

    private OpenSockets() {
    }

    /** Open sockets of this process now. */
    public static int count() {
        int n = 0;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(FD_DIR)) {
            for (Path fd : fds) {
                try {
                    if (Files.readSymbolicLink(fd).toString().startsWith("socket:")) {
                        n++;
                    }
                }
                catch (IOException ex) {
                    // closed while listing
                }
            }
        }
        catch (IOException ex) {
            throw new IllegalStateException("cannot list " + FD_DIR + ": socket counting needs Linux /proc", ex);
        }
        return n;
    }
}
