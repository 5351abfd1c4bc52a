package io.conpool.benchmarks;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.openjdk.jmh.util.Statistics;

/**
 * Runs the whole comparison in one JVM invocation: the end-to-end scenarios (implementations interleaved, repeated,
 * medians taken), the scale scenario, and the JMH micro benchmarks (forked JVMs of the same JDK). Prints tables and
 * writes {@code benchmark-results.json} with every figure and the named ratios of issue 5.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar [--quick | --full] [--only=e2e,scale,micro,scrape] [--out=FILE]
 * </pre>
 */
public final class BenchmarkMain {

    /** How long and how often: the quick run is for a smoke test (under 5 minutes on 2 cores), full for the record. */
    record Profile(String name, int reps, double warmupSeconds, double windowSeconds, int[] microThreads,
            int microWarmups, int microWarmupMs, int microIterations, int microIterationMs, Scale.Settings scale,
            ScrapeComparison.Settings scrape) {
    }

    static final Profile QUICK = new Profile("quick", 1, 0.5, 1.0, new int[] {1, 8}, 1, 400, 2, 400,
            new Scale.Settings(2000, 3, 0.2, 3), new ScrapeComparison.Settings(4, 0.5, 0.5));

    static final Profile FULL = new Profile("full", 3, 1.0, 3.0, new int[] {1, 2, 8}, 2, 1000, 3, 1000,
            new Scale.Settings(2000, 5, 0.5, 5), new ScrapeComparison.Settings(10, 1.0, 2.0));

    private static final String P1 = "plain-1ep-8pt";

    private static final String T1 = "tls-1ep-8pt";

    private static final String P100 = "plain-100ep-8pt";

    private static final String SAT_PT = "plain-1ep-64pt-8conn";

    private static final String SAT_VT = "plain-1ep-1000vt-8conn";

    private static final String VT64 = "plain-1ep-1000vt-64conn";

    /** Development filters (not for recorded runs): restrict scenarios and implementations. */
    private static Set<String> onlyScenarios;

    private static Set<String> onlyImpls;

    private static String[] onlyObjects;

    private BenchmarkMain() {
    }

    public static void main(String[] args) throws Exception {
        Profile profile = QUICK;
        Set<String> parts = new LinkedHashSet<>(List.of("e2e", "scale", "micro", "scrape"));
        int reps = 0;
        int[] microThreads = null;
        double window = 0;
        Path out = Files.isDirectory(Path.of("benchmarks")) ? Path.of("benchmarks", "target", "benchmark-results.json")
                : Path.of("target", "benchmark-results.json");
        for (String a : args) {
            if (a.equals("--full")) {
                profile = FULL;
            }
            else if (a.equals("--quick")) {
                profile = QUICK;
            }
            else if (a.startsWith("--only=")) {
                parts = new LinkedHashSet<>(List.of(a.substring(7).split(",")));
            }
            else if (a.startsWith("--scenarios=")) {
                onlyScenarios = Set.of(a.substring(12).split(","));
            }
            else if (a.startsWith("--impls=")) {
                onlyImpls = Set.of(a.substring(8).split(","));
            }
            else if (a.startsWith("--micro-threads=")) {
                microThreads = java.util.Arrays.stream(a.substring(16).split(",")).mapToInt(Integer::parseInt).toArray();
            }
            else if (a.startsWith("--objects=")) {
                onlyObjects = a.substring(10).split(",");
            }
            else if (a.startsWith("--reps=")) {
                reps = Integer.parseInt(a.substring(7));
            }
            else if (a.startsWith("--window=")) {
                window = Double.parseDouble(a.substring(9));
            }
            else if (a.startsWith("--out=")) {
                out = Path.of(a.substring(6));
            }
            else if (a.equals("--help") || a.equals("-h")) {
                System.out.println("java -jar benchmarks.jar [--quick | --full] [--only=e2e,scale,micro,scrape] "
                        + "[--out=FILE]\n  development: --scenarios=ID,.. --impls=ID,.. --objects=trivial,socket "
                        + "--micro-threads=N,.. --reps=N --window=SECONDS");
                return;
            }
            else {
                throw new IllegalArgumentException("unknown argument '" + a + "'; use --quick, --full, "
                        + "--only=e2e,scale,micro,scrape, --out=FILE (development: --scenarios=ID,.. --impls=ID,.. "
                        + "--reps=N --window=SECONDS)");
            }
        }
        if (microThreads != null) {
            profile = new Profile(profile.name() + "-custom", profile.reps(), profile.warmupSeconds(),
                    profile.windowSeconds(), microThreads, profile.microWarmups(), profile.microWarmupMs(),
                    profile.microIterations(), profile.microIterationMs(), profile.scale(), profile.scrape());
        }
        if (reps > 0 || window > 0) {
            profile = new Profile(profile.name() + "-custom", reps > 0 ? reps : profile.reps(), profile.warmupSeconds(),
                    window > 0 ? window : profile.windowSeconds(), profile.microThreads(), profile.microWarmups(),
                    profile.microWarmupMs(), profile.microIterations(), profile.microIterationMs(), profile.scale(),
                    profile.scrape());
        }
        Files.createDirectories(out.toAbsolutePath().getParent());
        Report report = new Report();
        Map<String, Object> json = new LinkedHashMap<>();
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("profile", profile.name());
        run.put("started", Instant.now().toString());
        run.put("java_version", System.getProperty("java.version"));
        run.put("java_runtime", System.getProperty("java.runtime.name") + " " + System.getProperty("java.runtime.version"));
        run.put("java_vendor", System.getProperty("java.vendor"));
        run.put("vm", System.getProperty("java.vm.name"));
        run.put("available_processors", Runtime.getRuntime().availableProcessors());
        run.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        run.put("note", "2-core machine shared with other builds: absolute figures drift, side-by-side ratios hold");
        json.put("run", run);
        report.line(String.format("conpool benchmarks, %s run on %s %s (%d cores), parts %s", profile.name(),
                System.getProperty("java.vm.name"), System.getProperty("java.runtime.version"),
                Runtime.getRuntime().availableProcessors(), parts));
        long started = System.nanoTime();

        Map<String, Map<Impl, EndToEnd.RunFigures>> e2e = null;
        if (parts.contains("e2e")) {
            e2e = runEndToEnd(profile, report, json);
        }
        Map<String, Object> scale = null;
        if (parts.contains("scale")) {
            report.line("");
            report.line("== scale: " + profile.scale().endpoints() + " endpoints, one idle connection each ==");
            scale = new Scale(profile.scale()).run(Impl.POOLS, report);
            json.put("scale", scale);
        }
        List<Map<String, Object>> micro = null;
        if (parts.contains("micro")) {
            micro = runMicro(profile, report, out.toAbsolutePath().getParent());
            json.put("micro", micro);
        }
        List<Map<String, Object>> scrape = null;
        if (parts.contains("scrape")) {
            scrape = runScrape(profile, report, out.toAbsolutePath().getParent());
            json.put("scrape", scrape);
        }
        Map<String, Object> ratios = Ratios.compute(e2e, scale, micro, scrape);
        json.put("ratios", ratios);
        report.line("");
        report.line("== named ratios and targets (issue 5) ==");
        Ratios.print(ratios, report);
        double minutes = (System.nanoTime() - started) / 60e9;
        run.put("duration_minutes", minutes);
        report.line(String.format("%nfinished in %.1f min; results in %s", minutes, out));
        Files.writeString(out, Json.write(json));
        Files.writeString(out.resolveSibling("benchmark-results.txt"), report.text());
    }

    // ------------------------------------------------------------------ end to end

    private static Map<String, Map<Impl, EndToEnd.RunFigures>> runEndToEnd(Profile p, Report report,
            Map<String, Object> json) throws Exception {
        List<Impl> all = List.of(Impl.DEDICATED, Impl.PER_REQUEST, Impl.COMMONS_POOL2_DEFAULT,
                Impl.COMMONS_POOL2_TUNED, Impl.COMMONS_POOL2_AS_CONPOOL, Impl.HTTPCORE_STRICT, Impl.HTTPCORE_LAX,
                Impl.CONPOOL, Impl.CONPOOL_BLOCKING_SOCKETS);
        List<Impl> allAndTotalCap = java.util.stream.Stream.concat(all.stream(), java.util.stream.Stream.of(
                Impl.CONPOOL_MAX_TOTAL)).toList();
        List<Impl> allTls = List.of(Impl.DEDICATED, Impl.PER_REQUEST, Impl.PER_REQUEST_RESUMED,
                Impl.COMMONS_POOL2_DEFAULT, Impl.COMMONS_POOL2_TUNED, Impl.HTTPCORE_STRICT, Impl.HTTPCORE_LAX,
                Impl.CONPOOL, Impl.CONPOOL_BLOCKING_SOCKETS);
        List<EndToEnd.Scenario> scenarios = List.of(
                new EndToEnd.Scenario(P1, "plain, 1 endpoint, 8 platform threads, 8 connections", false, 1, 8, false, 8,
                        all),
                new EndToEnd.Scenario(T1, "TLS 1.3, 1 endpoint, 8 platform threads, 8 connections", true, 1, 8, false,
                        8, allTls),
                new EndToEnd.Scenario(P100, "plain, 100 endpoints (random per request), 8 platform threads, "
                        + "8 connections per endpoint", false, 100, 8, false, 8, allAndTotalCap),
                new EndToEnd.Scenario(SAT_PT, "plain, 1 endpoint, 64 platform threads on 8 connections (saturation)",
                        false, 1, 64, false, 8, Impl.POOLS_AND_VARIANT),
                new EndToEnd.Scenario(SAT_VT, "plain, 1 endpoint, 1,000 virtual threads on 8 connections", false, 1,
                        1000, true, 8, Impl.POOLS_AND_VARIANT),
                new EndToEnd.Scenario(VT64, "plain, 1 endpoint, 1,000 virtual threads on 64 connections", false, 1,
                        1000, true, 64, Impl.POOLS));
        if (onlyScenarios != null || onlyImpls != null) {
            List<EndToEnd.Scenario> kept = new ArrayList<>();
            for (EndToEnd.Scenario s : scenarios) {
                if (onlyScenarios == null || onlyScenarios.contains(s.id())) {
                    kept.add(new EndToEnd.Scenario(s.id(), s.description(), s.tls(), s.endpoints(), s.threads(),
                            s.virtualThreads(), s.connectionsPerEndpoint(), s.impls().stream()
                                    .filter(i -> onlyImpls == null || onlyImpls.contains(i.id)).toList()));
                }
            }
            scenarios = kept;
        }
        report.line("");
        report.line(String.format("== end to end: 64-byte request, 64-byte reply over loopback; %d repetition(s) of "
                + "%.1f s warm-up + %.1f s measured per implementation, implementations interleaved ==", p.reps(),
                p.warmupSeconds(), p.windowSeconds()));
        TestCertificate cert = TestCertificate.generate();
        List<InetAddress> hundred = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            hundred.add(InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) (1 + i)}));
        }
        InetAddress localhost = InetAddress.getByName("127.0.0.1");
        Map<String, Map<Impl, List<EndToEnd.RunFigures>>> runs = new LinkedHashMap<>();
        try (LoopbackServer plain1 = LoopbackServer.start(List.of(localhost), null, false);
                LoopbackServer tls1 = LoopbackServer.start(List.of(localhost), cert.serverContext(), false);
                LoopbackServer plain100 = LoopbackServer.start(hundred, null, false)) {
            EndToEnd harness = new EndToEnd();
            for (int rep = 0; rep < p.reps(); rep++) {
                for (int si = 0; si < scenarios.size(); si++) {
                    EndToEnd.Scenario s = scenarios.get(si);
                    LoopbackServer server = s.tls() ? tls1 : s.endpoints() == 100 ? plain100 : plain1;
                    List<Target> targets = new ArrayList<>();
                    for (int i = 0; i < s.endpoints(); i++) {
                        targets.add(new Target(i, server.addresses().get(i), s.tls()));
                    }
                    List<Impl> order = rotate(s.impls(), rep + si);
                    for (Impl impl : order) {
                        EndToEnd.RunFigures f = harness.run(s, impl, targets, cert, p.warmupSeconds(),
                                p.windowSeconds());
                        runs.computeIfAbsent(s.id(), k -> new LinkedHashMap<>())
                                .computeIfAbsent(impl, k -> new ArrayList<>()).add(f);
                        report.line(String.format(Locale.ROOT,
                                "  [%d/%d] %-24s %-28s %10.0f ops/s  cpu %6.1f us/req  p99 %8.1f us  wait p99 %8.1f us  conns %d%s",
                                rep + 1, p.reps(), s.id(), impl.id, f.throughput(), f.cpuUsPerRequest(), f.p99Us(),
                                f.waitP99Us(),
                                f.connectionsCreated(), f.errors() > 0 ? "  ERRORS " + f.errors() : ""));
                        Thread.sleep(200);
                    }
                }
            }
        }
        Map<String, Map<Impl, EndToEnd.RunFigures>> medians = new LinkedHashMap<>();
        List<Map<String, Object>> jsonScenarios = new ArrayList<>();
        for (EndToEnd.Scenario s : scenarios) {
            Map<Impl, EndToEnd.RunFigures> m = new LinkedHashMap<>();
            Map<String, Object> js = new LinkedHashMap<>();
            js.put("id", s.id());
            js.put("description", s.description());
            js.put("tls", s.tls());
            js.put("endpoints", s.endpoints());
            js.put("threads", s.threads());
            js.put("thread_kind", s.virtualThreads() ? "virtual" : "platform");
            js.put("connections_per_endpoint", s.connectionsPerEndpoint());
            js.put("repetitions", p.reps());
            Map<String, Object> results = new LinkedHashMap<>();
            for (Impl impl : s.impls()) {
                List<EndToEnd.RunFigures> list = runs.get(s.id()).get(impl);
                EndToEnd.RunFigures med = median(list);
                m.put(impl, med);
                Map<String, Object> r = EndToEnd.toJson(med);
                double[] thr = list.stream().mapToDouble(EndToEnd.RunFigures::throughput).toArray();
                r.put("throughput_runs", thr);
                if (s.threads() > s.connectionsPerEndpoint() * s.endpoints()) {
                    double fair = (double) s.threads() / (s.connectionsPerEndpoint() * s.endpoints())
                            * med.serviceMeanUs();
                    r.put("fcfs_wait_estimate_us", fair);
                    r.put("p99_wait_vs_fair", med.waitP99Us() / fair);
                }
                results.put(impl.id, r);
            }
            js.put("results", results);
            jsonScenarios.add(js);
            medians.put(s.id(), m);
            printScenario(s, m, report);
        }
        json.put("end_to_end", jsonScenarios);
        return medians;
    }

    private static void printScenario(EndToEnd.Scenario s, Map<Impl, EndToEnd.RunFigures> m, Report report) {
        report.line("");
        report.line("-- " + s.id() + ": " + s.description() + " (medians)");
        report.line(String.format("  %-28s %11s %10s %9s %9s %9s %12s %11s %7s %11s", "implementation", "ops/s",
                "conpool/it", "p50 us", "p99 us", "p99.9 us", "wait p99 us", "conns made", "errors", "cpu us/req"));
        EndToEnd.RunFigures cp = m.get(Impl.CONPOOL);
        for (Map.Entry<Impl, EndToEnd.RunFigures> e : m.entrySet()) {
            EndToEnd.RunFigures f = e.getValue();
            report.line(String.format(Locale.ROOT, "  %-28s %11.0f %10.3f %9.1f %9.1f %9.1f %12.1f %11d %7d %11.1f",
                    e.getKey().id, f.throughput(), (cp == null ? Double.NaN : cp.throughput()) / f.throughput(), f.p50Us(), f.p99Us(), f.p999Us(),
                    f.waitP99Us(), f.connectionsCreated(), f.errors(), f.cpuUsPerRequest()));
        }
    }

    private static EndToEnd.RunFigures median(List<EndToEnd.RunFigures> l) {
        return new EndToEnd.RunFigures(med(l, EndToEnd.RunFigures::throughput), med(l, EndToEnd.RunFigures::p50Us),
                med(l, EndToEnd.RunFigures::p99Us), med(l, EndToEnd.RunFigures::p999Us),
                med(l, EndToEnd.RunFigures::waitP99Us), med(l, EndToEnd.RunFigures::waitMeanUs),
                med(l, EndToEnd.RunFigures::serviceMeanUs), (long) med(l, f -> (double) f.ops()),
                (long) med(l, f -> (double) f.errors()), (long) med(l, f -> (double) f.connectionsCreated()),
                (long) med(l, f -> (double) f.connectionsCreatedInWindow()), med(l, EndToEnd.RunFigures::cpuUsPerRequest));
    }

    private static double med(List<EndToEnd.RunFigures> l, java.util.function.ToDoubleFunction<EndToEnd.RunFigures> f) {
        return Stats.median(l.stream().mapToDouble(f).toArray());
    }

    private static <T> List<T> rotate(List<T> list, int by) {
        List<T> r = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            r.add(list.get((i + by) % list.size()));
        }
        return r;
    }

    // ------------------------------------------------------------------ micro (JMH)

    private static List<Map<String, Object>> runMicro(Profile p, Report report, Path dir) throws Exception {
        report.line("");
        report.line(String.format("== micro (JMH 1.37, sample-time mode, 1 fork per case, %d x %d ms warm-up, %d x %d ms "
                + "measured, -prof gc; JMH's own output in %s) ==", p.microWarmups(), p.microWarmupMs(),
                p.microIterations(), p.microIterationMs(), dir.resolve("jmh-*.txt")));
        List<Map<String, Object>> rows = new ArrayList<>();
        List<RunResult> results = new ArrayList<>();
        for (int threads : p.microThreads()) {
            report.line("  borrow + return, " + threads + " thread(s)...");
            ChainedOptionsBuilder o = options(p, dir.resolve("jmh-borrow-return-" + threads + "t.txt"), threads)
                    .include(BorrowReturnBenchmark.class.getName() + ".borrowReturn");
            if (onlyImpls != null) {
                o.param("impl", onlyImpls.toArray(String[]::new));
            }
            if (onlyObjects != null) {
                o.param("object", onlyObjects);
            }
            results.addAll(new Runner(o.build()).run());
        }
        report.line("  liveness probe, 1 thread: 4 cases...");
        results.addAll(new Runner(options(p, dir.resolve("jmh-probe.txt"), 1).include(ProbeBenchmark.class.getName() + ".probe").build())
                .run());
        for (RunResult r : results) {
            rows.add(row(r));
        }
        report.line("");
        report.line(String.format("  %-14s %-22s %-8s %4s %4s %9s %9s %9s %9s %12s %8s", "benchmark", "implementation",
                "object", "eps", "thr", "p50 ns", "p99 ns", "p99.9 ns", "mean ns", "ops/s", "B/op"));
        for (Map<String, Object> row : rows) {
            report.line(String.format(Locale.ROOT, "  %-14s %-22s %-8s %4s %4s %9.0f %9.0f %9.0f %9.1f %12.0f %8.1f",
                    row.get("benchmark"), row.get("impl"), row.get("object"), row.get("endpoints"), row.get("threads"),
                    row.get("p50_ns"), row.get("p99_ns"), row.get("p999_ns"), row.get("mean_ns"),
                    row.get("throughput_ops_per_s"), row.get("alloc_bytes_per_op")));
        }
        return rows;
    }

    // ------------------------------------------------------------------ metrics scrape (JMH)

    /**
     * One scrape of 100 named endpoints' meters, with and without the stats snapshot cache: first side by side in
     * alternating blocks in this JVM ({@link ScrapeComparison}, the figures to quote), then as a JMH case per setting
     * (allocation per scrape from {@code -prof gc}; its ratio carries the drift between forks). Both count, outside
     * the timing, how many stats snapshots one scrape takes.
     */
    private static List<Map<String, Object>> runScrape(Profile p, Report report, Path dir) throws Exception {
        report.line("");
        report.line("== metrics scrape, " + ScrapeBenchmark.ENDPOINTS + " named endpoints, every stats snapshot "
                + "expired before each scrape; cache none = a snapshot per gauge and counter, 1s = the default ==");
        List<Map<String, Object>> rows = new ArrayList<>(new ScrapeComparison(p.scrape()).run(report));
        report.line("");
        report.line(String.format("  JMH 1.37 (sample-time mode, 1 fork per case, %d x %d ms warm-up, %d x %d ms "
                + "measured, -prof gc; JMH's own output in %s): 4 cases...", p.microWarmups(), p.microWarmupMs(),
                p.microIterations(), p.microIterationMs(), dir.resolve("jmh-scrape.txt")));
        List<RunResult> results = new ArrayList<>(new Runner(options(p, dir.resolve("jmh-scrape.txt"), 1)
                .include(ScrapeBenchmark.class.getName() + ".scrape").build()).run());
        List<Map<String, Object>> jmh = new ArrayList<>();
        for (RunResult r : results) {
            var params = r.getParams();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("benchmark", "scrape-jmh");
            m.put("registry", params.getParam("registry"));
            m.put("cache", params.getParam("cache"));
            m.put("endpoints", ScrapeBenchmark.ENDPOINTS);
            Statistics st = r.getPrimaryResult().getStatistics();
            m.put("p50_ns", st.getPercentile(50));
            m.put("p99_ns", st.getPercentile(99));
            m.put("mean_ns", st.getMean());
            m.put("samples", st.getN());
            Result<?> alloc = r.getSecondaryResults().get("gc.alloc.rate.norm");
            m.put("alloc_bytes_per_op", alloc == null ? Double.NaN : alloc.getScore());
            m.put("includes", "one scrape of every conpool meter of 100 named endpoints (each with one idle "
                    + "connection), every snapshot expired before it");
            jmh.add(m);
        }
        report.line(String.format("  %-12s %-6s %8s %12s %12s %12s %12s", "registry", "cache", "samples", "p50 us",
                "p99 us", "mean us", "KB/scrape"));
        for (Map<String, Object> row : jmh) {
            report.line(String.format(Locale.ROOT, "  %-12s %-6s %8d %12.1f %12.1f %12.1f %12.1f", row.get("registry"),
                    row.get("cache"), row.get("samples"), (Double) row.get("p50_ns") / 1e3,
                    (Double) row.get("p99_ns") / 1e3, (Double) row.get("mean_ns") / 1e3,
                    (Double) row.get("alloc_bytes_per_op") / 1024));
        }
        rows.addAll(jmh);
        return rows;
    }

    private static ChainedOptionsBuilder options(Profile p, Path output, int threads) {
        return new OptionsBuilder()
                .forks(1)
                .threads(threads)
                .warmupIterations(p.microWarmups())
                .warmupTime(TimeValue.milliseconds(p.microWarmupMs()))
                .measurementIterations(p.microIterations())
                .measurementTime(TimeValue.milliseconds(p.microIterationMs()))
                .addProfiler(GCProfiler.class)
                .jvmArgs("-Xms1g", "-Xmx1g")
                .shouldFailOnError(true)
                .verbosity(VerboseMode.NORMAL)
                .output(output.toString());
    }

    private static Map<String, Object> row(RunResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        var params = r.getParams();
        String bench = params.getBenchmark();
        boolean probe = bench.endsWith(".probe");
        m.put("benchmark", probe ? "probe" : "borrow+return");
        m.put("impl", probe ? "conpool" : params.getParam("impl"));
        m.put("object", probe ? params.getParam("transport")
                + (params.getParam("sockets").equals("blocking") ? "-blocking-socket" : "") : params.getParam("object"));
        m.put("endpoints", probe ? "1" : params.getParam("endpoints"));
        m.put("threads", params.getThreads());
        Statistics st = r.getPrimaryResult().getStatistics();
        m.put("p50_ns", st.getPercentile(50));
        m.put("p99_ns", st.getPercentile(99));
        m.put("p999_ns", st.getPercentile(99.9));
        m.put("mean_ns", st.getMean());
        m.put("samples", st.getN());
        m.put("throughput_ops_per_s", params.getThreads() * 1e9 / st.getMean());
        Result<?> alloc = r.getSecondaryResults().get("gc.alloc.rate.norm");
        m.put("alloc_bytes_per_op", alloc == null ? Double.NaN : alloc.getScore());
        m.put("includes", probe ? "conpool's Connection.probe() on a healthy idle connection"
                : params.getParam("object").equals("trivial")
                        ? ("conpool".equals(params.getParam("impl"))
                                ? "conpool acquire + close through the public API on a connection over a no-op "
                                        + "channel: all bookkeeping incl. the Java side of the probe, no syscall"
                                : "borrow + return of a trivial object")
                        : ("conpool".equals(params.getParam("impl"))
                                ? "acquire + close of a real idle socket, incl. the liveness probe (syscalls)"
                                : "borrow + return of a real idle socket (no check)"));
        return m;
    }

}
