package io.conpool.realservers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.Socket;
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
import io.conpool.ConnectException;
import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.EndpointStats;
import io.conpool.Idempotence;
import io.conpool.PoolConfig;
import io.conpool.PooledConnection;
import io.conpool.ProtocolHandler;
import io.conpool.testkit.Await;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.PgWire;
import io.conpool.testkit.PostgresProcess;
import io.conpool.testkit.RequiresBinary;

/**
 * A real PostgreSQL with MD5 passwords and {@code idle_session_timeout = 1s} (it ends sessions idle a second with a
 * FATAL 57P05 and closes them), the pool speaking the wire protocol through a {@link ProtocolHandler} written here:
 * the startup message and authentication after connect, {@code Terminate} as goodbye. Callers run {@code SELECT 1};
 * no error reaches them while the server ends idle sessions under the pool.
 */
@Timeout(180)
@RequiresBinary(value = PostgresProcess.BINARY, debianPackage = PostgresProcess.PACKAGE)
class PostgresServerTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    /** The PostgreSQL wire protocol at the edges of a connection. */
    static final class PgProtocol implements ProtocolHandler<PgWire.Session> {

        final String user;

        final String database;

        final String password;

        final AtomicInteger terminates = new AtomicInteger();

        PgProtocol(String user, String database, String password) {
            this.user = user;
            this.database = database;
            this.password = password;
        }

        @Override
        public PgWire.Session init(PooledConnection c) throws IOException {
            return PgWire.startup(c.in(), c.out(), user, database, password);
        }

        @Override
        public void onClose(PgWire.Session session, PooledConnection c) throws IOException {
            terminates.incrementAndGet();
            PgWire.terminate(c.out());
        }

        @Override
        public String toString() {
            return "PgProtocol[" + user + "@" + database + "]"; // no password
        }
    }

    @Test
    void zeroErrorsWhileTheServerEndsIdleSessions() throws Exception {
        try (PostgresProcess pg = PostgresProcess.builder().password("pg-secret")
                .idleSessionTimeout(Duration.ofSeconds(1)).start()) {
            PgProtocol protocol = new PgProtocol(pg.user(), pg.database(), pg.password());
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(PoolConfig.builder()
                    .protocolHandler(protocol).maxConnectionsPerEndpoint(3).maxIdlePerEndpoint(3)
                    .maxIdleTime(Duration.ofSeconds(30)).build()));
            Endpoint ep = pg.endpoint();
            int workers = 3;
            long until = System.nanoTime() + Duration.ofSeconds(8).toNanos();
            AtomicInteger ok = new AtomicInteger();
            List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
            ExecutorService threads = Executors.newFixedThreadPool(workers);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int w = 0; w < workers; w++) {
                    done.add(threads.submit(() -> {
                        int i = 0;
                        while (System.nanoTime() - until < 0) {
                            try {
                                PgWire.Result r = pool.withConnection(ep, Idempotence.IDEMPOTENT, c -> {
                                    assertThat(c.protocolState(PgWire.Session.class).authMethod())
                                            .isEqualTo(PgWire.AuthMethod.MD5_PASSWORD);
                                    return PgWire.query(c.in(), c.out(), "SELECT 1");
                                });
                                assertThat(r.rows()).containsExactly(List.of("1"));
                                ok.incrementAndGet();
                            }
                            catch (Throwable t) {
                                errors.add(t);
                            }
                            Await.sleep(i++ % 5 != 4 ? 5 : 900 + ThreadLocalRandom.current().nextInt(1_200));
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
            assertThat(ok.get()).isGreaterThan(50);
            // And for certain: every session left idle past the timeout is ended by the server, seen, replaced.
            Await.sleep(1_600);
            for (int i = 0; i < 3; i++) {
                PgWire.Result r = pool.withConnection(ep, Idempotence.IDEMPOTENT,
                        c -> PgWire.query(c.in(), c.out(), "SELECT 1"));
                assertThat(r.rows()).containsExactly(List.of("1"));
            }
            EndpointStats s = pool.stats(ep);
            System.out.println("postgres, idle_session_timeout 1s: " + ok + " queries, " + s);
            // The server's FATAL 57P05 arrives before its close: the probe sees it as bytes waiting (dirty) or the
            // end of the stream.
            assertThat(s.closed(CloseReason.DIRTY) + s.closed(CloseReason.PEER_CLOSED))
                    .as("sessions the server ended under the pool").isPositive();
            assertThat(s.errors()).isZero();

            int idle = pool.stats(ep).idle();
            assertThat(idle).isPositive();
            pool.close();
            assertThat(protocol.terminates.get()).as("Terminate before each idle socket closed").isEqualTo(idle);
        }
    }

    /** A wrong password: the startup fails every attempt; a failed connect, nothing leaked, no password shown. */
    @Test
    void aFailedStartupIsAFailedConnect() throws Exception {
        try (PostgresProcess pg = PostgresProcess.builder().password("pg-secret").start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder().config(PoolConfig.builder()
                    .protocolHandler(new PgProtocol(pg.user(), pg.database(), "wrong-secret")).connectAttempts(2)
                    .connectBackoff(Duration.ofMillis(10)).build()));
            Endpoint ep = pg.endpoint();
            assertThatThrownBy(() -> pool.acquire(ep)).isInstanceOf(ConnectException.class)
                    .hasMessageContaining("after 2 attempts").hasMessageContaining("28P01")
                    .hasMessageNotContaining("wrong-secret");
            assertThat(pool.stats(ep).closed(CloseReason.PROTOCOL_INIT_FAILED)).isEqualTo(2);
            try (Socket s = pg.connect()) {
                PgWire.Result r = PgWire.query(s.getInputStream(), s.getOutputStream(),
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'conpool-testkit'"
                                + " AND pid <> pg_backend_pid()");
                assertThat(r.rows()).containsExactly(List.of("0"));
                PgWire.terminate(s.getOutputStream());
            }
        }
    }
}
