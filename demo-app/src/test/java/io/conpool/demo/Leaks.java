package io.conpool.demo;

import java.io.File;
import java.util.List;
import java.util.stream.Collectors;

/** What tests compare before and after: open file descriptors and live threads by name prefix. */
public final class Leaks {

    private Leaks() {
    }

    /** File descriptors open in this JVM now (Linux: entries of /proc/self/fd). */
    public static int openFileDescriptors() {
        String[] entries = new File("/proc/self/fd").list();
        if (entries == null) {
            throw new IllegalStateException("/proc/self/fd is not readable: these tests need Linux");
        }
        return entries.length;
    }

    /** Names of live threads whose name starts with the prefix. */
    public static List<String> threadsNamed(String prefix) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(name -> name.startsWith(prefix))
                .sorted()
                .collect(Collectors.toList());
    }
}
