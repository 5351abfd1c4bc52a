package io.conpool.benchmarks;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import io.conpool.internal.BenchmarkAccess;

/**
 * Many endpoints, each with one idle connection (2,000 by default: distinct loopback addresses 127.0.x.y, each with
 * its own port). Per pool: the cost of borrow + return (no I/O; conpool includes its liveness probe) cycling over all
 * endpoints against a pool of one endpoint; the heap each idle endpoint keeps beyond its socket; and, for conpool,
 * the time of one background sweep.
 */
final class Scale {

    record Settings(int endpoints, int blocks, double blockSeconds, int sweeps) {
    }

    private final Settings settings;

    private final Map<String, Object> out = new LinkedHashMap<>();

    Scale(Settings settings) {
        this.settings = settings;
    }

    Map<String, Object> run(List<Impl> impls, Report report) throws Exception {
        int n = settings.endpoints();
        List<InetAddress> addresses = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            addresses.add(InetAddress.getByAddress(new byte[] {127, 0, (byte) (1 + i / 250), (byte) (1 + i % 250)}));
        }
        out.put("endpoints", n);
        try (SelectorEchoServer server = new SelectorEchoServer(addresses)) {
            List<Target> targets = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                targets.add(new Target(i, server.addresses().get(i), false));
            }
            List<Target> single = List.of(new Target(0, server.addresses().get(0), false));

            bareBytes(targets, server, true); // warm-up: first-time allocations must not count as per-socket bytes
            double bareChannel = bareBytes(targets, server, true);
            double bareSocket = bareBytes(targets, server, false);
            out.put("bare_socketchannel_bytes", bareChannel);
            out.put("bare_socket_bytes", bareSocket);
            report.line(String.format("  scale: %d endpoints; a bare connected socket with its streams keeps %.0f B "
                    + "(SocketChannel, as conpool opens them) / %.0f B (java.net.Socket, as the peers' factory opens them)",
                    n, bareChannel, bareSocket));

            Map<String, Object> perImpl = new LinkedHashMap<>();
            for (Impl impl : impls) {
                perImpl.put(impl.id, measure(impl, targets, single, server,
                        impl == Impl.CONPOOL ? bareChannel : bareSocket, report));
            }
            out.put("results", perImpl);
            Map<String, Object> trivial = new LinkedHashMap<>();
            for (Impl impl : impls) {
                trivial.put(impl.id, bookkeeping(impl, targets, single, report));
            }
            out.put("bookkeeping_only", trivial);
            out.put("conpool_heap_bytes_per_endpoint_warmed_never_leased", warmedOnly(targets, bareChannel, report));
            awaitServerIdle(server);
        }
        return out;
    }

    private Map<String, Object> measure(Impl impl, List<Target> targets, List<Target> single, SelectorEchoServer server,
            double bare, Report report) throws Exception {
        int n = targets.size();
        byte[] request = new byte[LoopbackServer.MESSAGE_BYTES];
        byte[] reply = new byte[LoopbackServer.MESSAGE_BYTES];
        Map<String, Object> m = new LinkedHashMap<>();
        long before = usedHeapAfterGc();
        // conpool's clock can be moved forward, to let a sweep see its connections as idle for a whole interval.
        long[] clockOffset = {0};
        MicroPool many = impl == Impl.CONPOOL
                ? new MicroPool.Conpool(targets, 8, false, () -> System.nanoTime() + clockOffset[0])
                : MicroPool.create(impl, targets, 8, false, null);
        MicroPool one = null;
        try {
            for (int ep = 0; ep < n; ep++) {
                many.exchangeOnce(ep, request, reply);
            }
            long after = usedHeapAfterGc();
            double perEndpoint = (after - before) / (double) n - bare;
            m.put("heap_bytes_per_idle_endpoint_just_used", perEndpoint);
            m.put("heap_bytes_per_idle_endpoint", perEndpoint);

            one = MicroPool.create(impl, single, 8, false, null);
            one.exchangeOnce(0, request, reply);

            int[] order = shuffled(n);
            // Warm both paths, then alternate blocks and take medians.
            timeBlock(one, new int[] {0}, settings.blockSeconds());
            timeBlock(many, order, settings.blockSeconds());
            double[] oneNs = new double[settings.blocks()];
            double[] manyNs = new double[settings.blocks()];
            for (int b = 0; b < settings.blocks(); b++) {
                oneNs[b] = timeBlock(one, new int[] {0}, settings.blockSeconds());
                manyNs[b] = timeBlock(many, order, settings.blockSeconds());
            }
            double oneMedian = Stats.median(oneNs);
            double manyMedian = Stats.median(manyNs);
            m.put("acquire_release_ns_1_endpoint", oneMedian);
            m.put("acquire_release_ns_" + n + "_endpoints", manyMedian);
            m.put("acquire_release_ns_1_endpoint_blocks", oneNs);
            m.put("acquire_release_ns_" + n + "_endpoints_blocks", manyNs);
            m.put("scale_acquire_vs_one", manyMedian / oneMedian);
            String sweep = "";
            if (impl == Impl.CONPOOL) {
                var pool = ((MicroPool.Conpool) many).pool();
                double[] sweeps = new double[settings.sweeps()];
                for (int i = 0; i < sweeps.length; i++) {
                    sweeps[i] = BenchmarkAccess.sweepNanos(pool) / 1e6;
                }
                double med = Stats.median(sweeps);
                m.put("sweep_ms", med);
                m.put("sweep_ms_runs", sweeps);
                long intervalMs = pool.config(((MicroPool.Conpool) many).endpoint(0)).validationInterval().toMillis();
                m.put("validation_interval_ms", intervalMs);
                m.put("sweep_fraction_of_validation_interval", med / intervalMs);
                // One validation interval later (the pool's clock moved on, nothing else): the sweep finds every
                // connection idle for a whole interval, as it would at rest, and the heap is measured again.
                clockOffset[0] += intervalMs * 1_000_000L;
                double shedSweepMs = BenchmarkAccess.sweepNanos(pool) / 1e6;
                long rested = usedHeapAfterGc();
                double perEndpointAtRest = (rested - before) / (double) n - bare;
                m.put("sweep_ms_after_one_idle_interval", shedSweepMs);
                m.put("heap_bytes_per_idle_endpoint_at_rest", perEndpointAtRest);
                m.put("heap_bytes_per_idle_endpoint", perEndpointAtRest);
                sweep = String.format(", %.0f B after a sweep one idle interval later; sweep %.2f ms (%.3f %% of the "
                        + "%d s validation interval)", perEndpointAtRest, med, 100 * med / intervalMs,
                        intervalMs / 1000);
            }
            report.line(String.format("  scale %-22s borrow+return %7.0f ns (1 endpoint) vs %7.0f ns (%d): x%.2f; heap "
                    + "per idle endpoint beyond its socket %.0f B%s", impl.id, oneMedian, manyMedian, n,
                    manyMedian / oneMedian, perEndpoint, sweep));
        }
        finally {
            many.close();
            if (one != null) {
                one.close();
            }
            awaitServerIdle(server);
        }
        return m;
    }

    /** The same acquire comparison with trivial objects (no socket, no probe): bookkeeping alone. */
    private Map<String, Object> bookkeeping(Impl impl, List<Target> targets, List<Target> single, Report report)
            throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        try (MicroPool many = MicroPool.create(impl, targets, 8, true, null);
                MicroPool one = MicroPool.create(impl, single, 8, true, null)) {
            many.prefill(1);
            one.prefill(1);
            int[] order = shuffled(targets.size());
            timeBlock(one, new int[] {0}, settings.blockSeconds());
            timeBlock(many, order, settings.blockSeconds());
            double[] oneNs = new double[settings.blocks()];
            double[] manyNs = new double[settings.blocks()];
            for (int b = 0; b < settings.blocks(); b++) {
                oneNs[b] = timeBlock(one, new int[] {0}, settings.blockSeconds());
                manyNs[b] = timeBlock(many, order, settings.blockSeconds());
            }
            double o = Stats.median(oneNs);
            double n = Stats.median(manyNs);
            m.put("acquire_release_ns_1_endpoint", o);
            m.put("acquire_release_ns_" + targets.size() + "_endpoints", n);
            m.put("scale_acquire_vs_one", n / o);
            report.line(String.format("  bookkeeping only %-22s borrow+return %7.0f ns (1 endpoint) vs %7.0f ns (%d): x%.2f",
                    impl.id, o, n, targets.size(), n / o));
        }
        return m;
    }

    /** conpool's heap per endpoint whose connection was opened by warm() and never leased (no stream buffers yet). */
    private static double warmedOnly(List<Target> targets, double bare, Report report) throws Exception {
        long before = usedHeapAfterGc();
        try (MicroPool.Conpool pool = (MicroPool.Conpool) MicroPool.create(Impl.CONPOOL, targets, 8, false, null)) {
            for (int ep = 0; ep < targets.size(); ep++) {
                pool.pool().warm(pool.endpoint(ep), 1);
            }
            long after = usedHeapAfterGc();
            double perEndpoint = (after - before) / (double) targets.size() - bare;
            report.line(String.format("  conpool, connections opened by warm() and never leased: %.0f B per idle endpoint "
                    + "beyond its socket", perEndpoint));
            return perEndpoint;
        }
    }

    private static int[] shuffled(int n) {
        int[] order = new int[n];
        Arrays.setAll(order, i -> i);
        SplittableRandom random = new SplittableRandom(42);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /** Mean ns per borrow + return over {@code seconds}, cycling through {@code order}. */
    private static double timeBlock(MicroPool pool, int[] order, double seconds) throws Exception {
        long budget = (long) (seconds * 1e9);
        long start = System.nanoTime();
        long ops = 0;
        int i = 0;
        long now;
        do {
            for (int k = 0; k < 256; k++) {
                int ep = order[i];
                if (++i == order.length) {
                    i = 0;
                }
                pool.giveBack(ep, pool.borrow(ep));
            }
            ops += 256;
            now = System.nanoTime();
        } while (now - start < budget);
        return (now - start) / (double) ops;
    }

    /** Heap kept per connected socket that did one exchange (client side plus the in-process server's side). */
    private static double bareBytes(List<Target> targets, SelectorEchoServer server, boolean channel) throws Exception {
        byte[] request = new byte[LoopbackServer.MESSAGE_BYTES];
        byte[] reply = new byte[LoopbackServer.MESSAGE_BYTES];
        long before = usedHeapAfterGc();
        List<AutoCloseable> open = new ArrayList<>();
        try {
            for (Target t : targets) {
                if (channel) {
                    SocketChannel ch = SocketChannel.open();
                    open.add(ch);
                    ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    ch.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
                    ch.socket().connect(t.address, 10_000);
                    ch.socket().getOutputStream().write(request);
                    BenchSocket.readFully(ch.socket().getInputStream(), reply);
                }
                else {
                    BenchSocket s = BenchSocket.connect(t, null);
                    open.add(s);
                    s.exchange(request, reply);
                }
            }
            long after = usedHeapAfterGc();
            return (after - before) / (double) targets.size();
        }
        finally {
            for (AutoCloseable c : open) {
                c.close();
            }
            awaitServerIdle(server);
        }
    }

    private static void awaitServerIdle(SelectorEchoServer server) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (server.openConnections() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    static long usedHeapAfterGc() throws InterruptedException {
        var memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(50);
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }

}
