package io.conpool.benchmarks;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The metrics scrape of {@link ScrapeBenchmark} (100 named endpoints), without and with the stats snapshot cache,
 * measured side by side in one JVM: both set-ups live at once and their blocks alternate (the first of each pair
 * alternates too), so a neighbour's load on this shared machine lands on both alike. Per scrape it records wall
 * time, the scraping thread's CPU time (less sensitive to other people's load) and the bytes it allocated; figures
 * are medians over all scrapes of all blocks. JMH's forks run one case after another, minutes apart on a busy host:
 * their ratio carries the drift between them, this one does not.
 */
final class ScrapeComparison {

    record Settings(int blocks, double blockSeconds, double warmupSeconds) {
    }

    private static final String[] CACHES = {"none", "1s"};

    private final Settings settings;

    ScrapeComparison(Settings settings) {
        this.settings = settings;
    }

    /** One row per registry and cache setting. */
    List<Map<String, Object>> run(Report report) throws Exception {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String registry : new String[] {"prometheus", "simple"}) {
            AtomicLong[] clocks = {new AtomicLong(1_000_000_000L), new AtomicLong(1_000_000_000L)};
            ScrapeBenchmark.Fixture[] fixtures = new ScrapeBenchmark.Fixture[2];
            List<List<long[]>> samples = List.of(new ArrayList<>(), new ArrayList<>());
            try {
                for (int v = 0; v < 2; v++) {
                    fixtures[v] = ScrapeBenchmark.build(registry, CACHES[v], clocks[v], null);
                }
                for (int v = 0; v < 2; v++) {
                    block(fixtures[v], clocks[v], settings.warmupSeconds(), threads, null);
                }
                for (int b = 0; b < settings.blocks(); b++) {
                    for (int k = 0; k < 2; k++) {
                        int v = (b + k) % 2;
                        block(fixtures[v], clocks[v], settings.blockSeconds(), threads, samples.get(v));
                    }
                }
            }
            finally {
                for (ScrapeBenchmark.Fixture f : fixtures) {
                    if (f != null) {
                        f.registry().close();
                        f.pool().close();
                        f.server().close();
                    }
                }
            }
            for (int v = 0; v < 2; v++) {
                List<long[]> s = samples.get(v);
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("benchmark", "scrape-interleaved");
                m.put("registry", registry);
                m.put("cache", CACHES[v]);
                m.put("endpoints", ScrapeBenchmark.ENDPOINTS);
                m.put("scrapes", s.size());
                m.put("wall_p50_ns", Stats.median(column(s, 0)));
                m.put("cpu_p50_ns", Stats.median(column(s, 1)));
                m.put("alloc_bytes_p50", Stats.median(column(s, 2)));
                m.put("stats_snapshots_per_scrape", ScrapeBenchmark.statsCallsPerScrape(registry, CACHES[v]));
                rows.add(m);
            }
        }
        report.line(String.format("  side by side (%d alternating blocks of %.1f s per setting, medians over every scrape):",
                settings.blocks(), settings.blockSeconds()));
        report.line(String.format("  %-12s %-6s %8s %12s %12s %12s %11s", "registry", "cache", "scrapes", "wall p50 us",
                "cpu p50 us", "KB/scrape", "snapshots"));
        for (Map<String, Object> row : rows) {
            report.line(String.format(Locale.ROOT, "  %-12s %-6s %8d %12.1f %12.1f %12.1f %11d", row.get("registry"),
                    row.get("cache"), row.get("scrapes"), (Double) row.get("wall_p50_ns") / 1e3,
                    (Double) row.get("cpu_p50_ns") / 1e3, (Double) row.get("alloc_bytes_p50") / 1024,
                    row.get("stats_snapshots_per_scrape")));
        }
        return rows;
    }

    /** Scrapes for {@code seconds}, each after expiring every snapshot; records wall, CPU and allocation per scrape. */
    private static void block(ScrapeBenchmark.Fixture f, AtomicLong clock, double seconds,
            com.sun.management.ThreadMXBean threads, List<long[]> into) {
        long step = f.ttl().toNanos() + 1;
        long id = Thread.currentThread().threadId();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        Object sink = null;
        while (System.nanoTime() - end < 0) {
            clock.addAndGet(step);
            long cpu0 = threads.getCurrentThreadCpuTime();
            long alloc0 = threads.getThreadAllocatedBytes(id);
            long t0 = System.nanoTime();
            sink = ScrapeBenchmark.scrape(f.registry());
            long wall = System.nanoTime() - t0;
            long cpu = threads.getCurrentThreadCpuTime() - cpu0;
            long alloc = threads.getThreadAllocatedBytes(id) - alloc0;
            if (into != null) {
                into.add(new long[] {wall, cpu, alloc});
            }
        }
        if (sink == null) {
            throw new IllegalStateException("no scrape in " + seconds + " s");
        }
    }

    private static double[] column(List<long[]> samples, int i) {
        double[] out = new double[samples.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = samples.get(k)[i];
        }
        return out;
    }
}
