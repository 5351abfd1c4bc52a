package io.conpool.testkit;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.EndpointStats;
import io.conpool.PooledConnection;

/**
 * Checks that a test leaked nothing: no socket or pipe file descriptor, no pool thread, no kit-server thread, no
 * connection the stats lost track of, no permit.
 *
 * <p>As a JUnit extension (recommended):
 *
 * <pre>{@code
 * @RegisterExtension
 * final LeakCheck leaks = new LeakCheck();
 *
 * @Test
 * void something() {
 *     try (EchoServer server = EchoServer.start()) {
 *         ConnectionPool pool = leaks.track(ConnectionPool.builder().config(config));
 *         ...
 *         leaks.assertNoPermitLost(pool, server.endpoint()); // while the server still runs
 *     }
 * }
 * }</pre>
 *
 * Before each test it records the open file descriptors ({@code /proc/self/fd}) and live threads. After each test
 * (after {@code @AfterEach} methods) it checks, for every pool built with {@link #track}, that
 * {@code created - closed == active + idle} and nothing is leased or pending on every endpoint, closes the pool,
 * then waits up to {@value #SETTLE_MILLIS} ms (see {@link #settleTime}) until no thread of a tracked pool ({@code <poolName>-sweeper-N},
 * {@code <poolName>-worker-N}), no new thread named {@code conpool-*} or {@code testkit-*}, and no new socket or pipe
 * descriptor remains. Regular files are not compared: the JVM opens jars and modules lazily and keeps them open.
 *
 * <p>Without JUnit: {@link #begin()}, then {@link #verify()}.
 */
public final class LeakCheck implements BeforeEachCallback, AfterEachCallback {

    /** How long to wait for descriptors and threads to go away after the test. */
    public static final long SETTLE_MILLIS = 5_000;

    /** Acquire timeout of each lease taken by {@link #assertNoPermitLost}. */
    public static final Duration PERMIT_ACQUIRE_TIMEOUT = Duration.ofSeconds(3);

    private static final Path FD_DIR = Path.of("/proc/self/fd");

    private static final AtomicInteger IDS = new AtomicInteger();

    static {
        warmUpJdkDescriptors();
    }

    private final List<String> watchedPrefixes = new CopyOnWriteArrayList<>(
            List.of("conpool-", LoopbackServer.THREAD_PREFIX));

    private final Map<ConnectionPool, String> pools = Collections.synchronizedMap(new LinkedHashMap<>());

    private volatile long settleMillis = SETTLE_MILLIS;

    private Set<String> baselineFds = Set.of();

    private int baselineFdCount;

    private Set<Thread> baselineThreads = Set.of();

    /** Records the baseline now (for use without the JUnit extension). */
    public static LeakCheck begin() {
        LeakCheck check = new LeakCheck();
        check.recordBaseline();
        return check;
    }

    /** Also watch threads whose names start with {@code prefix} (relative to the baseline). */
    public LeakCheck watchThreads(String prefix) {
        watchedPrefixes.add(prefix);
        return this;
    }

    /** How long to wait for descriptors and threads to go away (default {@value #SETTLE_MILLIS} ms). */
    public LeakCheck settleTime(Duration settle) {
        this.settleMillis = settle.toMillis();
        return this;
    }

    /** A fresh pool name, unique in this JVM, for pools built without {@link #track}. */
    public String newPoolName() {
        return "leakcheck" + IDS.incrementAndGet();
    }

    /**
     * Builds the pool under a unique name and tracks it: after the test its stats are checked, it is closed, and
     * its threads must be gone.
     */
    public ConnectionPool track(ConnectionPool.Builder builder) {
        String name = newPoolName();
        ConnectionPool pool = builder.name(name).build();
        pools.put(pool, name);
        return pool;
    }

    /** Tracks a pool built elsewhere under {@code name}. */
    public ConnectionPool track(ConnectionPool pool, String name) {
        pools.put(pool, name);
        return pool;
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        recordBaseline();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        verify();
    }

    /** Records descriptors and threads as they are now. */
    public void recordBaseline() {
        pools.clear();
        baselineFds = nonFileDescriptors();
        baselineFdCount = fdCount();
        baselineThreads = new HashSet<>(Thread.getAllStackTraces().keySet());
    }

    /** Checks stats of tracked pools, closes them, then checks threads and descriptors. */
    public void verify() {
        List<String> problems = new ArrayList<>();
        List<Map.Entry<ConnectionPool, String>> tracked;
        synchronized (pools) {
            tracked = new ArrayList<>(pools.entrySet());
            pools.clear();
        }
        try {
            // The stats must add up once the pool is quiescent: a sweep may be half-way through closing what the
            // test's end left behind (taken out of idle, not yet counted as closed), so wait for it, as for threads.
            String stats = awaitGone(() -> statsProblems(tracked));
            if (stats != null) {
                problems.add(stats);
            }
        }
        finally {
            for (Map.Entry<ConnectionPool, String> e : tracked) {
                e.getKey().close();
            }
        }
        List<String> threadNames = new ArrayList<>();
        for (Map.Entry<ConnectionPool, String> e : tracked) {
            threadNames.add(e.getValue() + "-");
        }
        String threads = awaitGone(() -> leftoverThreads(threadNames));
        if (threads != null) {
            problems.add("threads still alive: " + threads);
        }
        String fds = awaitGone(this::leftoverDescriptors);
        if (fds != null) {
            problems.add("descriptors still open (baseline " + baselineFdCount + " fds, now " + fdCount() + "): "
                    + fds);
        }
        if (!problems.isEmpty()) {
            throw new AssertionError("leak check failed:\n  " + String.join("\n  ", problems));
        }
    }

    // ---------------------------------------------------------------- assertions usable anywhere

    /**
     * Asserts {@code created - closed == active + idle}, nothing leased and nobody waiting, for the endpoint.
     */
    public static void assertAtRest(ConnectionPool pool, Endpoint endpoint) {
        String p = atRestProblem(pool.stats(endpoint));
        if (p != null) {
            throw new AssertionError(p);
        }
    }

    /**
     * Asserts that the endpoint's full {@code maxConnectionsPerEndpoint} can be leased at once, each within
     * {@link #PERMIT_ACQUIRE_TIMEOUT}, on distinct sockets; returns them all and asserts the pool is at rest.
     * The endpoint's server must be up and accept new connections quickly (otherwise the check fails saying it
     * could not be made, rather than that a permit was lost). Opens connections as needed (stats change).
     */
    public static void assertNoPermitLost(ConnectionPool pool, Endpoint endpoint) {
        assertAtRest(pool, endpoint);
        int max = pool.config(endpoint).maxConnectionsPerEndpoint();
        List<PooledConnection> leases = new ArrayList<>();
        try {
            Set<Object> sockets = Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            for (int i = 0; i < max; i++) {
                PooledConnection c;
                try {
                    c = pool.acquire(endpoint, PERMIT_ACQUIRE_TIMEOUT);
                }
                catch (io.conpool.AcquireTimeoutException ex) {
                    throw new AssertionError("permit lost on " + endpoint + ": lease " + (i + 1) + " of " + max
                            + " timed out waiting for a slot; stats " + pool.stats(endpoint), ex);
                }
                catch (RuntimeException ex) {
                    throw new AssertionError("cannot check permits of " + endpoint + ": opening lease " + (i + 1)
                            + " of " + max + " failed (" + ex + "); this check needs an endpoint that accepts new "
                            + "connections quickly; stats " + pool.stats(endpoint), ex);
                }
                leases.add(c);
                if (!sockets.add(c.socket())) {
                    throw new AssertionError("two leases of " + endpoint + " got the same socket " + c.socket());
                }
            }
        }
        finally {
            for (PooledConnection c : leases) {
                c.close();
            }
        }
        assertAtRest(pool, endpoint);
    }

    /** What does not add up in the tracked pools' stats now, or {@code null}. */
    private static String statsProblems(List<Map.Entry<ConnectionPool, String>> tracked) {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<ConnectionPool, String> e : tracked) {
            for (EndpointStats s : e.getKey().allStats()) {
                String p = atRestProblem(s);
                if (p != null) {
                    problems.add("pool " + e.getValue() + ": " + p);
                }
            }
        }
        return problems.isEmpty() ? null : String.join("\n  ", problems);
    }

    private static String atRestProblem(EndpointStats s) {
        if (s.created() - s.closed() != s.active() + s.idle()) {
            return s.endpoint() + ": created " + s.created() + " - closed " + s.closed() + " != active " + s.active()
                    + " + idle " + s.idle() + " (" + s + ")";
        }
        if (s.active() != 0 || s.pending() != 0) {
            return s.endpoint() + ": not at rest: active " + s.active() + ", pending " + s.pending();
        }
        return null;
    }

    // ---------------------------------------------------------------- threads and descriptors

    private String leftoverThreads(List<String> poolPrefixes) {
        List<String> left = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (!t.isAlive()) {
                continue;
            }
            String name = t.getName();
            boolean ofPool = poolPrefixes.stream().anyMatch(name::startsWith);
            boolean watchedAndNew = !baselineThreads.contains(t) && watchedPrefixes.stream().anyMatch(name::startsWith);
            if (ofPool || watchedAndNew) {
                left.add(name);
            }
        }
        Collections.sort(left);
        return left.isEmpty() ? null : left.toString();
    }

    private String leftoverDescriptors() {
        Set<String> now = nonFileDescriptors();
        now.removeAll(baselineFds);
        return now.isEmpty() ? null : new TreeSet<>(now).toString();
    }

    /** Targets of open sockets and pipes, e.g. {@code socket:[12345]} (inode numbers are unique while open). */
    private static Set<String> nonFileDescriptors() {
        Set<String> out = new HashSet<>();
        for (String target : OpenSockets.descriptors().values()) {
            if (target.startsWith("socket:") || target.startsWith("pipe:")) {
                out.add(target);
            }
        }
        return out;
    }

    /** Number of open file descriptors of this process. */
    public static int fdCount() {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(FD_DIR)) {
            int n = 0;
            for (Path ignored : fds) {
                n++;
            }
            return n - 1; // the directory stream's own descriptor
        }
        catch (IOException ex) {
            throw new IllegalStateException("cannot list " + FD_DIR, ex);
        }
    }

    /**
     * The JDK opens some descriptors once, lazily, and keeps them: closing the first socket creates the socket
     * pair NIO uses to close sockets other threads block on. Open them before any baseline is taken.
     */
    private static void warmUpJdkDescriptors() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open()) {
            s.getLocalPort();
        }
        catch (IOException ex) {
            throw new IllegalStateException("cannot open a loopback socket", ex);
        }
    }

    private String awaitGone(Supplier<String> leftover) {
        long deadline = System.nanoTime() + settleMillis * 1_000_000;
        String left = leftover.get();
        while (left != null && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(20);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return left;
            }
            left = leftover.get();
        }
        return left;
    }
}
