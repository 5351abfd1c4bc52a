package io.conpool.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;

import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.HealthChecks;
import io.conpool.PoolConfig;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.TestCertificates;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The annotated {@code application.yml} in the README's Spring section starts a real application as written (no
 * unknown key, no bad value), and means what its comments say. Only the SSL bundle's certificate file and the cache
 * endpoint's port are pointed at things the test owns. The pool-wide values it lists must be the real defaults.
 */
@Timeout(60)
class ReadmeExampleTests {

    @TempDir
    Path dir;

    @Test
    void documentedApplicationYmlStartsAndIsApplied() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        String section = readme.substring(readme.indexOf("<!-- SPRING-START"), readme.indexOf("<!-- SPRING-END"));
        int start = section.indexOf("```yaml\n") + "```yaml\n".length();
        String yaml = section.substring(start, section.indexOf("```", start));
        assertThat(yaml).contains("conpool:").contains("endpoints:");
        Path config = dir.resolve("application.yml");
        Files.writeString(config, yaml);
        Path ca = dir.resolve("api-ca.pem");
        Files.writeString(ca, pem(TestCertificates.shared().caCertificate()));
        try (EchoServer cache = EchoServer.start();
                ConfigurableApplicationContext context = new SpringApplicationBuilder(App.class)
                    .web(WebApplicationType.NONE)
                    .properties("spring.main.banner-mode=off")
                    // command-line arguments: they win over the file, as the overrides must
                    .run("--spring.config.location=file:" + config,
                            "--spring.ssl.bundle.pem.api-client.truststore.certificate=file:" + ca,
                            "--conpool.endpoints.cache.host=127.0.0.1",
                            "--conpool.endpoints.cache.port=" + cache.port())) {
            ConnectionPool pool = context.getBean(ConnectionPool.class);
            assertThat(pool.namedEndpoints()).containsOnlyKeys("cache", "api");
            Endpoint api = pool.endpoint("api").orElseThrow();
            assertThat(api.host()).isEqualTo("api.example.com");
            assertThat(api.port()).isEqualTo(443);
            assertThat(api.isTls()).isTrue();
            assertThat(api.tls().verifyHostname()).isTrue();
            assertThat(pool.config(api).circuitBreakerFailureThreshold()).isEqualTo(3);
            PoolConfig cacheConfig = pool.config(pool.endpoint("cache").orElseThrow());
            assertThat(cacheConfig.maxConnectionsPerEndpoint()).isEqualTo(50);
            assertThat(cacheConfig.minIdlePerEndpoint()).isEqualTo(4);
            assertThat(cacheConfig.acquireTimeout()).isEqualTo(Duration.ofSeconds(2));
            assertThat(cacheConfig.healthCheck()).containsSame(HealthChecks.redisPing());
            // The pool-wide values written in the README are the real defaults: 'api' overrides one thing only.
            assertThat(pool.config(api))
                .isEqualTo(PoolConfig.defaults().toBuilder().circuitBreakerFailureThreshold(3).build());
            assertThat(pool.config(Endpoint.of("127.0.0.1", 1))).isEqualTo(PoolConfig.defaults());
        }
    }

    private static String pem(X509Certificate certificate) throws Exception {
        return "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                    .encodeToString(certificate.getEncoded())
                + "\n-----END CERTIFICATE-----\n";
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
    }
}
