package io.conpool.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.conpool.Endpoint;

/**
 * Base of the kit's launchers of real servers ({@link RedisServerProcess}, {@link NginxProcess},
 * {@link PostgresProcess}): one server program run as a child process of the test JVM, on a free loopback port, with
 * its configuration, data and log in a temporary directory of its own.
 *
 * <p>What it guarantees: the child's output goes to a log file in that directory (no pipe is left open in the JVM,
 * so {@link LeakCheck} sees no new descriptor), starting waits until the server answers a real request and fails
 * with the log's tail when it does not (bounded in time), and {@link #close()} stops it by PID: the stop signal,
 * a bounded wait for the process <em>and every process it started</em> (nginx workers, postgres backends) to be gone,
 * {@code SIGKILL} if they are not, then the directory is deleted. A JVM shutdown hook kills whatever a crashed test
 * left running.
 */
public abstract class ServerProcess implements AutoCloseable {

    /** The loopback address every launcher binds to. */
    public static final String HOST = "127.0.0.1";

    /** How long a server may take to answer its first request (initdb not included). */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    /** How long a server and its child processes may take to exit after the stop signal, before SIGKILL. */
    public static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    /** How often a launcher picks new ports when the ones it picked were taken in the meantime. */
    protected static final int PORT_ATTEMPTS = 3;

    private static final Set<ProcessHandle> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (ProcessHandle p : RUNNING) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        }, "testkit-server-process-reaper"));
    }

    private final String name;

    private final Path directory;

    private final Path log;

    private volatile Process process;

    private volatile boolean closed;

    /** Creates the server's temporary directory, {@code <tmp>/conpool-<name>-*}. */
    protected ServerProcess(String name) {
        this.name = name;
        try {
            this.directory = Files.createTempDirectory("conpool-" + name + "-");
        }
        catch (IOException ex) {
            throw new UncheckedIOException("creating a directory for " + name, ex);
        }
        this.log = directory.resolve(name + ".log");
    }

    /** The address the server listens on. */
    public String host() {
        return HOST;
    }

    /** The (plaintext) port it listens on. */
    public abstract int port();

    /** A plaintext endpoint for {@link #host()} and {@link #port()}. */
    public Endpoint endpoint() {
        return Endpoint.of(host(), port());
    }

    /** Its temporary directory (configuration, data, log); deleted by {@link #close()}. */
    public Path directory() {
        return directory;
    }

    /** The server's standard output and error. */
    public Path logFile() {
        return log;
    }

    /** PID of the server process (the nginx master, the postmaster). */
    public long pid() {
        return running().pid();
    }

    /** Whether the server process is still alive. */
    public boolean isAlive() {
        Process p = process;
        return p != null && p.isAlive();
    }

    /** The server process and every process it started, as they are now (for example nginx's workers). */
    public List<ProcessHandle> processes() {
        Process p = process;
        if (p == null) {
            return List.of();
        }
        List<ProcessHandle> all = new ArrayList<>();
        all.add(p.toHandle());
        p.toHandle().descendants().forEach(all::add);
        return all;
    }

    /** The last {@code lines} lines of the log, for failure messages. */
    public String logTail(int lines) {
        try {
            if (!Files.exists(log)) {
                return "(no log)";
            }
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        }
        catch (IOException | UncheckedIOException ex) {
            return "(log unreadable: " + ex + ")";
        }
    }

    // ---------------------------------------------------------------- for launchers

    /**
     * Starts the server program: working directory {@link #directory()}, standard input from {@code /dev/null},
     * output appended to {@link #logFile()}.
     */
    protected final Process launch(List<String> command) {
        ProcessBuilder builder = processBuilder(command);
        try {
            Process p = builder.start();
            process = p;
            RUNNING.add(p.toHandle());
            return p;
        }
        catch (IOException ex) {
            throw new UncheckedIOException("starting " + String.join(" ", command), ex);
        }
    }

    /**
     * Runs a helper program (such as initdb) to its end, output appended to {@link #logFile()}; fails with the log's
     * tail when it exits non-zero or runs longer than {@code timeout} (then it is killed).
     */
    protected final void runToCompletion(List<String> command, Duration timeout) {
        Process p;
        try {
            p = processBuilder(command).start();
        }
        catch (IOException ex) {
            throw new UncheckedIOException("starting " + String.join(" ", command), ex);
        }
        RUNNING.add(p.toHandle());
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                throw new IllegalStateException(String.join(" ", command) + " did not finish within "
                        + timeout.toMillis() + " ms; log:\n" + logTail(30));
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited with " + p.exitValue()
                        + "; log:\n" + logTail(30));
            }
        }
        catch (InterruptedException ex) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command.get(0), ex);
        }
        finally {
            RUNNING.remove(p.toHandle());
        }
    }

    /** Sets what every process of this server gets: directory, input, output, and a predictable locale. */
    protected ProcessBuilder processBuilder(List<String> command) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("LC_ALL", "C");
        builder.environment().put("LANG", "C");
        return builder;
    }

    /**
     * Waits until {@code probe} answers {@code true}, polling every 20 ms for up to {@link #START_TIMEOUT}. Returns
     * {@code false} when the server process exited first (for example because its port was taken meanwhile; the
     * launcher may then try other ports, see {@link #portTaken()}); fails when time runs out.
     */
    protected final boolean awaitReady(Probe probe) {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        Exception last = null;
        while (true) {
            Process p = running();
            if (!p.isAlive()) {
                RUNNING.remove(p.toHandle());
                return false;
            }
            try {
                if (probe.ready()) {
                    return true;
                }
            }
            catch (Exception ex) {
                last = ex;
            }
            if (System.nanoTime() - deadline > 0) {
                IllegalStateException failure = new IllegalStateException(name + " (pid " + p.pid()
                        + ") did not answer within " + START_TIMEOUT.toMillis() + " ms; last probe: " + last
                        + "; log:\n" + logTail(30));
                stopQuietly();
                throw failure;
            }
            sleep(20);
        }
    }

    /** Whether the log says a port was taken (the launcher then picks other ports). */
    protected boolean portTaken() {
        String tail = logTail(50);
        return tail.contains("Address already in use") || tail.contains("already in use");
    }

    /** Fails a start that did not come up, with the log's tail, and deletes the directory. */
    protected final IllegalStateException startFailure(String what) {
        Process p = process;
        String exit = p != null && !p.isAlive() ? " (exit code " + p.exitValue() + ")" : "";
        IllegalStateException failure = new IllegalStateException(what + exit + "; log of " + name + ":\n"
                + logTail(30));
        close();
        return failure;
    }

    /**
     * Asks the server to stop. Default: {@code SIGTERM} (redis-server and nginx shut down at once on it); postgres
     * overrides it with {@code SIGINT} (fast shutdown, which does not wait for clients).
     */
    protected void signalStop(ProcessHandle server) {
        server.destroy();
    }

    /** Sends a signal by name ({@code INT}, {@code QUIT}) with the shell's {@code kill}. */
    protected static void signal(ProcessHandle target, String signal) {
        ProcessBuilder kill = new ProcessBuilder("/bin/sh", "-c", "kill -s " + signal + " " + target.pid())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        try {
            Process p = kill.start();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        catch (IOException ex) {
            target.destroy();
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            target.destroy();
        }
    }

    /** A port that was free on {@link #HOST} a moment ago (the server binds it next; see {@link #PORT_ATTEMPTS}). */
    protected static int freePort() {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getByName(HOST), 0));
            return s.getLocalPort();
        }
        catch (IOException ex) {
            throw new UncheckedIOException("finding a free port on " + HOST, ex);
        }
    }

    /** Writes a file of the server's (configuration, certificate) into its directory. */
    protected final Path write(String fileName, String content) {
        try {
            return Files.writeString(directory.resolve(fileName), content, StandardCharsets.UTF_8);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("writing " + fileName + " for " + name, ex);
        }
    }

    // ---------------------------------------------------------------- stop

    /**
     * Stops the server and everything it started, by PID, bounded in time: the stop signal, up to
     * {@link #STOP_TIMEOUT} for all of them to exit, then {@code SIGKILL}; deletes the directory. Fails if a
     * process survives even {@code SIGKILL}. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<ProcessHandle> all = processes();
        String survivors = null;
        Process p = process;
        if (p != null) {
            if (p.isAlive()) {
                signalStop(p.toHandle());
            }
            survivors = awaitExit(all, STOP_TIMEOUT);
            if (survivors != null) {
                // What the signal left: kill all of them, and whatever they started meanwhile.
                for (ProcessHandle h : processes()) {
                    h.destroyForcibly();
                }
                all.forEach(ProcessHandle::destroyForcibly);
                survivors = awaitExit(all, STOP_TIMEOUT);
            }
            RUNNING.remove(p.toHandle());
        }
        deleteDirectory();
        if (survivors != null) {
            throw new IllegalStateException(name + ": processes still alive after SIGKILL: " + survivors);
        }
    }

    /** Stops and cleans up after a start that threw; what it throws itself is added to {@code failure}. */
    protected final void closeAfterFailure(Throwable failure) {
        try {
            close();
        }
        catch (RuntimeException ex) {
            failure.addSuppressed(ex);
        }
    }

    private void stopQuietly() {
        try {
            close();
        }
        catch (RuntimeException ex) {
            // the start failure is what the caller needs to see
        }
    }

    /** Waits for every process to exit; returns those still alive after {@code timeout}, or {@code null}. */
    private static String awaitExit(List<ProcessHandle> processes, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<ProcessHandle> alive = processes.stream().filter(ProcessHandle::isAlive).collect(Collectors.toList());
            if (alive.isEmpty()) {
                return null;
            }
            if (System.nanoTime() - deadline > 0) {
                return alive.stream().map(h -> h.pid() + " " + h.info().commandLine().orElse("?"))
                        .collect(Collectors.joining(", "));
            }
            sleep(10);
        }
    }

    private void deleteDirectory() {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
        catch (IOException ex) {
            throw new UncheckedIOException("deleting " + directory, ex);
        }
    }

    private Process running() {
        Process p = process;
        if (p == null) {
            throw new IllegalStateException(name + " was not started");
        }
        return p;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", ex);
        }
    }

    @Override
    public String toString() {
        Process p = process;
        return getClass().getSimpleName() + "[" + host() + ":" + (p == null ? "-" : port()) + ", pid "
                + (p == null ? "-" : p.pid()) + "]";
    }

    /** A readiness check: {@code true} once the server answered a real request; may throw while it cannot yet. */
    @FunctionalInterface
    protected interface Probe {

        boolean ready() throws Exception;
    }
}
