package io.conpool.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;

import javax.net.ssl.SSLException;

import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.testkit.ScriptedResolver;
import io.conpool.testkit.TestCertificates;
import io.conpool.testkit.TlsServer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * TLS through Spring Boot SSL bundles, with real handshakes on loopback against a TLS echo server whose certificate
 * the test generates: the bundle's trust is what the pool uses, SNI carries the configured name, host name
 * verification is on unless turned off explicitly, the bundle's protocols apply, and a missing bundle fails the
 * start-up naming the property.
 */
@Timeout(60)
class ConpoolSslBundleTests {

    @TempDir
    Path dir;

    private TlsServer server;

    private String caPem;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ConpoolAutoConfiguration.class, SslAutoConfiguration.class))
        .withUserConfiguration(TestResolver.class);

    @BeforeEach
    void start() throws Exception {
        server = TlsServer.start();
        caPem = writePem("ca.pem", server.certificates().caCertificate());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void handshakeUsesTheBundlesTrustAndSendsSni() {
        runner.withPropertyValues(bundle("api-client", caPem), "conpool.endpoints.api.host=" + TestCertificates.HOST,
                "conpool.endpoints.api.port=" + server.port(), "conpool.endpoints.api.tls.bundle=api-client")
            .run(context -> {
                ConnectionPool pool = context.getBean(ConnectionPool.class);
                Endpoint api = pool.endpoint("api").orElseThrow();
                assertThat(api.isTls()).isTrue();
                assertThat(api.tls().verifyHostname()).isTrue();
                assertThat(echo(pool, api, "over tls")).isEqualTo("over tls");
                assertThat(server.handshakes()).isEqualTo(1);
                assertThat(server.sniNames()).containsExactly(TestCertificates.HOST);
            });
    }

    @Test
    void withoutTheBundleTheJdkTrustRejectsTheTestCertificate() {
        runner.withPropertyValues("conpool.endpoints.api.host=" + TestCertificates.HOST,
                "conpool.endpoints.api.port=" + server.port(), "conpool.endpoints.api.tls.enabled=true",
                "conpool.endpoints.api.connect-attempts=1")
            .run(context -> {
                ConnectionPool pool = context.getBean(ConnectionPool.class);
                Endpoint api = pool.endpoint("api").orElseThrow();
                assertThatThrownBy(() -> echo(pool, api, "x"))
                    .satisfies(ex -> assertThat(causes(ex)).anyMatch(SSLException.class::isInstance));
                assertThat(server.handshakes()).isZero();
            });
    }

    @Test
    void serverNameOverridesSniAndTheVerifiedName() {
        runner.withPropertyValues(bundle("api-client", caPem), "conpool.endpoints.api.host=127.0.0.1",
                "conpool.endpoints.api.port=" + server.port(), "conpool.endpoints.api.tls.bundle=api-client",
                "conpool.endpoints.api.tls.server-name=localhost")
            .run(context -> {
                ConnectionPool pool = context.getBean(ConnectionPool.class);
                Endpoint api = pool.endpoint("api").orElseThrow();
                assertThat(api.tls().serverName()).isEqualTo("localhost");
                assertThat(echo(pool, api, "sni")).isEqualTo("sni");
                assertThat(server.sniNames()).containsExactly("localhost");
            });
    }

    @Test
    void hostNameVerificationIsOnUnlessTurnedOffExplicitly() throws Exception {
        TestCertificates otherName = TestCertificates.generate("someone-else.example");
        try (TlsServer wrongName = TlsServer.start(otherName, "127.0.0.1")) {
            String pem = writePem("other.pem", otherName.caCertificate());
            String[] common = { bundle("other", pem), "conpool.endpoints.api.host=" + TestCertificates.HOST,
                    "conpool.endpoints.api.port=" + wrongName.port(), "conpool.endpoints.api.tls.bundle=other",
                    "conpool.endpoints.api.connect-attempts=1" };
            runner.withPropertyValues(common).run(context -> {
                ConnectionPool pool = context.getBean(ConnectionPool.class);
                Endpoint api = pool.endpoint("api").orElseThrow();
                assertThatThrownBy(() -> echo(pool, api, "x"))
                    .satisfies(ex -> assertThat(causes(ex)).anyMatch(SSLException.class::isInstance));
            });
            runner.withPropertyValues(common).withPropertyValues("conpool.endpoints.api.tls.verify-hostname=false")
                .run(context -> {
                    ConnectionPool pool = context.getBean(ConnectionPool.class);
                    Endpoint api = pool.endpoint("api").orElseThrow();
                    assertThat(api.tls().verifyHostname()).isFalse();
                    assertThat(echo(pool, api, "insecure on purpose")).isEqualTo("insecure on purpose");
                });
        }
    }

    @Test
    void poolWideBundleAndBundleProtocolsApplyAndEndpointsShareTheContext() {
        runner.withPropertyValues(bundle("shared", caPem),
                "spring.ssl.bundle.pem.shared.options.enabled-protocols=TLSv1.2", "conpool.tls.bundle=shared",
                "conpool.endpoints.a.host=" + TestCertificates.HOST, "conpool.endpoints.a.port=" + server.port(),
                "conpool.endpoints.a.tls.enabled=true", "conpool.endpoints.b.host=localhost",
                "conpool.endpoints.b.port=" + server.port(), "conpool.endpoints.b.tls.enabled=true",
                "conpool.endpoints.b.tls.protocols=TLSv1.3")
            .run(context -> {
                ConnectionPool pool = context.getBean(ConnectionPool.class);
                Endpoint a = pool.endpoint("a").orElseThrow();
                Endpoint b = pool.endpoint("b").orElseThrow();
                assertThat(a.tls().protocols()).containsExactly("TLSv1.2");
                assertThat(b.tls().protocols()).containsExactly("TLSv1.3");
                assertThat(a.tls().sslContext()).isSameAs(b.tls().sslContext());
                assertThat(echo(pool, a, "v1.2")).isEqualTo("v1.2");
                assertThat(echo(pool, b, "v1.3")).isEqualTo("v1.3");
                assertThat(server.connections()).extracting(c -> c.protocol())
                    .containsExactlyInAnyOrder("TLSv1.2", "TLSv1.3");
            });
    }

    @Test
    void bundleNamedWithoutAnySslBundlesFailsNamingTheProperty() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ConpoolAutoConfiguration.class))
            .withPropertyValues("conpool.endpoints.api.host=localhost", "conpool.endpoints.api.port=443",
                    "conpool.endpoints.api.tls.bundle=api-client")
            .run(context -> assertThat(StartupFailureReport.text(context.getStartupFailure()))
                .contains("Property: conpool.endpoints.api.tls.bundle")
                .contains("Value: \"api-client\"")
                .contains("no SSL bundles are configured"));
    }

    @Test
    void unknownBundleFailsListingTheKnownOnes() {
        runner.withPropertyValues(bundle("api-client", caPem), "conpool.endpoints.api.host=localhost",
                "conpool.endpoints.api.port=443", "conpool.endpoints.api.tls.bundle=api-cleint")
            .run(context -> assertThat(StartupFailureReport.text(context.getStartupFailure()))
                .contains("Property: conpool.endpoints.api.tls.bundle")
                .contains("Value: \"api-cleint\"")
                .contains("[api-client]"));
    }

    private static String echo(ConnectionPool pool, Endpoint endpoint, String text) throws IOException {
        return pool.withConnection(endpoint, c -> {
            byte[] out = (text + "\n").getBytes(StandardCharsets.UTF_8);
            c.out().write(out);
            c.out().flush();
            byte[] in = c.in().readNBytes(out.length);
            return new String(in, StandardCharsets.UTF_8).trim();
        });
    }

    private static List<Throwable> causes(Throwable t) {
        List<Throwable> all = new java.util.ArrayList<>();
        for (Throwable c = t; c != null && !all.contains(c); c = c.getCause()) {
            all.add(c);
        }
        return all;
    }

    private static String bundle(String name, String caPem) {
        return "spring.ssl.bundle.pem." + name + ".truststore.certificate=" + caPem;
    }

    private String writePem(String file, X509Certificate certificate) throws IOException, CertificateEncodingException {
        String pem = "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(certificate.getEncoded())
                + "\n-----END CERTIFICATE-----\n";
        Path path = dir.resolve(file);
        Files.writeString(path, pem);
        return "file:" + path;
    }

    /** Maps the certificate's dotted test name to loopback, so a real host name (and SNI) is used. */
    @Configuration(proxyBeanMethods = false)
    static class TestResolver {

        @Bean
        ConnectionPoolBuilderCustomizer testResolver() {
            return builder -> builder.resolver(ScriptedResolver.answering(TestCertificates.HOST, "127.0.0.1")
                .answer("localhost", "127.0.0.1"));
        }
    }
}
