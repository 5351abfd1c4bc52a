package io.conpool.realservers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
import io.conpool.ProtocolHandler;
import io.conpool.testkit.Await;
import io.conpool.testkit.Http1;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.NginxProcess;
import io.conpool.testkit.RequiresBinary;

/**
 * A real nginx with a short {@code keepalive_timeout} (it closes connections idle 400 ms) and a small
 * {@code keepalive_requests} (it answers every fifth request on a connection with {@code Connection: close}, then
 * closes it), plain and over TLS (certificate generated for {@code localhost}, reached at 127.0.0.1 with SNI and host
 * name verification on). An HTTP/1.1 {@link ProtocolHandler} written here drops a connection whose response said
 * {@code Connection: close}; idempotent GETs are retried once on a new connection. No error reaches a caller.
 */
@Timeout(120)
@RequiresBinary(value = NginxProcess.BINARY, debianPackage = NginxProcess.PACKAGE)
class NginxServerTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    /** Per connection: whether the last response said the server will close it. */
    static final class HttpState {

        volatile boolean closing;

        int responses;
    }

    /** HTTP/1.1 keep-alive: a connection is reused unless its last response said {@code Connection: close}. */
    static final class Http11 implements ProtocolHandler<HttpState> {

        @Override
        public HttpState init(PooledConnection connection) {
            return new HttpState(); // HTTP/1.1 needs no handshake: persistent by default
        }

        @Override
        public boolean onRelease(HttpState state, PooledConnection connection) {
            return !state.closing;
        }
    }

    /** A GET through the pool: the state learns whether the server keeps the connection. */
    private static Http1.Response get(PooledConnection c, String host) throws IOException {
        Http1.Response r = Http1.get(c.in(), c.out(), host, "/");
        HttpState state = c.protocolState(HttpState.class);
        state.responses++;
        state.closing = !r.keepsAlive();
        return r;
    }

    @Test
    void keepAliveLimitsPlain() throws Exception {
        try (NginxProcess nginx = start()) {
            run(nginx, nginx.endpoint(), null);
        }
    }

    @Test
    void keepAliveLimitsOverTlsWithSniAndHostNameVerification() throws Exception {
        try (NginxProcess nginx = start()) {
            Endpoint tls = nginx.tlsEndpoint();
            assertThat(tls.tls().verifyHostname()).isTrue();
            run(nginx, tls, nginx.serverName());
        }
    }

    private static NginxProcess start() {
        return NginxProcess.builder().keepaliveTimeout(Duration.ofMillis(400)).keepaliveRequests(5).start();
    }

    private void run(NginxProcess nginx, Endpoint endpoint, String expectedSni) throws Exception {
        ConnectionPool pool = leaks.track(ConnectionPool.builder().config(PoolConfig.builder()
                .protocolHandler(new Http11()).maxConnectionsPerEndpoint(3).maxIdlePerEndpoint(3)
                .maxIdleTime(Duration.ofSeconds(30)).build()));
        int workers = 3;
        int perWorker = 60;
        AtomicInteger ok = new AtomicInteger();
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        ExecutorService threads = Executors.newFixedThreadPool(workers);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                done.add(threads.submit(() -> {
                    for (int i = 0; i < perWorker; i++) {
                        try {
                            Http1.Response r = pool.withConnection(endpoint, Idempotence.IDEMPOTENT,
                                    c -> get(c, nginx.serverName()));
                            assertThat(r.status()).isEqualTo(200);
                            assertThat(r.bodyText()).isEqualTo(nginx.body());
                            assertThat(Integer.parseInt(r.header("X-Connection-Requests"))).isBetween(1, 5);
                            assertThat(r.header("X-SNI")).isEqualTo(expectedSni); // none sent over plaintext
                            ok.incrementAndGet();
                        }
                        catch (Throwable t) {
                            errors.add(t);
                        }
                        // Mostly back to back; now and then idle past nginx's keepalive_timeout.
                        Await.sleep(i % 4 != 3 ? 2 : 250 + ThreadLocalRandom.current().nextInt(500));
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
        assertThat(ok.get()).isEqualTo(workers * perWorker);

        // And for certain: a connection left idle past keepalive_timeout is closed by nginx, seen, replaced.
        try (PooledConnection c = pool.acquireNew(endpoint)) {
            assertThat(get(c, nginx.serverName()).keepsAlive()).isTrue();
        }
        long peerClosedBefore = pool.stats(endpoint).closed(CloseReason.PEER_CLOSED);
        Await.sleep(900);
        Http1.Response after = pool.withConnection(endpoint, Idempotence.IDEMPOTENT, c -> get(c, nginx.serverName()));
        assertThat(after.status()).isEqualTo(200);

        EndpointStats s = pool.stats(endpoint);
        System.out.println("nginx " + endpoint + ": " + ok + " requests, " + s);
        assertThat(s.closed(CloseReason.PROTOCOL_RESET_FAILED)).as("dropped after Connection: close")
                .isGreaterThanOrEqualTo(workers * perWorker / 5 / 2);
        assertThat(s.closed(CloseReason.PEER_CLOSED)).as("idle connections nginx closed under the pool")
                .isGreaterThan(peerClosedBefore);
        assertThat(s.created() - s.closed()).isEqualTo(s.active() + s.idle());
    }
}
