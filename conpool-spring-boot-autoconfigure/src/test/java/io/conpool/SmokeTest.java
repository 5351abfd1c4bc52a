package io.conpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class SmokeTest {

    @Test
    void reusesAndDetectsPeerClose() throws Exception {
        ExecutorService ex = Executors.newCachedThreadPool();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            ex.submit(() -> {
                while (true) {
                    Socket s = server.accept();
                    ex.submit(() -> {
                        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                            int b;
                            while ((b = in.read()) >= 0) {
                                if (b == 'q') {
                                    return null;
                                }
                                out.write(b);
                                out.flush();
                            }
                        }
                        return null;
                    });
                }
            });
            Endpoint ep = Endpoint.of("127.0.0.1", server.getLocalPort());
            try (ConnectionPool pool = ConnectionPool.builder().build()) {
                Socket first;
                try (PooledConnection c = pool.acquire(ep)) {
                    first = c.socket();
                    c.out().write('x');
                    c.out().flush();
                    assertThat(c.in().read()).isEqualTo('x');
                }
                try (PooledConnection c = pool.acquire(ep)) {
                    assertThat(c.socket()).isSameAs(first);
                    assertThat(c.reused()).isTrue();
                    c.out().write('q');
                    c.out().flush();
                }
                Thread.sleep(100);
                try (PooledConnection c = pool.acquire(ep)) {
                    assertThat(c.socket()).isNotSameAs(first);
                }
                EndpointStats s = pool.stats(ep);
                assertThat(s.created()).isEqualTo(2);
                assertThat(s.reused()).isEqualTo(1);
                assertThat(s.closed(CloseReason.PEER_CLOSED)).isEqualTo(1);
                assertThat(s.created() - s.closed()).isEqualTo(s.active() + s.idle());

                PooledConnection a = pool.acquire(ep);
                a.close();
                assertThatThrownBy(a::close).isInstanceOf(IllegalStateException.class);

                PoolConfig tiny = PoolConfig.builder().maxConnectionsPerEndpoint(1).maxIdlePerEndpoint(1).build();
                try (ConnectionPool p2 = ConnectionPool.builder().config(tiny).build()) {
                    PooledConnection held = p2.acquire(ep);
                    long t0 = System.nanoTime();
                    assertThatThrownBy(() -> p2.acquire(ep, Duration.ofMillis(200)))
                            .isInstanceOf(AcquireTimeoutException.class);
                    assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(150L, 2000L);
                    held.close();
                }
            }
        }
        finally {
            ex.shutdownNow();
        }
    }
}
