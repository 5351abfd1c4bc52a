package io.conpool.benchmarks;

import java.net.InetAddress;
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

import io.conpool.CloseReason;
import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.PoolConfig;
import io.conpool.PooledConnection;
import io.conpool.Tls;
import io.conpool.internal.BenchmarkAccess;

/**
 * conpool's liveness check alone, on a real idle, healthy connection (plain or TLS 1.3) that has done one exchange
 * (so TLS session tickets are already consumed): what every borrow of an idle connection pays.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ProbeBenchmark {

    @Param({"plain", "tls"})
    public String transport;

    /** {@code non-blocking}: conpool's default on Java 21+; {@code blocking}: {@code -Dio.conpool.nonBlockingSockets=false}. */
    @Param({"non-blocking", "blocking"})
    public String sockets;

    private LoopbackServer server;

    private ConnectionPool pool;

    private Object connection;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        boolean tls = transport.equals("tls");
        TestCertificate cert = tls ? TestCertificate.generate() : null;
        server = LoopbackServer.start(List.of(InetAddress.getByName("127.0.0.1")), tls ? cert.serverContext() : null,
                false);
        int port = server.addresses().get(0).getPort();
        Endpoint endpoint = tls
                ? Endpoint.of("127.0.0.1", port,
                        Tls.builder().sslContext(cert.clientContext()).protocols(List.of("TLSv1.3")).build())
                : Endpoint.of("127.0.0.1", port);
        pool = Client.Conpool.build(PoolConfig.builder().maxConnectionsPerEndpoint(8).build(),
                sockets.equals("non-blocking"), null);
        byte[] request = new byte[LoopbackServer.MESSAGE_BYTES];
        byte[] reply = new byte[LoopbackServer.MESSAGE_BYTES];
        try (PooledConnection c = pool.acquire(endpoint)) {
            c.out().write(request);
            c.out().flush();
            BenchSocket.readFully(c.in(), reply);
            connection = BenchmarkAccess.connectionOf(c);
        }
        CloseReason verdict = BenchmarkAccess.probe(connection);
        if (verdict != null) {
            throw new IllegalStateException("the idle connection probes as " + verdict);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        server.close();
    }

    @Benchmark
    public CloseReason probe() {
        return BenchmarkAccess.probe(connection);
    }
}
