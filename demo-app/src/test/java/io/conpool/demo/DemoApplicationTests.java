package io.conpool.demo;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.conpool.ConnectionPool;
import io.conpool.demo.backend.EmbeddedRespServer;
import io.conpool.demo.resp.RespClient;
import io.conpool.demo.resp.RespReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.env.Environment;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole demo on a random port, spoken to over real HTTP: the actuator JSON, the metrics and the Prometheus
 * scrape, the health entry of the named endpoint, a set/get round trip that really reaches the embedded backend,
 * a clear round trip, and the load generator's API with its bounds.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DemoApplicationTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @LocalServerPort
    private int port;

    @Autowired
    private EmbeddedRespServer backend;

    @Autowired
    private ConnectionPool pool;

    @Autowired
    private Environment environment;

    @Test
    void theCacheEndpointPointsAtTheEmbeddedBackend() {
        assertThat(environment.getProperty("demo.backend.bound-port", Integer.class)).isEqualTo(backend.port());
        assertThat(pool.endpoint("cache")).hasValueSatisfying(endpoint -> {
            assertThat(endpoint.host()).isEqualTo("127.0.0.1");
            assertThat(endpoint.port()).isEqualTo(backend.port());
        });
    }

    @Test
    void actuatorConpoolDescribesTheNamedEndpoint() throws Exception {
        put("/api/keys/describe", "x");

        JsonNode pool = json(get("/actuator/conpool"), 200);
        assertThat(pool.path("pool").asString()).isEqualTo("conpool");
        assertThat(pool.path("totals").path("endpoints").asInt()).isGreaterThanOrEqualTo(1);
        JsonNode cache = pool.path("endpoints").get(0);
        assertThat(cache.path("name").asString()).isEqualTo("cache");
        assertThat(cache.path("host").asString()).isEqualTo("127.0.0.1");
        assertThat(cache.path("port").asInt()).isEqualTo(backend.port());
        assertThat(cache.path("circuitState").asString()).isEqualTo("CLOSED");
        JsonNode stats = cache.path("stats");
        for (String field : List.of("active", "idle", "pending", "created", "reused", "misses", "closed", "hitRate")) {
            assertThat(stats.has(field)).as("stats." + field).isTrue();
        }
        assertThat(stats.path("maxConnections").asInt()).isEqualTo(10);
        assertThat(stats.path("created").asLong()).isGreaterThanOrEqualTo(1);
        assertThat(cache.path("config").path("protocol").asString()).isEqualTo("redis");
        assertThat(cache.path("config").path("healthCheck").isNull()).isTrue();

        JsonNode one = json(get("/actuator/conpool/cache"), 200);
        assertThat(one.path("name").asString()).isEqualTo("cache");
        assertThat(get("/actuator/conpool/no-such-endpoint").statusCode()).isEqualTo(404);
    }

    @Test
    void setThenGetRoundTripsThroughThePoolToTheBackend() throws Exception {
        long acquiresBefore = acquires();
        String value = "round trip ✓ " + System.nanoTime();

        JsonNode stored = json(put("/api/keys/it:round-trip", value), 200);
        assertThat(stored.path("stored").asBoolean()).isTrue();
        JsonNode read = json(get("/api/keys/it:round-trip"), 200);
        assertThat(read.path("value").asString()).isEqualTo(value);

        // The value really sits in the embedded backend: ask it directly, without the pool.
        try (Socket direct = new Socket("127.0.0.1", backend.port())) {
            direct.setSoTimeout(5_000);
            RespClient.send(direct.getOutputStream(), "GET", "it:round-trip");
            RespReply reply = RespClient.read(new BufferedInputStream(direct.getInputStream()));
            assertThat(((RespReply.Bulk) reply).text()).isEqualTo(value);
        }
        assertThat(acquires() - acquiresBefore).isEqualTo(2);

        HttpResponse<String> missing = get("/api/keys/it:never-set");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(json(missing, 404).path("detail").asString()).isEqualTo("no key 'it:never-set' on endpoint cache");
    }

    @Test
    void badKeyValueRequestsNameWhatIsWrong() throws Exception {
        JsonNode tooBig = json(put("/api/keys/big", "x".repeat(16 * 1024 + 1)), 400);
        assertThat(tooBig.path("parameter").asString()).isEqualTo("value");
        assertThat(tooBig.path("value").asString()).isEqualTo("16385 bytes");
        JsonNode unknown = json(get("/api/keys/k?endpoint=nope"), 404);
        assertThat(unknown.path("detail").asString()).isEqualTo("no endpoint named 'nope'; configured: [cache]");
    }

    @Test
    void metricsHaveTheConnectionMetersTaggedByEndpoint() throws Exception {
        put("/api/keys/metrics", "m");

        JsonNode names = json(get("/actuator/metrics"), 200).path("names");
        List<String> meterNames = new ArrayList<>();
        names.forEach(n -> meterNames.add(n.asString()));
        assertThat(meterNames).contains("conpool.connections.active", "conpool.connections.idle",
                "conpool.connections.pending", "conpool.connections.max", "conpool.connections.created",
                "conpool.connections.acquire");

        JsonNode active = json(get("/actuator/metrics/conpool.connections.max?tag=endpoint:cache"), 200);
        assertThat(active.path("measurements").get(0).path("value").asDouble()).isEqualTo(10.0);
        JsonNode idle = json(get("/actuator/metrics/conpool.connections.idle"), 200);
        List<String> tagNames = new ArrayList<>();
        idle.path("availableTags").forEach(t -> tagNames.add(t.path("tag").asString()));
        assertThat(tagNames).contains("endpoint");

        HttpResponse<String> scrape = http.send(HttpRequest.newBuilder(URI.create(url("/actuator/prometheus")))
                .timeout(Duration.ofSeconds(30)).header("Accept", "text/plain").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(scrape.statusCode()).isEqualTo(200);
        assertThat(scrape.body().lines().filter(line -> line.startsWith("conpool_connections_max{"))
                .anyMatch(line -> line.contains("endpoint=\"cache\"") && line.endsWith(" 10.0"))).isTrue();
    }

    @Test
    void healthHasAnEntryForTheNamedEndpoint() throws Exception {
        JsonNode health = json(get("/actuator/health"), 200);
        assertThat(health.path("status").asString()).isEqualTo("UP");
        JsonNode cache = health.path("components").path("conpool").path("components").path("cache");
        assertThat(cache.path("status").asString()).isEqualTo("UP");
        assertThat(cache.path("details").path("circuit").asString()).isEqualTo("CLOSED");
        assertThat(cache.path("details").path("maxConnections").asInt()).isEqualTo(10);
    }

    @Test
    void clearClosesTheIdleConnectionsAndTheNextRequestOpensAFreshOne() throws Exception {
        // Start from a known state: no idle connection, then exactly one (below max-idle, so no sweep trims it).
        json(send("DELETE", "/actuator/conpool/cache", null), 200);
        put("/api/keys/clear-me", "1");
        JsonNode before = json(get("/actuator/conpool/cache"), 200).path("stats");
        int idleBefore = before.path("idle").asInt();
        assertThat(idleBefore).isEqualTo(1);

        JsonNode cleared = json(send("DELETE", "/actuator/conpool/cache", null), 200);
        assertThat(cleared.path("name").asString()).isEqualTo("cache");
        assertThat(cleared.path("idleClosed").asInt()).isEqualTo(idleBefore);
        assertThat(cleared.path("leasedMarked").asInt()).isZero();

        JsonNode after = json(get("/actuator/conpool/cache"), 200).path("stats");
        assertThat(after.path("idle").asInt()).isZero();
        assertThat(after.path("closedByReason").path("cleared").asLong())
                .isEqualTo(before.path("closedByReason").path("cleared").asLong() + idleBefore);

        assertThat(json(get("/api/keys/clear-me"), 200).path("value").asString()).isEqualTo("1");
        JsonNode reopened = json(get("/actuator/conpool/cache"), 200).path("stats");
        assertThat(reopened.path("created").asLong()).isEqualTo(after.path("created").asLong() + 1);
        assertThat(reopened.path("idle").asInt()).isEqualTo(1);
    }

    @Test
    void loadGeneratorRunsAndReportsItsSummary() throws Exception {
        JsonNode summary = json(post("/api/load?concurrency=4&count=200&holdMillis=1"), 200);
        assertThat(summary.path("endpoint").asString()).isEqualTo("cache");
        assertThat(summary.path("succeeded").asInt()).isEqualTo(200);
        assertThat(summary.path("failed").asInt()).isZero();
        assertThat(summary.path("acquire").path("samples").asInt()).isEqualTo(200);
        assertThat(summary.path("operation").path("p99Micros").asDouble())
                .isGreaterThanOrEqualTo(summary.path("operation").path("p50Micros").asDouble());
        assertThat(pool.stats(pool.endpoint("cache").orElseThrow()).active()).isZero();
    }

    @Test
    void absurdLoadRequestsGet400NamingTheParameterAndValue() throws Exception {
        assertBadParameter(post("/api/load?concurrency=100000&count=10"), "concurrency", "100000");
        assertBadParameter(post("/api/load?concurrency=4&count=-1"), "count", "-1");
        assertBadParameter(post("/api/load?concurrency=4&count=10000000"), "count", "10000000");
        assertBadParameter(post("/api/load?concurrency=4&count=10&holdMillis=60000"), "holdMillis", "60000");
        assertBadParameter(post("/api/load?concurrency=lots&count=10"), "concurrency", "lots");
        JsonNode missing = json(post("/api/load?concurrency=4"), 400);
        assertThat(missing.path("parameter").asString()).isEqualTo("count");
        assertThat(json(post("/api/load?concurrency=4&count=10&endpoint=nope"), 404).path("endpoint").asString())
                .isEqualTo("nope");
    }

    private void assertBadParameter(HttpResponse<String> response, String parameter, String value) {
        JsonNode problem = json(response, 400);
        assertThat(problem.path("parameter").asString()).isEqualTo(parameter);
        assertThat(problem.path("value").asString()).isEqualTo(value);
        assertThat(problem.path("detail").asString()).startsWith(parameter).contains(value);
    }

    private long acquires() {
        var stats = pool.stats(pool.endpoint("cache").orElseThrow());
        return stats.reused() + stats.misses();
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send("GET", path, null);
    }

    private HttpResponse<String> post(String path) throws IOException, InterruptedException {
        return send("POST", path, "");
    }

    private HttpResponse<String> put(String path, String text) throws IOException, InterruptedException {
        return send("PUT", path, text);
    }

    private HttpResponse<String> send(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url(path)))
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

    private static JsonNode json(HttpResponse<String> response, int expectedStatus) {
        assertThat(response.statusCode()).as(response.request().method() + " " + response.request().uri() + ": "
                + response.body()).isEqualTo(expectedStatus);
        return JSON.readTree(response.body());
    }

    private String url(String path) {
        return "http://localhost:" + port + path;
    }
}
