package io.conpool.realservers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.CloseReason;
import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.EndpointStats;
import io.conpool.Idempotence;
import io.conpool.PoolConfig;
import io.conpool.PooledConnection;
import io.conpool.RedisProtocol;
import io.conpool.testkit.Await;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.RedisServerProcess;
import io.conpool.testkit.RequiresBinary;
import io.conpool.testkit.RespWire;

/**
 * A real redis-server with {@code requirepass} and {@code timeout 1} (it closes connections idle for a second or
 * two), the pool speaking {@link RedisProtocol} (AUTH, SELECT 5) with a {@code max-idle-time} far longer than that, as
 * a misconfigured application would: the server closes idle connections under the pool all the time, and no error
 * reaches a caller. The liveness probe sees most closes before a reuse, the PING before a reuse sees others, and the
 * retry of idempotent work covers a close landing just as a request is written.
 */
@Timeout(120)
@RequiresBinary(value = RedisServerProcess.BINARY, debianPackage = RedisServerProcess.PACKAGE)
class RedisServerTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    @Test
    void zeroErrorsWhileTheServerClosesIdleConnections() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.builder().idleTimeout(Duration.ofSeconds(1)).start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(PoolConfig.builder()
                    .protocolHandler(RedisProtocol.builder().password(redis.password()).database(5)
                            .clientName("conpool-realserver").build())
                    .maxConnectionsPerEndpoint(4).maxIdlePerEndpoint(4).maxIdleTime(Duration.ofSeconds(30)).build()));
            Endpoint ep = redis.endpoint();
            int workers = 4;
            long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            Map<String, String> written = new ConcurrentHashMap<>();
            AtomicInteger operations = new AtomicInteger();
            List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
            ExecutorService threads = Executors.newFixedThreadPool(workers);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int w = 0; w < workers; w++) {
                    String key = "worker-" + w;
                    done.add(threads.submit(() -> {
                        int i = 0;
                        while (System.nanoTime() - until < 0) {
                            String value = key + "-" + i++;
                            try {
                                Object reply = pool.withConnection(ep, Idempotence.IDEMPOTENT, c -> {
                                    Object set = RespWire.call(c.in(), c.out(), "SET", key, value);
                                    Object get = RespWire.call(c.in(), c.out(), "GET", key);
                                    return set + " " + get;
                                });
                                assertThat(reply).isEqualTo("OK " + value);
                                written.put(key, value);
                                operations.incrementAndGet();
                            }
                            catch (Throwable t) {
                                errors.add(t);
                            }
                            // Bursts of ten, then a pause that may or may not outlast the server's timeout.
                            Await.sleep(i % 10 != 0 ? 5 : 800 + ThreadLocalRandom.current().nextInt(1_700));
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            }
            finally {
                Await.shutdown(threads);
            }
            assertThat(errors).as("errors that reached callers").isEmpty();
            assertThat(operations.get()).isGreaterThan(50);
            // And for certain: the connections left idle past the server's timeout are closed by it, seen, replaced.
            Await.sleep(2_600);
            for (int i = 0; i < 3; i++) {
                Object reply = pool.withConnection(ep, Idempotence.IDEMPOTENT,
                        c -> RespWire.call(c.in(), c.out(), "GET", "worker-0"));
                assertThat(reply).isEqualTo(written.get("worker-0"));
            }
            EndpointStats s = pool.stats(ep);
            System.out.println("redis, timeout 1: " + operations + " operations, " + s);
            long closedUnderUs = s.closed(CloseReason.PEER_CLOSED) + s.closed(CloseReason.HEALTH_CHECK_FAILED)
                    + s.closed(CloseReason.DIRTY) + s.retried();
            assertThat(closedUnderUs).as("connections the server closed under the pool").isPositive();
            assertThat(s.errors()).isZero();
            assertThat(s.created() - s.closed()).isEqualTo(s.active() + s.idle());

            try (Socket direct = redis.connect()) {
                InputStream in = direct.getInputStream();
                OutputStream out = direct.getOutputStream();
                assertThat(RespWire.call(in, out, "SELECT", "5")).isEqualTo("OK");
                for (Map.Entry<String, String> e : written.entrySet()) {
                    assertThat(RespWire.call(in, out, "GET", e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
                }
                assertThat(RespWire.call(in, out, "SELECT", "0")).isEqualTo("OK");
                assertThat(RespWire.call(in, out, "DBSIZE")).as("nothing in database 0").isEqualTo(0L);
            }
        }
    }

    /** An idle connection the server closed is never handed out: the probe sees the close, a new one is opened. */
    @Test
    void aConnectionClosedByTheServerIsReplacedTransparently() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.builder().idleTimeout(Duration.ofSeconds(1)).start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(PoolConfig.builder()
                    .protocolHandler(RedisProtocol.builder().password(redis.password()).build()).build()));
            Endpoint ep = redis.endpoint();
            pool.withConnection(ep, c -> RespWire.call(c.in(), c.out(), "SET", "k", "v"));
            Await.sleep(2_600); // past redis' timeout, whatever its once-a-second idle scan does
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.reused()).isFalse();
                assertThat(RespWire.call(c.in(), c.out(), "GET", "k")).isEqualTo("v");
            }
            assertThat(pool.stats(ep).closed(CloseReason.PEER_CLOSED)).as("%s", pool.stats(ep)).isEqualTo(1);
        }
    }
}
