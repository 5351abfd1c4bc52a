package io.conpool.autoconfigure.readiness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.conpool.ConnectionPool;
import io.conpool.EndpointStats;
import io.conpool.autoconfigure.ConnectionPoolBuilderCustomizer;
import io.conpool.autoconfigure.ConpoolAutoConfiguration;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.RefusedPort;
import io.conpool.testkit.ScriptedResolver;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.LivenessState;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * {@code conpool.warm-up.hold-readiness} in a real application (embedded Tomcat, actuator with the Kubernetes probes):
 * readiness, as {@link ApplicationAvailability} and as {@code /actuator/health/readiness}, stays out of service until
 * every named endpoint has its min-idle connections, or until the timeout; liveness stays up throughout.
 */
@Timeout(120)
@ExtendWith(OutputCaptureExtension.class)
class ConpoolReadinessTests {

    /** Only the test's resolver knows this host, so the test decides when the endpoint can be reached. */
    private static final String CACHE_HOST = "cache.warm-up.conpool.test";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final ScriptedResolver resolver = ScriptedResolver.create();

    private ConfigurableApplicationContext context;

    @AfterEach
    void stop() {
        resolver.resume(); // a lookup still blocked would hold the pool's worker at close
        if (context != null) {
            context.close();
        }
    }

    @Test
    void readinessWaitsUntilEveryNamedEndpointIsWarm(CapturedOutput output) throws Exception {
        try (EchoServer cache = EchoServer.start(); EchoServer api = EchoServer.start()) {
            // The name lookup hangs (a slow DNS server), so 'cache' cannot open its connections until the test says.
            resolver.answer(CACHE_HOST, "127.0.0.1").pause();
            start("1m", "conpool.endpoints.api.host=127.0.0.1", "conpool.endpoints.api.port=" + api.port(),
                    "conpool.endpoints.api.min-idle=1", "conpool.endpoints.cache.host=" + CACHE_HOST,
                    "conpool.endpoints.cache.port=" + cache.port(), "conpool.endpoints.cache.min-idle=2");
            resolver.awaitBlocked(1, Duration.ofSeconds(10));
            assertRefusingButLive();
            Thread.sleep(300); // not a passing moment: it stays so while the endpoint is cold
            assertRefusingButLive();
            assertThat(output).contains("Readiness held until the conpool endpoints are warm")
                .contains("cache (0 of 2 connections open)");

            resolver.resume();
            await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(availability().getReadinessState())
                    .isEqualTo(ReadinessState.ACCEPTING_TRAFFIC));
            assertThat(open("cache")).isGreaterThanOrEqualTo(2);
            assertThat(open("api")).isGreaterThanOrEqualTo(1);
            HttpResponse<String> readiness = get("/actuator/health/readiness");
            assertThat(readiness.statusCode()).isEqualTo(200);
            assertThat(readiness.body()).contains("\"UP\"");
            assertThat(output).contains("conpool endpoints warm after").doesNotContain("not warm after");
        }
    }

    @Test
    void readyAfterTheTimeoutWithAWarningNamingTheColdEndpoint(CapturedOutput output) throws Exception {
        try (EchoServer api = EchoServer.start()) {
            int refused = RefusedPort.find();
            start("2s", "conpool.endpoints.api.host=127.0.0.1", "conpool.endpoints.api.port=" + api.port(),
                    "conpool.endpoints.api.min-idle=1", "conpool.endpoints.down.host=127.0.0.1",
                    "conpool.endpoints.down.port=" + refused, "conpool.endpoints.down.min-idle=1",
                    "conpool.endpoints.down.connect-attempts=1");
            long started = System.nanoTime();
            assertRefusingButLive();
            await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(availability().getReadinessState())
                    .isEqualTo(ReadinessState.ACCEPTING_TRAFFIC));
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThan(Duration.ofMillis(1500));
            assertThat(get("/actuator/health/readiness").statusCode()).isEqualTo(200);
            String warning = output.getOut().lines()
                .filter(line -> line.contains("not warm after"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no warning in:\n" + output));
            assertThat(warning).contains("WARN")
                .endsWith("conpool endpoints not warm after 2000 ms, readiness released anyway: "
                        + "down (0 of 1 connections open)");
            assertThat(availability().getLivenessState()).isEqualTo(LivenessState.CORRECT);
        }
    }

    @Test
    void nothingToWaitForMeansReadyAtOnce(CapturedOutput output) throws Exception {
        try (EchoServer api = EchoServer.start()) {
            start("1m", "conpool.endpoints.api.host=127.0.0.1", "conpool.endpoints.api.port=" + api.port());
            assertThat(availability().getReadinessState()).isEqualTo(ReadinessState.ACCEPTING_TRAFFIC);
            assertThat(get("/actuator/health/readiness").statusCode()).isEqualTo(200);
            assertThat(output).doesNotContain("Readiness held");
        }
    }

    @Test
    void offByDefault() {
        new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ConpoolAutoConfiguration.class,
                    ApplicationAvailabilityAutoConfiguration.class, ConpoolReadinessAutoConfiguration.class))
            .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(WarmUpReadiness.class));
        new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ConpoolAutoConfiguration.class,
                    ApplicationAvailabilityAutoConfiguration.class, ConpoolReadinessAutoConfiguration.class))
            .withPropertyValues("conpool.warm-up.hold-readiness=true")
            .run(context -> assertThat(context).hasSingleBean(WarmUpReadiness.class));
    }

    private void assertRefusingButLive() throws Exception {
        assertThat(availability().getReadinessState()).isEqualTo(ReadinessState.REFUSING_TRAFFIC);
        HttpResponse<String> readiness = get("/actuator/health/readiness");
        assertThat(readiness.statusCode()).isEqualTo(503);
        assertThat(readiness.body()).contains("OUT_OF_SERVICE");
        assertThat(availability().getLivenessState()).isEqualTo(LivenessState.CORRECT);
        HttpResponse<String> liveness = get("/actuator/health/liveness");
        assertThat(liveness.statusCode()).isEqualTo(200);
        assertThat(liveness.body()).contains("\"UP\"");
    }

    private void start(String timeout, String... properties) {
        List<String> all = new ArrayList<>(List.of("server.port=0", "spring.main.banner-mode=off",
                "management.endpoint.health.probes.enabled=true", "conpool.warm-up.hold-readiness=true",
                "conpool.warm-up.timeout=" + timeout));
        all.addAll(List.of(properties));
        ConnectionPoolBuilderCustomizer useResolver = builder -> builder.resolver(resolver);
        context = new SpringApplicationBuilder(WebApp.class).properties(all.toArray(String[]::new))
            .initializers(c -> c.getBeanFactory().registerSingleton("testResolver", useResolver))
            .run();
    }

    private ApplicationAvailability availability() {
        return context.getBean(ApplicationAvailability.class);
    }

    private int open(String name) {
        ConnectionPool pool = context.getBean(ConnectionPool.class);
        EndpointStats stats = pool.stats(pool.endpoint(name).orElseThrow());
        return stats.idle() + stats.active();
    }

    private HttpResponse<String> get(String path) throws Exception {
        String port = context.getEnvironment().getProperty("local.server.port");
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .GET()
            .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class WebApp {
    }
}
