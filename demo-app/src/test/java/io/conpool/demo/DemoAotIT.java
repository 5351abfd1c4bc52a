package io.conpool.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.aot.AotDetector;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo processed ahead of time, as a native build would process it (issue 13, point 4). The build's
 * {@code process-aot} step (phase prepare-package) generated the application context as code and the native-image
 * metadata; this integration test (failsafe, after packaging, part of {@code ./mvnw verify}) checks that output, and
 * then runs the demo on the JVM from it ({@code spring.aot.enabled=true}: no configuration class is parsed, no
 * condition evaluated; the generated bean definitions are used) and speaks to it over HTTP: the pool, the actuator
 * endpoint's answers (Jackson writing conpool's records), the health details, the Prometheus meters.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DemoAotIT {

    private static final Path AOT = Path.of("target", "spring-aot", "main");

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void processAotGeneratedTheContextAsCode() {
        assertThat(AOT.resolve("sources/io/conpool/demo/DemoApplication__ApplicationContextInitializer.java"))
            .isRegularFile();
        assertThat(AOT.resolve("sources/io/conpool/autoconfigure/ConpoolAutoConfiguration__BeanDefinitions.java"))
            .isRegularFile();
        assertThat(AOT.resolve(
                "sources/io/conpool/autoconfigure/endpoint/ConpoolEndpointAutoConfiguration__BeanDefinitions.java"))
            .isRegularFile();
        // Compiled where the application's classes are, so that the JVM (and a native build) finds them.
        assertThat(Path.of("target", "classes", "io", "conpool", "demo",
                "DemoApplication__ApplicationContextInitializer.class")).isRegularFile();
    }

    @Test
    void nativeImageMetadataHasConpoolsHints() throws IOException {
        String metadata = nativeImageMetadata();
        assertThat(metadata).as("conpool's own hints (ConpoolRuntimeHints, through aot.factories)")
            .contains("io.conpool.autoconfigure.endpoint.ConpoolEndpoint$Cleared",
                    "io.conpool.autoconfigure.endpoint.ConpoolEndpoint$CircuitReset", "io.conpool.CircuitState",
                    "isVirtual", "startVirtualThread");
        assertThat(metadata).as("hints Boot registers for conpool")
            .contains("io.conpool.autoconfigure.ConpoolProperties$EndpointProperties",
                    "io.conpool.autoconfigure.endpoint.ConpoolEndpoint$PoolDescriptor",
                    "io.conpool.autoconfigure.ConpoolFailureAnalyzer");
    }

    @Test
    void theDemoRunsFromItsAotProcessedContext() throws Exception {
        SpringApplication application = new SpringApplication(DemoApplication.class);
        // In AOT mode the generated initializer is looked up by the main class's name, which SpringApplication
        // would otherwise take from the stack (here: the test runner's).
        application.setMainApplicationClass(DemoApplication.class);
        System.setProperty("spring.aot.enabled", "true");
        try (ConfigurableApplicationContext context = application.run("--server.port=0",
                "--spring.main.banner-mode=off")) {
            assertThat(AotDetector.useGeneratedArtifacts()).isTrue();
            // A bean defined by an @Bean method of the auto-configuration, registered by generated code: it comes
            // with an instance supplier, where a parsed configuration class would leave a factory method only.
            RootBeanDefinition pool = (RootBeanDefinition) context.getBeanFactory()
                .getMergedBeanDefinition("connectionPool");
            assertThat(pool.getInstanceSupplier()).as("generated instance supplier").isNotNull();

            String base = "http://localhost:" + context.getEnvironment().getProperty("local.server.port");
            String value = "aot " + System.nanoTime();
            assertThat(json(send("PUT", base + "/api/keys/aot", value), 200).path("stored").asBoolean()).isTrue();
            assertThat(json(send("GET", base + "/api/keys/aot", null), 200).path("value").asString()).isEqualTo(value);

            JsonNode all = json(send("GET", base + "/actuator/conpool", null), 200);
            JsonNode cache = all.path("endpoints").get(0);
            assertThat(cache.path("name").asString()).isEqualTo("cache");
            assertThat(cache.path("stats").path("created").asLong()).isGreaterThanOrEqualTo(1);
            assertThat(cache.path("stats").path("closedByReason").has("idle-timeout")).isTrue();
            assertThat(cache.path("config").path("protocol").asString()).isEqualTo("redis");
            assertThat(cache.path("config").path("circuitBreaker").path("failureThreshold").asInt()).isEqualTo(5);

            JsonNode health = json(send("GET", base + "/actuator/health", null), 200);
            JsonNode cacheHealth = health.path("components").path("conpool").path("components").path("cache");
            assertThat(cacheHealth.path("status").asString()).isEqualTo("UP");
            assertThat(cacheHealth.path("details").path("circuit").asString()).isEqualTo("CLOSED");

            // The DELETE answers are declared as an interface: only the registered hints let Jackson write them
            // in a native image; on the JVM this checks that the generated context serves them at all.
            JsonNode cleared = json(send("DELETE", base + "/actuator/conpool/cache", null), 200);
            assertThat(cleared.path("name").asString()).isEqualTo("cache");
            assertThat(cleared.has("idleClosed")).isTrue();
            JsonNode reset = json(send("DELETE", base + "/actuator/conpool/cache?circuit=true", null), 200);
            assertThat(reset.path("circuitAfter").asString()).isEqualTo("CLOSED");

            HttpResponse<String> scrape = http.send(HttpRequest.newBuilder(URI.create(base + "/actuator/prometheus"))
                .timeout(Duration.ofSeconds(30))
                .header("Accept", "text/plain")
                .build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            assertThat(scrape.statusCode()).isEqualTo(200);
            assertThat(scrape.body().lines().filter(line -> line.startsWith("conpool_connections_max{"))
                .anyMatch(line -> line.contains("endpoint=\"cache\"") && line.endsWith(" 10.0"))).isTrue();
        }
        finally {
            System.clearProperty("spring.aot.enabled");
        }
    }

    /** Every JSON file of the generated native-image metadata, concatenated. */
    private static String nativeImageMetadata() throws IOException {
        Path dir = AOT.resolve("resources/META-INF/native-image");
        assertThat(dir).isDirectory();
        try (Stream<Path> files = Files.walk(dir)) {
            List<Path> json = files.filter(f -> f.toString().endsWith(".json")).sorted().toList();
            assertThat(json).as("native-image metadata files").isNotEmpty();
            return json.stream().map(f -> {
                try {
                    return Files.readString(f);
                }
                catch (IOException ex) {
                    throw new UncheckedIOException(ex);
                }
            }).collect(Collectors.joining("\n"));
        }
    }

    private HttpResponse<String> send(String method, String url, String body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
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
}
