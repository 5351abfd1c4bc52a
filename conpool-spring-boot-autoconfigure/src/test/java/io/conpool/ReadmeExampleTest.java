package io.conpool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.RespServer;

/**
 * The README's plain-Java example works as written: {@link Example#main} below is the README's code with the same
 * calls in the same order; only the address comes from an argument (our {@link RespServer} instead of a Redis on
 * {@code localhost:6379}). A second test checks the README still contains those calls, so the two cannot drift apart
 * silently.
 */
@Timeout(30)
class ReadmeExampleTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    /** The README's example; {@code args[0]} replaces {@code "localhost:6379"}. */
    static class Example {

        public static void main(String[] args) throws Exception {
            PoolConfig config = PoolConfig.builder()
                    .maxConnectionsPerEndpoint(20)
                    .acquireTimeout(Duration.ofSeconds(5))
                    .build();
            try (ConnectionPool pool = ConnectionPool.builder().config(config).build()) {
                Endpoint redis = Endpoint.parse(args[0]);

                // Borrow, use, give back: closing the lease returns the connection.
                try (PooledConnection c = pool.acquire(redis)) {
                    c.out().write("*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
                    c.out().flush();
                    byte[] reply = new byte[7];
                    c.in().readNBytes(reply, 0, 7);                        // "+PONG\r\n"
                }

                // Or let the pool do it; if the work throws, the connection is destroyed, not reused.
                String pong = pool.withConnection(redis, c -> {
                    c.out().write("*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
                    c.out().flush();
                    return new BufferedReader(new InputStreamReader(c.in(), StandardCharsets.US_ASCII)).readLine();
                });
                System.out.println(pong + " " + pool.stats(redis));
            }
        }
    }

    @Test
    void theReadmeExampleRunsAgainstARespServer() throws Exception {
        try (RespServer server = RespServer.start()) {
            String printed = captureStdout(() -> Example.main(new String[] { "localhost:" + server.port() }));
            // pong, then the stats: one connection, opened once and reused once, returned clean both times.
            assertThat(printed).startsWith("+PONG EndpointStats[endpoint=localhost:" + server.port());
            assertThat(printed).contains("created=1,").contains("reused=1,").contains("misses=1,")
                    .contains("idle=1,").contains("active=0,").contains("closed=0,");
            assertThat(server.pings()).isEqualTo(2);
            server.assertAccepted(1);
        }
    }

    @Test
    void theReadmeStillShowsTheseCalls() throws Exception {
        String readme = Files.readString(readmePath());
        int start = readme.indexOf("## Plain Java");
        assertThat(start).as("README has a '## Plain Java' section").isGreaterThanOrEqualTo(0);
        String section = readme.substring(start, readme.indexOf("```", readme.indexOf("```java", start) + 7));
        for (String call : new String[] { ".maxConnectionsPerEndpoint(20)", ".acquireTimeout(Duration.ofSeconds(5))",
                "ConnectionPool.builder().config(config).build()", "Endpoint.parse(\"localhost:6379\")",
                "pool.acquire(redis)", "c.in().readNBytes(reply, 0, 7)", "pool.withConnection(redis, c -> {",
                "new BufferedReader(new InputStreamReader(c.in(), StandardCharsets.US_ASCII)).readLine()",
                "System.out.println(pong + \" \" + pool.stats(redis));" }) {
            assertThat(section).as("README example calls %s", call).contains(call);
        }
    }

    private static Path readmePath() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("README.md"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new AssertionError("no README.md above " + Path.of("").toAbsolutePath());
        }
        return dir.resolve("README.md");
    }

    private interface Main {
        void run() throws Exception;
    }

    private static String captureStdout(Main main) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            main.run();
        }
        finally {
            System.setOut(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }
}
