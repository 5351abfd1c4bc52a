package io.conpool.testkit;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import io.conpool.Resolver;

/**
 * A {@link Resolver} whose answers a test scripts and changes at run time, counting lookups per host: one that
 * fails ({@link #fail}), one whose answer flips ({@link #answer} again), one that returns several addresses (for
 * example 127.0.0.1 with nothing listening, then 127.0.0.2 with the server). Hosts never scripted fail as unknown.
 * Thread-safe.
 */
public final class ScriptedResolver implements Resolver {

    private final Map<String, List<InetAddress>> answers = new ConcurrentHashMap<>();

    private final Map<String, String> failures = new ConcurrentHashMap<>();

    /** Which thread made each lookup, per host (the pool's background refresh looks up on its own thread). */
    private final Map<String, List<Thread>> lookupThreads = new ConcurrentHashMap<>();

    private final AtomicInteger total = new AtomicInteger();

    private final Object gate = new Object();

    private boolean paused;

    private int blocked;

    /** A resolver that knows no host yet. */
    public static ScriptedResolver create() {
        return new ScriptedResolver();
    }

    /** A resolver answering {@code host} with these IP literals, in this order. */
    public static ScriptedResolver answering(String host, String... addresses) {
        return create().answer(host, addresses);
    }

    /** A resolver for which {@code host} does not resolve. */
    public static ScriptedResolver failing(String host) {
        return create().fail(host);
    }

    /** From now on, {@code host} resolves to these IP literals, in this order (at least one). */
    public ScriptedResolver answer(String host, String... addresses) {
        if (addresses.length == 0) {
            throw new IllegalArgumentException("answer for " + host + " needs at least one address");
        }
        List<InetAddress> list = new ArrayList<>();
        for (String a : addresses) {
            list.add(literal(host, a));
        }
        failures.remove(host);
        answers.put(host, List.copyOf(list));
        return this;
    }

    /** From now on, looking {@code host} up fails with {@link UnknownHostException}. */
    public ScriptedResolver fail(String host) {
        answers.remove(host);
        failures.put(host, host + ": scripted failure (no such host)");
        return this;
    }

    /** From now on, lookups block (a slow DNS server) until {@link #resume()}. */
    public ScriptedResolver pause() {
        synchronized (gate) {
            paused = true;
        }
        return this;
    }

    /** Lets blocked and future lookups through. */
    public ScriptedResolver resume() {
        synchronized (gate) {
            paused = false;
            gate.notifyAll();
        }
        return this;
    }

    /** Lookups blocked by {@link #pause()} right now. */
    public int blocked() {
        synchronized (gate) {
            return blocked;
        }
    }

    /** Waits until at least {@code n} lookups are blocked by {@link #pause()}. */
    public void awaitBlocked(int n, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (gate) {
            while (blocked < n) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException(blocked + " lookups blocked after " + timeout + ", expected " + n);
                }
                TimeUnit.NANOSECONDS.timedWait(gate, left);
            }
        }
    }

    /** Lookups of {@code host} so far (answered or failed). */
    public int lookups(String host) {
        List<Thread> threads = lookupThreads.get(host);
        return threads == null ? 0 : threads.size();
    }

    /**
     * Lookups of {@code host} made by threads that {@code who} accepts: for example only the test's callers, not the
     * pool's background DNS refresh, whose timing a test does not control.
     */
    public int lookups(String host, Predicate<Thread> who) {
        List<Thread> threads = lookupThreads.get(host);
        return threads == null ? 0 : (int) threads.stream().filter(who).count();
    }

    /** Lookups of every host so far. */
    public int lookups() {
        return total.get();
    }

    @Override
    public List<InetAddress> resolve(String host) throws UnknownHostException {
        total.incrementAndGet();
        lookupThreads.computeIfAbsent(host, h -> new CopyOnWriteArrayList<>()).add(Thread.currentThread());
        waitWhilePaused(host);
        List<InetAddress> answer = answers.get(host);
        if (answer != null) {
            return answer;
        }
        String failure = failures.get(host);
        throw new UnknownHostException(failure != null ? failure : host + ": not scripted");
    }

    @Override
    public String toString() {
        return "ScriptedResolver[answers=" + answers + ", failing=" + failures.keySet() + "]";
    }

    private void waitWhilePaused(String host) throws UnknownHostException {
        synchronized (gate) {
            if (!paused) {
                return;
            }
            blocked++;
            gate.notifyAll();
            try {
                while (paused) {
                    gate.wait();
                }
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new UnknownHostException(host + ": lookup interrupted");
            }
            finally {
                blocked--;
            }
        }
    }

    /** The address for an IP literal, with the host name attached (as a real lookup gives). */
    private static InetAddress literal(String host, String ip) {
        try {
            byte[] raw = InetAddress.getByName(ip).getAddress();
            if (!isLiteral(ip)) {
                throw new IllegalArgumentException("'" + ip + "' is not an IP literal");
            }
            return InetAddress.getByAddress(host, raw);
        }
        catch (UnknownHostException ex) {
            throw new IllegalArgumentException("'" + ip + "' is not an IP literal", ex);
        }
    }

    private static boolean isLiteral(String ip) {
        return ip.indexOf(':') >= 0 || Arrays.stream(ip.split("\\.", -1)).allMatch(p -> p.matches("\\d{1,3}"));
    }
}
