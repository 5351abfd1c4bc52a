package io.conpool.benchmarks;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The named ratios of issue 5, each from figures measured side by side in the same run, with its target (if any)
 * and whether it was met.
 */
final class Ratios {

    private Ratios() {
    }

    static Map<String, Object> compute(Map<String, Map<Impl, EndToEnd.RunFigures>> e2e, Map<String, Object> scale,
            List<Map<String, Object>> micro, List<Map<String, Object>> scrape) {
        Map<String, Object> r = new LinkedHashMap<>();
        if (e2e != null) {
            var p1 = e2e.get("plain-1ep-8pt");
            var t1 = e2e.get("tls-1ep-8pt");
            var p100 = e2e.get("plain-100ep-8pt");
            var satPt = e2e.get("plain-1ep-64pt-8conn");
            var satVt = e2e.get("plain-1ep-1000vt-8conn");
            var vt64 = e2e.get("plain-1ep-1000vt-64conn");
            double cp = thr(p1, Impl.CONPOOL);
            if (satVt == null) {
                satVt = Map.of();
            }
            put(r, "reuse_speedup_plain", cp / thr(p1, Impl.PER_REQUEST), ">= 8",
                    "conpool / connect-per-request, throughput, plain, 1 endpoint, 8 platform threads");
            put(r, "reuse_speedup_tls", thr(t1, Impl.CONPOOL) / thr(t1, Impl.PER_REQUEST), ">= 150",
                    "conpool / connect-per-request with a full TLS 1.3 handshake each time, 8 platform threads");
            put(r, "reuse_speedup_tls_vs_resumed", thr(t1, Impl.CONPOOL) / thr(t1, Impl.PER_REQUEST_RESUMED), null,
                    "conpool / connect-per-request with JDK TLS session resumption, 8 platform threads");
            put(r, "pool_vs_dedicated", cp / thr(p1, Impl.DEDICATED), ">= 0.97",
                    "conpool / one dedicated connection per thread, throughput, plain, 8 threads, 8 connections");
            put(r, "pool_vs_dedicated_p99", p99(p1, Impl.CONPOOL) / p99(p1, Impl.DEDICATED), "<= 1.2",
                    "conpool p99 latency / dedicated p99 latency, same scenario");
            put(r, "pool_vs_dedicated_tls", thr(t1, Impl.CONPOOL) / thr(t1, Impl.DEDICATED), null,
                    "conpool / dedicated, TLS 1.3, 8 threads, 8 connections");
            put(r, "commons_pool2_default_vs_dedicated", thr(p1, Impl.COMMONS_POOL2_DEFAULT) / thr(p1, Impl.DEDICATED),
                    null, "for reference: hand-rolled commons-pool2 / dedicated, plain, 8 threads");
            put(r, "pool_vs_commons_pool2", cp / thr(p1, Impl.COMMONS_POOL2_DEFAULT), ">= 1.0",
                    "conpool / commons-pool2 (defaults), throughput, plain, 1 endpoint, 8 threads");
            put(r, "pool_vs_commons_pool2_tuned", cp / thr(p1, Impl.COMMONS_POOL2_TUNED), null,
                    "conpool / commons-pool2 tuned (JMX off, reuseCapacityOnReturn off, maxIdle = max, fair), same");
            put(r, "pool_vs_commons_pool2_as_conpool", cp / thr(p1, Impl.COMMONS_POOL2_AS_CONPOOL), null,
                    "conpool / a bare commons-pool2 with conpool's settings and no gate, plain, 1 endpoint, 8 threads");
            put(r, "pool_vs_httpcore_strict", cp / thr(p1, Impl.HTTPCORE_STRICT), ">= 1.0",
                    "conpool / HttpCore 5 StrictConnPool, throughput, plain, 1 endpoint, 8 threads");
            put(r, "pool_vs_httpcore_lax", cp / thr(p1, Impl.HTTPCORE_LAX), ">= 1.0",
                    "conpool / HttpCore 5 LaxConnPool, throughput, plain, 1 endpoint, 8 threads");
            put(r, "non_blocking_vs_blocking_sockets", cp / thr(p1, Impl.CONPOOL_BLOCKING_SOCKETS), null,
                    "conpool / conpool with blocking sockets (-Dio.conpool.nonBlockingSockets=false), plain, 1 "
                            + "endpoint, 8 threads");
            put(r, "non_blocking_vs_blocking_sockets_tls", thr(t1, Impl.CONPOOL) / thr(t1, Impl.CONPOOL_BLOCKING_SOCKETS),
                    null, "the same over TLS 1.3");
            put(r, "pool_vs_commons_pool2_100_endpoints", thr(p100, Impl.CONPOOL) / thr(p100, Impl.COMMONS_POOL2_DEFAULT),
                    null, "conpool / commons-pool2 (defaults), 100 endpoints, 8 threads");
            put(r, "many_endpoints_vs_dedicated", thr(p100, Impl.CONPOOL) / thr(p100, Impl.DEDICATED), ">= 0.97",
                    "conpool / dedicated connections, 100 endpoints (random per request), 8 platform threads");
            put(r, "max_total_vs_uncapped_100_endpoints", thr(p100, Impl.CONPOOL_MAX_TOTAL) / thr(p100, Impl.CONPOOL),
                    null, "conpool with max-total-connections " + Client.MAX_TOTAL_CONNECTIONS + " / without, 100 "
                            + "endpoints, 8 platform threads");
            put(r, "many_endpoints_vs_one", thr(p100, Impl.CONPOOL) / cp, ">= 0.9",
                    "conpool throughput, 100 endpoints / 1 endpoint, 8 platform threads, 8 connections per endpoint");
            put(r, "many_endpoints_vs_one_dedicated", thr(p100, Impl.DEDICATED) / thr(p1, Impl.DEDICATED), null,
                    "for reference, the physical limit on the same workloads: dedicated connections, 100 endpoints "
                            + "(800 connections, 100 listening sockets) / 1 endpoint (8 connections)");
            put(r, "virtual_threads_vs_platform", thr(satVt, Impl.CONPOOL) / thr(satPt, Impl.CONPOOL), ">= 0.9",
                    "conpool throughput, 1,000 virtual threads / 64 platform threads, both on 8 connections");
            put(r, "virtual_threads_vs_platform_8_threads", thr(satVt, Impl.CONPOOL) / cp, null,
                    "conpool throughput, 1,000 virtual threads on 8 connections / 8 platform threads on 8 connections");
            put(r, "virtual_threads_64_connections_vs_platform", thr(vt64, Impl.CONPOOL) / cp, null,
                    "conpool throughput, 1,000 virtual threads on 64 connections / 8 platform threads on 8 connections");
            EndToEnd.RunFigures sat = satVt == null ? null : satVt.get(Impl.CONPOOL);
            if (sat != null) {
                double fair = 1000.0 / 8 * sat.serviceMeanUs();
                put(r, "saturation_p99_wait_vs_fair", sat.waitP99Us() / fair, "<= 3",
                        "conpool, 1,000 virtual threads on 8 connections: p99 acquire wait / (threads / connections x "
                                + "mean service time)");
                for (Impl peer : List.of(Impl.COMMONS_POOL2_DEFAULT, Impl.COMMONS_POOL2_TUNED, Impl.HTTPCORE_STRICT,
                        Impl.HTTPCORE_LAX)) {
                    EndToEnd.RunFigures f = satVt.get(peer);
                    if (f != null) {
                        put(r, "saturation_p99_wait_vs_fair_" + peer.id.replace('-', '_'),
                                f.waitP99Us() / (1000.0 / 8 * f.serviceMeanUs()), null, "the same for " + peer.id);
                    }
                }
            }
        }
        if (scale != null) {
            @SuppressWarnings("unchecked")
            Map<String, Map<String, Object>> res = (Map<String, Map<String, Object>>) scale.get("results");
            Map<String, Object> cp = res.get("conpool");
            if (cp != null) {
                put(r, "scale_acquire_vs_one", (Double) cp.get("scale_acquire_vs_one"), "<= 1.2",
                        "conpool borrow+return (incl. probe), 2,000 endpoints with one idle connection each / 1 endpoint");
                put(r, "heap_bytes_per_idle_endpoint", (Double) cp.get("heap_bytes_per_idle_endpoint"), "<= 4096",
                        "conpool heap per idle endpoint (used once, then idle for a validation interval and swept) "
                                + "beyond a bare connected socket with its streams");
                put(r, "heap_bytes_per_idle_endpoint_just_used",
                        (Double) cp.get("heap_bytes_per_idle_endpoint_just_used"), null,
                        "the same right after its one use, before any sweep (the connection still holds its two "
                                + "8 KB stream buffers)");
                put(r, "sweep_ms_2000_endpoints", (Double) cp.get("sweep_ms"), null,
                        "one background sweep over 2,000 endpoints (each idle connection: expiry + liveness probe)");
                put(r, "sweep_fraction_of_validation_interval", (Double) cp.get("sweep_fraction_of_validation_interval"),
                        "< 0.01", "sweep time / validation interval (default 30 s)");
            }
        }
        if (micro != null) {
            for (String eps : List.of("1", "100")) {
                Map<String, Object> row = find(micro, "borrow+return", "conpool", "trivial", eps, 1);
                if (row != null) {
                    put(r, "micro_bookkeeping_p50_ns_" + eps + "_endpoint" + (eps.equals("1") ? "" : "s"),
                            (Double) row.get("p50_ns"), "<= 400",
                            "conpool acquire + close with no syscall (no-op channel), 1 thread, median");
                }
            }
            for (String t : List.of("plain", "tls")) {
                Map<String, Object> row = find(micro, "probe", "conpool", t, "1", 1);
                if (row != null) {
                    put(r, "micro_probe_p50_ns_" + t, (Double) row.get("p50_ns"), "<= 1500",
                            "conpool liveness check on a healthy idle " + t + " connection, median");
                }
                Map<String, Object> blocking = find(micro, "probe", "conpool", t + "-blocking-socket", "1", 1);
                if (blocking != null) {
                    put(r, "micro_probe_p50_ns_" + t + "_blocking_socket", (Double) blocking.get("p50_ns"), null,
                            "the same with the socket left in blocking mode (-Dio.conpool.nonBlockingSockets=false)");
                }
            }
            for (String eps : List.of("1", "100")) {
                Map<String, Object> own = find(micro, "borrow+return", "conpool", "trivial", eps, 1);
                Map<String, Object> bare = find(micro, "borrow+return", "commons-pool2-as-conpool", "trivial", eps, 1);
                if (own != null && bare != null) {
                    put(r, "micro_p50_vs_commons_pool2_as_conpool_" + eps + "_endpoint" + (eps.equals("1") ? "" : "s"),
                            (Double) own.get("p50_ns") / (Double) bare.get("p50_ns"), "<= 1.3",
                            "conpool acquire + close (no-op channel) / a bare commons-pool2 with conpool's settings "
                                    + "(trivial object), 1 thread, median");
                }
                Map<String, Object> own8 = find(micro, "borrow+return", "conpool", "trivial", eps, 8);
                Map<String, Object> bare8 = find(micro, "borrow+return", "commons-pool2-as-conpool", "trivial", eps, 8);
                if (own8 != null && bare8 != null) {
                    put(r, "micro_throughput_8_threads_vs_commons_pool2_as_conpool_" + eps + "_endpoint"
                            + (eps.equals("1") ? "" : "s"), (Double) own8.get("throughput_ops_per_s")
                                    / (Double) bare8.get("throughput_ops_per_s"), ">= 1.0",
                            "the same, 8 threads: throughput (threads / mean time)");
                }
            }
            for (String impl : List.of("conpool", "commons-pool2-default", "commons-pool2-tuned",
                    "commons-pool2-as-conpool", "httpcore-strict", "httpcore-lax")) {
                Map<String, Object> one = find(micro, "borrow+return", impl, "trivial", "1", 1);
                Map<String, Object> hundred = find(micro, "borrow+return", impl, "trivial", "100", 1);
                if (one != null && hundred != null) {
                    put(r, "micro_many_endpoints_vs_one_" + impl.replace('-', '_'),
                            (Double) one.get("p50_ns") / (Double) hundred.get("p50_ns"), null,
                            "borrow+return of a trivial object, 1 thread: median time with 1 endpoint / with 100 "
                                    + "(a throughput ratio, from medians: robust to a shared machine's stalls)");
                }
            }
        }
        if (scrape != null) {
            for (String registry : List.of("prometheus", "simple")) {
                Map<String, Object> none = scrapeRow(scrape, "scrape-interleaved", registry, "none");
                Map<String, Object> cached = scrapeRow(scrape, "scrape-interleaved", registry, "1s");
                if (none != null && cached != null) {
                    put(r, "scrape_cpu_speedup_snapshot_cache_" + registry,
                            (Double) none.get("cpu_p50_ns") / (Double) cached.get("cpu_p50_ns"), null,
                            "one " + registry + " scrape of 100 named endpoints, median CPU time of the scraping "
                                    + "thread: a stats snapshot per meter / one per endpoint (1 s cache, expired before "
                                    + "each scrape); alternating blocks in one JVM");
                    put(r, "scrape_wall_speedup_snapshot_cache_" + registry,
                            (Double) none.get("wall_p50_ns") / (Double) cached.get("wall_p50_ns"), null,
                            "the same in wall time");
                    put(r, "scrape_alloc_ratio_snapshot_cache_" + registry,
                            (Double) none.get("alloc_bytes_p50") / (Double) cached.get("alloc_bytes_p50"), null,
                            "bytes allocated per scrape, without / with the cache");
                    put(r, "scrape_snapshots_per_endpoint_" + registry,
                            ((Number) cached.get("stats_snapshots_per_scrape")).doubleValue() / 100, "<= 1",
                            "stats snapshots one " + registry + " scrape takes per endpoint with the cache (without: "
                                    + ((Number) none.get("stats_snapshots_per_scrape")).longValue() / 100 + ")");
                }
                Map<String, Object> jmhNone = scrapeRow(scrape, "scrape-jmh", registry, "none");
                Map<String, Object> jmhCached = scrapeRow(scrape, "scrape-jmh", registry, "1s");
                if (jmhNone != null && jmhCached != null) {
                    put(r, "scrape_speedup_snapshot_cache_" + registry + "_jmh",
                            (Double) jmhNone.get("p50_ns") / (Double) jmhCached.get("p50_ns"), null,
                            "the JMH cases' median times, without / with the cache (separate forks, run one after "
                                    + "the other: carries the machine's drift between them)");
                }
            }
        }
        return r;
    }

    private static Map<String, Object> scrapeRow(List<Map<String, Object>> rows, String bench, String registry,
            String cache) {
        for (Map<String, Object> row : rows) {
            if (bench.equals(row.get("benchmark")) && registry.equals(row.get("registry"))
                    && cache.equals(row.get("cache"))) {
                return row;
            }
        }
        return null;
    }

    private static Map<String, Object> find(List<Map<String, Object>> rows, String bench, String impl, String object,
            String eps, int threads) {
        for (Map<String, Object> row : rows) {
            if (bench.equals(row.get("benchmark")) && impl.equals(row.get("impl")) && object.equals(row.get("object"))
                    && eps.equals(row.get("endpoints")) && Integer.valueOf(threads).equals(row.get("threads"))) {
                return row;
            }
        }
        return null;
    }

    private static double p99(Map<Impl, EndToEnd.RunFigures> m, Impl impl) {
        if (m == null || m.get(impl) == null) {
            return Double.NaN;
        }
        return m.get(impl).p99Us();
    }

    private static double thr(Map<Impl, EndToEnd.RunFigures> m, Impl impl) {
        if (m == null || m.get(impl) == null) {
            return Double.NaN;
        }
        return m.get(impl).throughput();
    }

    private static void put(Map<String, Object> r, String name, double value, String target, String definition) {
        if (Double.isNaN(value)) {
            return;
        }
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("value", value);
        if (target != null) {
            e.put("target", target);
            e.put("met", met(value, target));
        }
        e.put("definition", definition);
        r.put(name, e);
    }

    private static boolean met(double v, String target) {
        String[] t = target.split(" ");
        double bound = Double.parseDouble(t[1]);
        return switch (t[0]) {
            case ">=" -> v >= bound;
            case "<=" -> v <= bound;
            case "<" -> v < bound;
            default -> throw new IllegalArgumentException(target);
        };
    }

    @SuppressWarnings("unchecked")
    static void print(Map<String, Object> ratios, Report report) {
        for (Map.Entry<String, Object> e : ratios.entrySet()) {
            Map<String, Object> m = (Map<String, Object>) e.getValue();
            Object target = m.get("target");
            String verdict = target == null ? "" : ((Boolean) m.get("met") ? "met" : "MISSED");
            report.line(String.format(Locale.ROOT, "  %-48s %12.4g  %-9s %-7s", e.getKey(), (Double) m.get("value"),
                    target == null ? "" : target, verdict));
        }
    }
}
