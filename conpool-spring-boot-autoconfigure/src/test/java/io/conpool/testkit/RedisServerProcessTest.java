package io.conpool.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link RedisServerProcess} starts a real redis-server with the configuration asked for, which serves RESP with
 * {@code AUTH}, and stops leaving no process, file descriptor or directory behind. Skipped where redis-server is
 * not installed (fails under {@code -Dconpool.require-system-tests=true}).
 */
@Timeout(60)
class RedisServerProcessTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    @Test
    void startsServesAuthAndPingAndStopsLeavingNothing() throws Exception {
        RedisServerProcess redis = RedisServerProcess.builder().password("s3cret-pass").start();
        List<ProcessHandle> processes;
        Path dir = redis.directory();
        try {
            processes = redis.processes();
            assertThat(processes).isNotEmpty();
            assertThat(ProcessHandle.current().children()).contains(processes.get(0));
            assertThat(redis.host()).isEqualTo("127.0.0.1");
            assertThat(redis.port()).isPositive();

            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(redis.host(), redis.port()), 5_000);
                s.setSoTimeout(10_000);
                InputStream in = new BufferedInputStream(s.getInputStream());
                OutputStream out = s.getOutputStream();

                assertThat(RespWire.call(in, out, "PING")).isInstanceOfSatisfying(RespWire.Error.class,
                        e -> assertThat(e.code()).isEqualTo("NOAUTH"));
                assertThat(RespWire.call(in, out, "AUTH", "wrong")).isInstanceOfSatisfying(RespWire.Error.class,
                        e -> assertThat(e.code()).isEqualTo("WRONGPASS"));
                assertThat(RespWire.call(in, out, "AUTH", "s3cret-pass")).isEqualTo("OK");
                assertThat(RespWire.call(in, out, "PING")).isEqualTo("PONG");
                assertThat(RespWire.call(in, out, "SELECT", "3")).isEqualTo("OK");
                assertThat(RespWire.call(in, out, "SET", "k", "v")).isEqualTo("OK");
                assertThat(RespWire.call(in, out, "GET", "k")).isEqualTo("v");
                assertThat(RespWire.call(in, out, "SELECT", "0")).isEqualTo("OK");
                assertThat(RespWire.call(in, out, "GET", "k")).isNull();
                // The generated configuration is the one running: no persistence, its own directory, no idle timeout.
                assertThat(RespWire.call(in, out, "CONFIG", "GET", "save")).isEqualTo(List.of("save", ""));
                assertThat(RespWire.call(in, out, "CONFIG", "GET", "appendonly"))
                        .isEqualTo(List.of("appendonly", "no"));
                assertThat(RespWire.call(in, out, "CONFIG", "GET", "timeout")).isEqualTo(List.of("timeout", "0"));
                assertThat(RespWire.call(in, out, "CONFIG", "GET", "dir"))
                        .isEqualTo(List.of("dir", dir.toRealPath().toString()));
            }
        }
        finally {
            redis.close();
        }
        assertThat(processes).noneMatch(ProcessHandle::isAlive);
        assertThat(ProcessHandle.current().descendants()).doesNotContainAnyElementsOf(processes);
        assertThat(dir).doesNotExist();
        assertThatThrownBy(() -> new Socket(redis.host(), redis.port()).close())
                .isInstanceOf(java.net.ConnectException.class);
        redis.close(); // idempotent
    }

    @Test
    void idleTimeoutMakesTheServerCloseIdleConnections() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.builder().idleTimeout(Duration.ofSeconds(1)).start();
                Socket s = redis.connect()) {
            InputStream in = s.getInputStream();
            assertThat(RespWire.call(in, s.getOutputStream(), "CONFIG", "GET", "timeout"))
                    .isEqualTo(List.of("timeout", "1"));
            long start = System.nanoTime();
            s.setSoTimeout(10_000);
            assertThat(in.read()).as("end of stream once the server dropped the idle connection").isEqualTo(-1);
            assertThat(Await.millisSince(start)).isBetween(900L, 9_000L);
        }
    }
}
