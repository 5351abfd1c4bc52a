package io.conpool.autoconfigure.endpoint;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.PooledConnection;
import io.conpool.autoconfigure.ConnectionPoolBuilderCustomizer;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.ScriptedResolver;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * The actuator endpoint over real HTTP in a real application (embedded Tomcat on a random port): exposure, access
 * control of the write operation, 404s that never create pool state, and the answers' JSON.
 */
@Timeout(120)
class ConpoolEndpointWebTests {

    /** A host name only the test resolver knows, so its appearance in an answer is unambiguous. */
    private static final String SECRET_HOST = "cache.internal.conpool.test";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private EchoServer server;

    private ConfigurableApplicationContext context;

    @BeforeEach
    void startServer() {
        server = EchoServer.start();
    }

    @AfterEach
    void stop() {
        if (context != null) {
            context.close();
        }
        server.close();
    }

    @Test
    void notExposedOverWebByDefaultAndHealthNeverShowsHostNames() throws Exception {
        start("management.endpoint.health.show-details=always");
        leaseAndReturnOne();
        assertThat(get("/actuator/conpool").statusCode()).isEqualTo(404);
        assertThat(get("/actuator/conpool/cache").statusCode()).isEqualTo(404);
        HttpResponse<String> index = get("/actuator");
        assertThat(index.body()).doesNotContain("conpool");
        HttpResponse<String> health = get("/actuator/health");
        System.out.println("GET /actuator/health\n" + health.body());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"conpool\"").contains("\"cache\"").doesNotContain(SECRET_HOST)
            .doesNotContain(String.valueOf(server.port()));
    }

    @Test
    void readOnlyByDefault_deleteIsRefusedAndChangesNothing() throws Exception {
        start("management.endpoints.web.exposure.include=conpool");
        leaseAndReturnOne();
        HttpResponse<String> all = get("/actuator/conpool");
        assertThat(all.statusCode()).isEqualTo(200);
        assertThat(all.body()).contains(SECRET_HOST).contains("\"name\":\"cache\"");
        HttpResponse<String> delete = send("DELETE", "/actuator/conpool/cache");
        assertThat(delete.statusCode()).isEqualTo(405);
        assertThat(pool().stats(cache()).idle()).isEqualTo(1);
        assertThat(pool().stats(cache()).closed()).isZero();
    }

    @Test
    void accessNoneHidesTheEndpointEvenWhenExposed() throws Exception {
        start("management.endpoints.web.exposure.include=conpool", "management.endpoint.conpool.access=none");
        assertThat(get("/actuator/conpool").statusCode()).isEqualTo(404);
        assertThat(send("DELETE", "/actuator/conpool/cache").statusCode()).isEqualTo(404);
    }

    @Test
    void unrestrictedAccessClearsAndResetsAndUnknownIs404WithoutCreatingEntries() throws Exception {
        start("management.endpoints.web.exposure.include=conpool", "management.endpoint.conpool.access=unrestricted");
        PooledConnection held = pool().acquire(cache());
        leaseAndReturnOne(); // a second connection, idle
        int known = pool().allStats().size();

        HttpResponse<String> one = get("/actuator/conpool/cache");
        System.out.println("GET /actuator/conpool/cache\n" + one.body());
        assertThat(one.statusCode()).isEqualTo(200);
        assertThat(one.body()).contains("\"active\":1").contains("\"idle\":1").contains("\"circuitState\":\"CLOSED\"");
        // The config object as the README shows it: every setting, in order, unlimited and off as null.
        assertThat(one.body()).contains("\"config\":{\"maxConnections\":10,\"maxIdle\":5,\"minIdle\":0,"
                + "\"connectionTimeout\":\"10s\",\"acquireTimeout\":\"30s\",\"maxIdleTime\":\"1m\","
                + "\"maxConnectionLifetime\":\"5m\",\"lifetimeJitter\":0.05,\"maxConnectionUses\":null,"
                + "\"validationInterval\":\"30s\",\"connectAttempts\":3,\"connectBackoff\":\"100ms\","
                + "\"healthCheck\":null,\"healthCheckTimeout\":\"2s\",\"healthCheckInterval\":null,"
                + "\"healthCheckBypassWindow\":null,\"protocol\":null,\"maxPendingAcquires\":null,"
                + "\"leakDetectionThreshold\":null,\"circuitBreaker\":{\"enabled\":true,\"failureThreshold\":5,"
                + "\"openDuration\":\"1s\",\"maxOpenDuration\":\"1m\"}}");
        HttpResponse<String> byAddress = get("/actuator/conpool/" + SECRET_HOST + ":" + server.port());
        assertThat(byAddress.statusCode()).isEqualTo(200);
        assertThat(byAddress.body()).isEqualTo(one.body());
        System.out.println("GET /actuator/conpool\n" + get("/actuator/conpool").body());

        for (String unknown : List.of("nope", "127.0.0.1:9", "tls:127.0.0.1:9", "%5B::1%5D:9", "not%20a%20host")) {
            assertThat(get("/actuator/conpool/" + unknown).statusCode()).as("GET " + unknown).isEqualTo(404);
            assertThat(send("DELETE", "/actuator/conpool/" + unknown).statusCode()).as("DELETE " + unknown)
                .isEqualTo(404);
            assertThat(send("DELETE", "/actuator/conpool/" + unknown + "?circuit=true").statusCode())
                .as("DELETE circuit " + unknown)
                .isEqualTo(404);
        }
        assertThat(pool().allStats()).hasSize(known);

        HttpResponse<String> cleared = send("DELETE", "/actuator/conpool/cache");
        System.out.println("DELETE /actuator/conpool/cache\n" + cleared.body());
        assertThat(cleared.statusCode()).isEqualTo(200);
        assertThat(cleared.body()).contains("\"idleClosed\":1").contains("\"leasedMarked\":1")
            .contains("\"name\":\"cache\"");
        assertThat(pool().stats(cache()).idle()).isZero();
        held.close(); // marked: closed on return
        assertThat(pool().stats(cache()).closed()).isEqualTo(2);
        assertThat(pool().stats(cache()).active()).isZero();

        HttpResponse<String> reset = send("DELETE", "/actuator/conpool/cache?circuit=true");
        System.out.println("DELETE /actuator/conpool/cache?circuit=true\n" + reset.body());
        assertThat(reset.statusCode()).isEqualTo(200);
        assertThat(reset.body()).contains("\"circuitBefore\":\"CLOSED\"").contains("\"circuitAfter\":\"CLOSED\"");
    }

    private void leaseAndReturnOne() {
        try (PooledConnection c = pool().acquire(cache())) {
            assertThat(c.endpoint()).isEqualTo(cache());
        }
    }

    private void start(String... properties) {
        List<String> all = new ArrayList<>(List.of("server.port=0", "spring.main.banner-mode=off",
                "conpool.endpoints.cache.host=" + SECRET_HOST, "conpool.endpoints.cache.port=" + server.port()));
        all.addAll(List.of(properties));
        context = new SpringApplicationBuilder(WebApp.class).properties(all.toArray(String[]::new)).run();
    }

    private ConnectionPool pool() {
        return context.getBean(ConnectionPool.class);
    }

    private Endpoint cache() {
        return pool().endpoint("cache").orElseThrow();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return send("GET", path);
    }

    private HttpResponse<String> send(String method, String path) throws Exception {
        String port = context.getEnvironment().getProperty("local.server.port");
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class WebApp {

        @Bean
        ConnectionPoolBuilderCustomizer testResolver() {
            return builder -> builder.resolver(ScriptedResolver.answering(SECRET_HOST, "127.0.0.1"));
        }
    }
}
