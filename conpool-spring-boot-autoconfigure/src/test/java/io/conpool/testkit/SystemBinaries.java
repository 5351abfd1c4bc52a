package io.conpool.testkit;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/**
 * The rule for tests that need a program installed on the machine (redis-server, nginx, postgres, chromium): where
 * the program is absent the test is <em>skipped</em> with a one-line reason naming the Debian package to install;
 * with {@code -Dconpool.require-system-tests=true} (set by {@code .ci/run}, which installs the packages) it
 * <em>fails</em> instead, so CI can never pass by skipping.
 *
 * <p>Two ways to use it: {@link RequiresBinary @RequiresBinary} on a test class or method (checked before anything
 * else runs, so a Spring context is not even started for a skipped class), or {@link #require(String, String)} from
 * code that starts the program (the kit's {@link RedisServerProcess}, {@link NginxProcess}, {@link PostgresProcess}),
 * which throws {@link TestAbortedException} (reported as skipped) or {@link AssertionFailedError}.
 *
 * <p>A path may hold {@code *} in its directory or file names, as {@link PostgresProcess#BINARY} does for the
 * version directory; the match with the highest version-like name wins. Each binary can be pointed elsewhere with a
 * system property, {@code conpool.binary.<file name>} unless told otherwise
 * ({@code -Dconpool.binary.redis-server=/opt/redis/bin/redis-server}); pointing it at a path that does not exist is
 * how the skip is tried on a machine that has the package.
 */
public final class SystemBinaries {

    /** The switch: {@code true} turns a missing binary into a failure. */
    public static final String REQUIRE_PROPERTY = "conpool.require-system-tests";

    /** Prefix of the default override property of a binary: {@code conpool.binary.<file name>}. */
    public static final String OVERRIDE_PREFIX = "conpool.binary.";

    private static final Set<String> ANNOUNCED = ConcurrentHashMap.newKeySet();

    private SystemBinaries() {
    }

    /**
     * The executable at {@code path} (or at its override, {@code conpool.binary.<file name>}); where it is absent,
     * skips the calling test naming {@code debianPackage}, or fails it under {@value #REQUIRE_PROPERTY}.
     */
    public static Path require(String path, String debianPackage) {
        return require(path, debianPackage, defaultOverrideProperty(path));
    }

    /** As {@link #require(String, String)}, with the override read from {@code overrideProperty}. */
    public static Path require(String path, String debianPackage, String overrideProperty) {
        try {
            return require(path, debianPackage, overrideProperty, System::getProperty);
        }
        catch (TestAbortedException ex) {
            announceSkip(callingTest(), ex.getMessage());
            throw ex;
        }
    }

    /**
     * As {@link #require(String, String, String)}, with properties (the override and the switch) read from
     * {@code properties}, e.g. JUnit's configuration parameters; announces nothing.
     */
    static Path require(String path, String debianPackage, String overrideProperty,
            Function<String, String> properties) {
        String wanted = wantedPath(path, overrideProperty, properties);
        Optional<Path> found = find(wanted);
        if (found.isPresent()) {
            return found.get();
        }
        if (isRequired(properties)) {
            throw new AssertionFailedError(failureMessage(wanted, debianPackage));
        }
        throw new TestAbortedException(skipMessage(wanted, debianPackage));
    }

    /** Whether the switch {@value #REQUIRE_PROPERTY} is on in this JVM. */
    public static boolean isRequired() {
        return isRequired(System::getProperty);
    }

    static boolean isRequired(Function<String, String> properties) {
        return Boolean.parseBoolean(properties.apply(REQUIRE_PROPERTY));
    }

    /** The path asked for: the override property's value when set, else {@code path}. */
    static String wantedPath(String path, String overrideProperty, Function<String, String> properties) {
        String override = overrideProperty.isEmpty() ? null : properties.apply(overrideProperty);
        return override == null || override.isBlank() ? path : override.trim();
    }

    /** {@code conpool.binary.} and the path's file name: {@code conpool.binary.redis-server}. */
    public static String defaultOverrideProperty(String path) {
        return OVERRIDE_PREFIX + path.substring(path.lastIndexOf('/') + 1);
    }

    /** The one-line reason of a skip. */
    static String skipMessage(String path, String debianPackage) {
        return path + " not found: install the Debian package " + debianPackage + " (apt-get install "
                + debianPackage + ") to run this test";
    }

    /** The message of the failure under the switch. */
    static String failureMessage(String path, String debianPackage) {
        return path + " not found, and -D" + REQUIRE_PROPERTY + "=true makes that a failure: install the Debian "
                + "package " + debianPackage + " (apt-get install " + debianPackage + ")";
    }

    /**
     * Writes "{@code [conpool] skipped <test>: <reason>}" once per test and reason to this process's standard error
     * stream itself, not to {@code System.err}: surefire keeps {@code System.err} in report files
     * ({@code redirectTestOutputToFile}) and shows a skip reason only in its XML report, while the forked JVM's own
     * standard error reaches the build's console. So a newcomer's {@code ./mvnw verify} says which package is missing.
     */
    public static void announceSkip(String test, String reason) {
        if (!ANNOUNCED.add(test + "\n" + reason)) {
            return;
        }
        try {
            @SuppressWarnings("resource") // the process's stderr: flushed, never closed
            FileOutputStream err = new FileOutputStream(FileDescriptor.err);
            err.write(("[conpool] skipped " + test + ": " + reason + System.lineSeparator())
                    .getBytes(StandardCharsets.UTF_8));
            err.flush();
        }
        catch (IOException ex) {
            // nowhere to say it; the skip reason is still in the test report
        }
    }

    /** The innermost test class (and method) on the calling stack, for {@link #announceSkip}; else "a test". */
    private static String callingTest() {
        return StackWalker.getInstance().walk(frames -> frames
                .filter(f -> f.getClassName().endsWith("Test") || f.getClassName().endsWith("Tests"))
                .map(f -> f.getClassName().substring(f.getClassName().lastIndexOf('.') + 1) + "." + f.getMethodName())
                .findFirst())
                .orElse("a test");
    }

    /**
     * The executable regular file at {@code path}; a {@code *} or {@code ?} in a name matches as in a shell glob,
     * and among several matches the highest version-like name wins ({@code 16} over {@code 9}).
     */
    public static Optional<Path> find(String path) {
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("an absolute path is needed: " + path);
        }
        List<Path> candidates = List.of(Path.of("/"));
        for (String name : path.substring(1).split("/")) {
            if (name.isEmpty()) {
                continue;
            }
            List<Path> next = new ArrayList<>();
            for (Path dir : candidates) {
                next.addAll(children(dir, name));
            }
            candidates = next;
        }
        return candidates.stream()
                .filter(p -> Files.isRegularFile(p) && Files.isExecutable(p))
                .max(Comparator.comparing(Path::toString, SystemBinaries::compareVersions));
    }

    private static List<Path> children(Path dir, String name) {
        if (name.indexOf('*') < 0 && name.indexOf('?') < 0) {
            Path p = dir.resolve(name);
            return Files.exists(p) ? List.of(p) : List.of();
        }
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + name);
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path e : entries) {
                if (matcher.matches(e.getFileName())) {
                    out.add(e);
                }
            }
        }
        catch (IOException ex) {
            throw new UncheckedIOException("listing " + dir, ex);
        }
        return out;
    }

    /** Compares strings with runs of digits compared as numbers: {@code 9 < 15 < 16}. */
    static int compareVersions(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            char ca = a.charAt(i);
            char cb = b.charAt(j);
            if (Character.isDigit(ca) && Character.isDigit(cb)) {
                int ei = i;
                while (ei < a.length() && Character.isDigit(a.charAt(ei))) {
                    ei++;
                }
                int ej = j;
                while (ej < b.length() && Character.isDigit(b.charAt(ej))) {
                    ej++;
                }
                String na = a.substring(i, ei).replaceFirst("^0+(?=.)", "");
                String nb = b.substring(j, ej).replaceFirst("^0+(?=.)", "");
                int c = na.length() != nb.length() ? Integer.compare(na.length(), nb.length()) : na.compareTo(nb);
                if (c != 0) {
                    return c;
                }
                i = ei;
                j = ej;
            }
            else {
                if (ca != cb) {
                    return Character.compare(ca, cb);
                }
                i++;
                j++;
            }
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
