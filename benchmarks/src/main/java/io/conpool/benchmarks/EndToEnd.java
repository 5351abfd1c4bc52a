package io.conpool.benchmarks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The end-to-end load: N threads (platform or virtual) in a closed loop, each request on a random endpoint, against
 * the in-process {@link LoopbackServer}. A run warms up, then measures over a fixed window: throughput, request
 * latency (acquire + exchange + release), acquire wait, and the time a connection is held (the service time).
 */
final class EndToEnd {

    /** One workload. */
    record Scenario(String id, String description, boolean tls, int endpoints, int threads, boolean virtualThreads,
            int connectionsPerEndpoint, List<Impl> impls) {
    }

    /** The figures of one implementation in one run of a scenario. */
    record RunFigures(double throughput, double p50Us, double p99Us, double p999Us, double waitP99Us,
            double waitMeanUs, double serviceMeanUs, long ops, long errors, long connectionsCreated,
            long connectionsCreatedInWindow, double cpuUsPerRequest) {
    }

    private static final class Recorder {
        final Histogram latency = new Histogram();

        final Histogram wait = new Histogram();

        double serviceSum;

        long ops;

        long errors;
    }

    private volatile boolean recording;

    private volatile boolean stop;

    RunFigures run(Scenario s, Impl impl, List<Target> targets, TestCertificate cert, double warmupSeconds,
            double windowSeconds) throws InterruptedException {
        recording = false;
        stop = false;
        int limit = s.connectionsPerEndpoint();
        List<Recorder> recorders = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        try (Client client = Client.create(impl, targets, limit, cert)) {
            for (int i = 0; i < s.threads(); i++) {
                Recorder r = new Recorder();
                recorders.add(r);
                long seed = 0x9E3779B97F4A7C15L * (i + 1);
                Runnable loop = () -> loop(client, r, targets.size(), seed);
                threads.add(s.virtualThreads() ? Thread.ofVirtual().name("load-", i).unstarted(loop)
                        : Thread.ofPlatform().name("load-", i).daemon().unstarted(loop));
            }
            threads.forEach(Thread::start);
            sleep(warmupSeconds);
            long createdBefore = client.connectionsCreated();
            long cpu0 = processCpuNanos();
            long t0 = System.nanoTime();
            recording = true;
            sleep(windowSeconds);
            recording = false;
            long t1 = System.nanoTime();
            long cpu1 = processCpuNanos();
            long createdInWindow = client.connectionsCreated() - createdBefore;
            stop = true;
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(60));
                if (t.isAlive()) {
                    throw new IllegalStateException(impl.id + " in " + s.id() + ": a load thread did not stop");
                }
            }
            long createdTotal = client.connectionsCreated();
            Recorder all = new Recorder();
            for (Recorder r : recorders) {
                all.latency.add(r.latency);
                all.wait.add(r.wait);
                all.serviceSum += r.serviceSum;
                all.ops += r.ops;
                all.errors += r.errors;
            }
            double seconds = (t1 - t0) / 1e9;
            return new RunFigures(all.ops / seconds, us(all.latency.percentile(0.50)), us(all.latency.percentile(0.99)),
                    us(all.latency.percentile(0.999)), us(all.wait.percentile(0.99)), us(all.wait.mean()),
                    all.ops == 0 ? Double.NaN : all.serviceSum / all.ops / 1e3, all.ops, all.errors, createdTotal,
                    createdInWindow, all.ops == 0 ? Double.NaN : (cpu1 - cpu0) / 1e3 / all.ops);
        }
    }

    private void loop(Client client, Recorder r, int endpoints, long seed) {
        Client.WorkerState w = new Client.WorkerState();
        client.initWorker(w);
        SplittableRandom random = new SplittableRandom(seed);
        byte[] request = new byte[LoopbackServer.MESSAGE_BYTES];
        byte[] reply = new byte[LoopbackServer.MESSAGE_BYTES];
        random.nextBytes(request);
        while (!stop) {
            int ep = endpoints == 1 ? 0 : random.nextInt(endpoints);
            long start = System.nanoTime();
            try {
                long inHand = client.request(w, ep, request, reply);
                long end = System.nanoTime();
                if (recording) {
                    r.latency.record(end - start);
                    r.wait.record(inHand - start);
                    r.serviceSum += end - inHand;
                    r.ops++;
                }
            }
            catch (Exception ex) {
                if (recording) {
                    r.errors++;
                }
                if (r.errors < 3 && recording) {
                    System.err.println("  request failed: " + ex);
                }
            }
        }
        if (w.dedicated != null) {
            for (BenchSocket s : w.dedicated) {
                if (s != null) {
                    s.close();
                }
            }
        }
    }

    /** CPU time of this whole process (load threads and the in-process server alike). */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static double us(double nanos) {
        return nanos / 1e3;
    }

    private static void sleep(double seconds) throws InterruptedException {
        Thread.sleep((long) (seconds * 1000));
    }

    static Map<String, Object> toJson(RunFigures f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("throughput_ops_per_s", f.throughput());
        m.put("latency_p50_us", f.p50Us());
        m.put("latency_p99_us", f.p99Us());
        m.put("latency_p999_us", f.p999Us());
        m.put("acquire_wait_p99_us", f.waitP99Us());
        m.put("acquire_wait_mean_us", f.waitMeanUs());
        m.put("service_time_mean_us", f.serviceMeanUs());
        m.put("requests", f.ops());
        m.put("errors", f.errors());
        m.put("connections_created", f.connectionsCreated());
        m.put("connections_created_in_window", f.connectionsCreatedInWindow());
        m.put("process_cpu_us_per_request", f.cpuUsPerRequest());
        return m;
    }
}
