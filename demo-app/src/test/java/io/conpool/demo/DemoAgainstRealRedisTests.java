package io.conpool.demo;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.conpool.ConnectionPool;
import io.conpool.RedisProtocol;
import io.conpool.testkit.RedisServerProcess;
import io.conpool.testkit.RequiresBinary;
import io.conpool.testkit.RespWire;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's "Pointing it at a real Redis": the embedded backend off, the {@code cache} endpoint at a real
 * redis-server with {@code requirepass}, the password and a database given as {@code conpool.endpoints.cache.redis.*}.
 * The built-in redis protocol authenticates and selects, so the demo's own commands (which know nothing of AUTH) work
 * and land in that database. Skipped where redis-server is not installed.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@DirtiesContext
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@RequiresBinary(value = RedisServerProcess.BINARY, debianPackage = RedisServerProcess.PACKAGE)
class DemoAgainstRealRedisTests {

    private static RedisServerProcess redis;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @LocalServerPort
    private int port;

    @Autowired
    private ConnectionPool pool;

    @DynamicPropertySource
    static void realRedis(DynamicPropertyRegistry registry) {
        redis = RedisServerProcess.start();
        registry.add("demo.backend.embedded", () -> "false");
        registry.add("conpool.endpoints.cache.host", redis::host);
        registry.add("conpool.endpoints.cache.port", redis::port);
        registry.add("conpool.endpoints.cache.redis.password", redis::password);
        registry.add("conpool.endpoints.cache.redis.database", () -> "2");
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void theDemoSpeaksToAPasswordProtectedRedisThroughTheRedisProtocol() throws Exception {
        RedisProtocol protocol = (RedisProtocol) pool.config(pool.endpoint("cache").orElseThrow()).protocolHandler()
                .orElseThrow();
        assertThat(protocol.hasPassword()).isTrue();
        assertThat(protocol.database()).isEqualTo(2);

        HttpResponse<String> stored = send("PUT", "/api/keys/demo:real", "from the demo");
        assertThat(stored.statusCode()).as(stored.body()).isEqualTo(200);
        HttpResponse<String> read = send("GET", "/api/keys/demo:real", null);
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(read.body()).contains("\"value\":\"from the demo\"");

        try (Socket direct = redis.connect()) {
            InputStream in = direct.getInputStream();
            OutputStream out = direct.getOutputStream();
            assertThat(RespWire.call(in, out, "SELECT", "2")).isEqualTo("OK");
            assertThat(RespWire.call(in, out, "GET", "demo:real")).isEqualTo("from the demo");
        }

        HttpResponse<String> actuator = send("GET", "/actuator/conpool/cache", null);
        assertThat(actuator.body()).contains("\"protocol\":\"redis\"").doesNotContain(redis.password());
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                .timeout(Duration.ofSeconds(30))
                .header("Accept", "application/json");
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        else {
            request.header("Content-Type", "text/plain;charset=UTF-8")
                    .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }
}
