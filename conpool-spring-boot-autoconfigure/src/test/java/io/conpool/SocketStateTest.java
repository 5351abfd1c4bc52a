package io.conpool;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.testkit.EchoServer;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.Wire;

/** What a lease changes on its socket does not reach the next lease of the same connection. */
@Timeout(30)
class SocketStateTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    @Test
    void socketOptionsChangedDuringALeaseArePutBackOnReturn() throws Exception {
        try (EchoServer server = EchoServer.start()) {
            ConnectionPool pool = leaks.track(ConnectionPool.builder());
            Endpoint ep = server.endpoint();
            Socket first;
            try (PooledConnection c = pool.acquire(ep)) {
                first = c.socket();
                assertPoolDefaults(first);
                first.setSoTimeout(4_321);
                first.setTcpNoDelay(false);
                first.setKeepAlive(false);
                first.setSoLinger(true, 5);
                assertThat(Wire.echo(c, "changed")).isEqualTo("changed");
            }
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.socket()).isSameAs(first);
                assertThat(c.reused()).isTrue();
                assertPoolDefaults(c.socket());
                assertThat(Wire.echo(c, "clean")).isEqualTo("clean");
            }
            assertThat(pool.stats(ep).closed()).isZero();
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    private static void assertPoolDefaults(Socket s) throws Exception {
        assertThat(s.getSoTimeout()).as("SO_TIMEOUT").isZero();
        assertThat(s.getTcpNoDelay()).as("TCP_NODELAY").isTrue();
        assertThat(s.getKeepAlive()).as("SO_KEEPALIVE").isTrue();
        assertThat(s.getSoLinger()).as("SO_LINGER").isEqualTo(-1);
    }
}
