package io.conpool.benchmarks;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * Borrow + return with no I/O, per implementation, 1 or 100 endpoints (each thread cycles through them), with a
 * real idle socket ({@code socket}: conpool probes its liveness, a syscall, the peers check nothing) or with no
 * socket at all ({@code trivial}: pure bookkeeping; see {@link MicroPool}). Every endpoint holds as many idle
 * objects as there are threads (at most 8, the per-endpoint limit), so nothing is created while measuring.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class BorrowReturnBenchmark {

    @Param({"conpool", "commons-pool2-default", "commons-pool2-tuned", "commons-pool2-as-conpool", "httpcore-strict",
        "httpcore-lax"})
    public String impl;

    @Param({"1", "100"})
    public int endpoints;

    @Param({"trivial", "socket"})
    public String object;

    private LoopbackServer server;

    private MicroPool pool;

    /** Each thread's position in the endpoint cycle (threads start at different endpoints). */
    @State(Scope.Thread)
    public static class Cursor {
        int next;

        @Setup(Level.Trial)
        public void setUp(ThreadParams params) {
            next = params.getThreadIndex() * 13;
        }
    }

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) throws Exception {
        boolean trivial = object.equals("trivial");
        List<InetAddress> addresses = new ArrayList<>();
        for (int i = 0; i < endpoints; i++) {
            addresses.add(InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) (1 + i)}));
        }
        server = LoopbackServer.start(addresses, null, true);
        List<Target> targets = new ArrayList<>();
        for (int i = 0; i < endpoints; i++) {
            targets.add(new Target(i, server.addresses().get(i), false));
        }
        pool = MicroPool.create(Impl.byId(impl), targets, 8, trivial, null);
        pool.prefill(Math.min(8, params.getThreads()));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        server.close();
    }

    @Benchmark
    public Object borrowReturn(Cursor cursor) throws Exception {
        int ep = cursor.next;
        if (ep >= endpoints) {
            ep %= endpoints;
        }
        cursor.next = ep + 1 == endpoints ? 0 : ep + 1;
        Object handle = pool.borrow(ep);
        pool.giveBack(ep, handle);
        return handle;
    }
}
