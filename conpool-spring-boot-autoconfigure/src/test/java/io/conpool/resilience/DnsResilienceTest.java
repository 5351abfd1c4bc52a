package io.conpool.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.function.Predicate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.CloseReason;
import io.conpool.ConnectionPool;
import io.conpool.DnsResolutionException;
import io.conpool.Endpoint;
import io.conpool.EndpointStats;
import io.conpool.PoolConfig;
import io.conpool.PooledConnection;
import io.conpool.testkit.Await;
import io.conpool.testkit.ConnectTimeoutTarget;
import io.conpool.testkit.EchoClient;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.FaultProxy;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.ManualTicker;
import io.conpool.testkit.OpenSockets;
import io.conpool.testkit.SamePort;
import io.conpool.testkit.ScriptedResolver;

/**
 * DNS: a failing lookup is a fast typed error and recovers after the negative TTL; when the answer changes at TTL
 * expiry new connections go to the new address and connections to the dropped one are retired (idle ones by the
 * sweep, leased ones on return); with several addresses, a dead first one fails over to the next within the
 * connect budget. Addresses are 127.0.0.1 and 127.0.0.2 (both loopback on Linux) on the same port.
 */
@Timeout(30)
class DnsResilienceTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private final ManualTicker ticker = new ManualTicker();

    /** Lookups by the test's own thread count; the pool's background refresh may look an expired name up too. */
    private final Thread caller = Thread.currentThread();

    private final Predicate<Thread> byCaller = t -> t == caller;

    @Test
    void failedLookupIsAFastTypedErrorAndRecoversAfterTheNegativeTtl() throws Exception {
        try (EchoServer server = EchoServer.start()) {
            ScriptedResolver resolver = ScriptedResolver.failing("db.test");
            ConnectionPool pool = leaks.track(ConnectionPool.builder().resolver(resolver).ticker(ticker)
                    .dnsNegativeCacheTtl(Duration.ofSeconds(5)).config(PoolConfig.builder()
                            .connectionTimeout(Duration.ofSeconds(10)).validationInterval(Duration.ofHours(1)).build()));
            Endpoint ep = Endpoint.of("db.test", server.port());
            int sockets = OpenSockets.count();

            long t0 = System.nanoTime();
            Throwable first = Await.failureOf(() -> pool.acquire(ep).close());
            long took = Await.millisSince(t0);
            assertThat(first).isInstanceOf(DnsResolutionException.class).hasMessageContaining("db.test");
            assertThat(((DnsResolutionException) first).hostname()).isEqualTo("db.test");
            assertThat(took).as("no connect attempts, no backoff: far below the 10 s connect timeout")
                    .isLessThan(500);
            assertThat(resolver.lookups("db.test", byCaller)).as("looked up once, not once per connect attempt")
                    .isEqualTo(1);

            resolver.answer("db.test", "127.0.0.1");
            assertThat(Await.failureOf(() -> pool.acquire(ep).close()))
                    .as("within the negative TTL the failure is remembered").isInstanceOf(DnsResolutionException.class);
            assertThat(resolver.lookups("db.test", byCaller)).isEqualTo(1);
            assertThat(OpenSockets.count()).isEqualTo(sockets);

            ticker.advance(Duration.ofSeconds(6));
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(EchoClient.roundTrip(c, "recovered")).isEqualTo("recovered");
            }
            assertThat(resolver.lookups("db.test", byCaller)).isEqualTo(2);
            EndpointStats s = pool.stats(ep);
            assertThat(s.errors()).isEqualTo(2);
            assertThat(s.created()).isEqualTo(1);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    /** The background sweep re-resolves an expired host: idle connections to the dropped address retire at once. */
    @Test
    void addressFlipRetiresIdleConnectionsInTheSweepAndLeasedOnesOnReturn() throws Exception {
        try (EchoServer oldServer = EchoServer.start();
                SamePort<EchoServer, FaultProxy> pair = SamePort.of(() -> EchoServer.start("127.0.0.2"),
                        EchoServer::port, port -> FaultProxy.on("127.0.0.1", port, oldServer.address()))) {
            EchoServer newServer = pair.first();
            int port = newServer.port();
            ScriptedResolver resolver = ScriptedResolver.answering("flip.test", "127.0.0.1");
            ConnectionPool pool = leaks.track(ConnectionPool.builder().resolver(resolver).ticker(ticker)
                    .dnsCacheTtl(Duration.ofSeconds(10)).config(PoolConfig.builder()
                            .validationInterval(Duration.ofMillis(20)).maxIdleTime(Duration.ofHours(1)).build()));
            Endpoint ep = Endpoint.of("flip.test", port);
            PooledConnection leased = pool.acquire(ep);
            PooledConnection idle = pool.acquire(ep);
            assertThat(leased.remoteAddress().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
            idle.close();

            resolver.answer("flip.test", "127.0.0.2");
            ticker.advance(Duration.ofSeconds(11));
            Await.until(() -> pool.stats(ep).closed(CloseReason.ADDRESS_RETIRED) == 1,
                    "the sweep to re-resolve and retire the idle connection to 127.0.0.1");
            assertThat(pool.stats(ep).idle()).isZero();

            try (PooledConnection fresh = pool.acquire(ep)) {
                assertThat(fresh.remoteAddress().getAddress().getHostAddress()).isEqualTo("127.0.0.2");
                assertThat(EchoClient.roundTrip(fresh, "new")).isEqualTo("new");
            }
            assertThat(EchoClient.roundTrip(leased, "old, still leased")).isEqualTo("old, still leased");
            assertThat(pool.stats(ep).closed(CloseReason.ADDRESS_RETIRED)).as("never closed mid-use").isEqualTo(1);
            leased.close();
            EndpointStats s = pool.stats(ep);
            assertThat(s.closed(CloseReason.ADDRESS_RETIRED)).isEqualTo(2);
            assertThat(s.idle()).isEqualTo(1);
            assertThat(newServer.accepted()).isEqualTo(1);
            LeakCheck.assertNoPermitLost(pool, ep);
            assertThat(oldServer.accepted()).as("nothing new went to the dropped address").isEqualTo(2);
        }
    }

    /** Without a sweep, the connect path re-resolves an expired host, and the answer change retires leases. */
    @Test
    void addressFlipIsSeenByTheNextConnectToo() throws Exception {
        try (EchoServer oldServer = EchoServer.start();
                SamePort<EchoServer, FaultProxy> pair = SamePort.of(() -> EchoServer.start("127.0.0.2"),
                        EchoServer::port, port -> FaultProxy.on("127.0.0.1", port, oldServer.address()))) {
            EchoServer newServer = pair.first();
            FaultProxy oldAddress = pair.second();
            ScriptedResolver resolver = ScriptedResolver.answering("flip.test", "127.0.0.1");
            ConnectionPool pool = leaks.track(ConnectionPool.builder().resolver(resolver).ticker(ticker)
                    .dnsCacheTtl(Duration.ofSeconds(10)).config(PoolConfig.builder()
                            .validationInterval(Duration.ofHours(1)).maxIdleTime(Duration.ofHours(1)).build()));
            Endpoint ep = Endpoint.of("flip.test", newServer.port());
            PooledConnection leased = pool.acquire(ep);

            resolver.answer("flip.test", "127.0.0.2");
            ticker.advance(Duration.ofSeconds(11));
            try (PooledConnection fresh = pool.acquire(ep)) {
                assertThat(fresh.remoteAddress().getAddress().getHostAddress()).isEqualTo("127.0.0.2");
            }
            assertThat(resolver.lookups("flip.test", byCaller)).isEqualTo(2);
            assertThat(EchoClient.roundTrip(leased, "still fine")).isEqualTo("still fine");
            leased.close();
            assertThat(pool.stats(ep).closed(CloseReason.ADDRESS_RETIRED)).isEqualTo(1);
            assertThat(oldAddress.accepted()).isEqualTo(1);
        }
    }

    /** 127.0.0.1 silently drops the SYN; 127.0.0.2 answers. Half the budget goes to each address. */
    @Test
    void failsOverToTheSecondAddressWithinTheConnectBudgetWhenTheFirstHangs() throws Exception {
        try (SamePort<EchoServer, ConnectTimeoutTarget> pair = SamePort.of(() -> EchoServer.start("127.0.0.2"),
                EchoServer::port, port -> ConnectTimeoutTarget.open("127.0.0.1", port))) {
            EchoServer alive = pair.first();
            ScriptedResolver resolver = ScriptedResolver.answering("multi.test", "127.0.0.1", "127.0.0.2");
            ConnectionPool pool = leaks.track(ConnectionPool.builder().resolver(resolver).config(PoolConfig.builder()
                    .connectAttempts(1).connectionTimeout(Duration.ofSeconds(1)).build()));
            Endpoint ep = Endpoint.of("multi.test", alive.port());

            long t0 = System.nanoTime();
            try (PooledConnection c = pool.acquire(ep)) {
                long took = Await.millisSince(t0);
                assertThat(c.remoteAddress().getAddress().getHostAddress()).isEqualTo("127.0.0.2");
                assertThat(EchoClient.roundTrip(c, "failed over")).isEqualTo("failed over");
                assertThat(took).as("the first address got its share (500 ms), the whole stays within 1 s")
                        .isBetween(450L, 1000L + 500);
            }
            assertThat(pool.stats(ep).errors()).isZero();
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    /** 127.0.0.1 refuses; 127.0.0.2 answers at once. */
    @Test
    void failsOverToTheSecondAddressAtOnceWhenTheFirstRefuses() throws Exception {
        try (SamePort<EchoServer, AutoCloseable> pair = SamePort.of(() -> EchoServer.start("127.0.0.2"),
                EchoServer::port, SamePort.refusedOn("127.0.0.1"))) {
            EchoServer alive = pair.first();
            ScriptedResolver resolver = ScriptedResolver.answering("multi.test", "127.0.0.1", "127.0.0.2");
            ConnectionPool pool = leaks.track(ConnectionPool.builder().resolver(resolver).config(PoolConfig.builder()
                    .connectAttempts(1).connectionTimeout(Duration.ofSeconds(5)).build()));
            Endpoint ep = Endpoint.of("multi.test", alive.port());
            long t0 = System.nanoTime();
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.remoteAddress().getAddress().getHostAddress()).isEqualTo("127.0.0.2");
            }
            assertThat(Await.millisSince(t0)).isLessThan(1_000);
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }
}
