package io.conpool.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.conpool.CloseReason;
import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.PooledConnection;
import io.conpool.testkit.Await;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.Pem;
import io.conpool.testkit.TestCertificates;
import io.conpool.testkit.TestCertificates.ClientCertificate;
import io.conpool.testkit.TlsServer;
import io.conpool.testkit.Wire;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Certificate rotation drains the pool: endpoints whose TLS comes from a PEM SSL bundle that Boot watches
 * ({@code reload-on-update=true}) follow a rewrite of its files. Each test rewrites the files during the test, while
 * the TLS server has moved on to material only the new files work with (a server certificate from a new CA, or a
 * client certificate from a new CA); then the idle connections are closed at once and the leased ones when
 * returned, as {@code tls-material-changed}, and the next acquire shakes hands with the new material. Nothing leaks.
 */
@Timeout(60)
class ConpoolSslBundleReloadTests {

    @TempDir
    Path dir;

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ConpoolAutoConfiguration.class, SslAutoConfiguration.class))
        .withUserConfiguration(ConpoolSslBundleTests.TestResolver.class)
        .withPropertyValues("spring.ssl.bundle.watch.file.quiet-period=100ms",
                "spring.ssl.bundle.pem.api.reload-on-update=true", "conpool.endpoints.api.host=" + TestCertificates.HOST,
                "conpool.endpoints.api.tls.bundle=api", "conpool.endpoints.api.connect-attempts=1");

    @Test
    void aServerCertificateFromANewCaIsTrustedOnceTheTrustFileIsRewritten() {
        TestCertificates before = TestCertificates.generate();
        TestCertificates after = TestCertificates.generate();
        Path trust = dir.resolve("ca.pem");
        String poolName = leaks.newPoolName();
        try (TlsServer server = TlsServer.start(before, "127.0.0.1")) {
            runner.withPropertyValues("conpool.name=" + poolName, "conpool.endpoints.api.port=" + server.port(),
                    "spring.ssl.bundle.pem.api.truststore.certificate="
                            + Pem.write(trust, Pem.certificates(before.caCertificate())))
                .run(context -> {
                    ConnectionPool pool = leaks.track(context.getBean(ConnectionPool.class), poolName);
                    Endpoint api = pool.endpoint("api").orElseThrow();
                    // An endpoint made at run time with the named endpoint's TLS uses the same material.
                    Endpoint sameMaterial = Endpoint.of("localhost", server.port(), api.tls());
                    PooledConnection leased = pool.acquire(api);
                    assertThat(echo(pool, api, "old trust")).isEqualTo("old trust");
                    assertThat(echo(pool, sameMaterial, "old trust too")).isEqualTo("old trust too");
                    assertThat(pool.stats(api).idle()).isEqualTo(1);

                    server.certificates(after);
                    Pem.write(trust, Pem.certificates(after.caCertificate()));

                    Await.until(() -> pool.stats(api).closed(CloseReason.TLS_MATERIAL_CHANGED) == 1,
                            "the idle connection closed after the bundle reload");
                    Await.until(() -> pool.stats(sameMaterial).closed(CloseReason.TLS_MATERIAL_CHANGED) == 1,
                            "the other endpoint's idle connection closed too");
                    assertThat(pool.stats(api).idle()).isZero();
                    assertThat(Wire.echo(leased, "still leased")).isEqualTo("still leased");
                    leased.close();
                    assertThat(pool.stats(api).closed(CloseReason.TLS_MATERIAL_CHANGED)).isEqualTo(2);
                    assertThat(pool.stats(api).idle()).isZero();

                    assertThat(echo(pool, api, "new trust")).isEqualTo("new trust");
                    assertThat(pool.endpoint("api")).contains(api);
                    assertThat(pool.stats(api).created()).isEqualTo(3);
                    assertThat(pool.stats(api).errors()).isZero();
                    assertThat(server.handshakeFailures()).isZero();
                    LeakCheck.assertNoPermitLost(pool, api);
                    LeakCheck.assertAtRest(pool, sameMaterial);
                });
        }
    }

    @Test
    void aClientCertificateFromANewCaIsPresentedOnceTheKeyFilesAreRewritten() {
        TestCertificates serverCertificates = TestCertificates.generate();
        TestCertificates oldClientCa = TestCertificates.generate();
        TestCertificates newClientCa = TestCertificates.generate();
        ClientCertificate oldClient = oldClientCa.issueClientCertificate("app");
        ClientCertificate newClient = newClientCa.issueClientCertificate("app");
        Path certificate = dir.resolve("client.crt");
        Path key = dir.resolve("client.key");
        String poolName = leaks.newPoolName();
        try (TlsServer server = TlsServer.start(serverCertificates, "127.0.0.1")
            .requireClientCertificatesFrom(oldClientCa.caCertificate())) {
            runner.withPropertyValues("conpool.name=" + poolName, "conpool.endpoints.api.port=" + server.port(),
                    "spring.ssl.bundle.pem.api.truststore.certificate="
                            + Pem.write(dir.resolve("ca.pem"), Pem.certificates(serverCertificates.caCertificate())),
                    "spring.ssl.bundle.pem.api.keystore.certificate="
                            + Pem.write(certificate, Pem.certificates(oldClient.certificate(), oldClient.issuer())),
                    "spring.ssl.bundle.pem.api.keystore.private-key="
                            + Pem.write(key, Pem.privateKey(oldClient.privateKey())))
                .run(context -> {
                    ConnectionPool pool = leaks.track(context.getBean(ConnectionPool.class), poolName);
                    Endpoint api = pool.endpoint("api").orElseThrow();
                    PooledConnection leased = pool.acquire(api);
                    PooledConnection idle = pool.acquire(api);
                    assertThat(Wire.echo(idle, "old client key")).isEqualTo("old client key");

                    server.requireClientCertificatesFrom(newClientCa.caCertificate());
                    // A new connection still presents the old certificate: the server refuses it. (With TLS 1.3 the
                    // client's side of the handshake is over before the server has judged its certificate, so the
                    // client sees the refusal as the server's alert or as a broken pipe, on its first write or read.)
                    assertThatThrownBy(() -> echo(pool, api, "refused"))
                        .satisfies(ex -> assertThat(causes(ex)).anyMatch(IOException.class::isInstance));
                    Await.until(() -> server.handshakeFailures() == 1, "the server refused the old certificate");
                    idle.close();

                    Pem.write(key, Pem.privateKey(newClient.privateKey()));
                    Pem.write(certificate, Pem.certificates(newClient.certificate(), newClient.issuer()));

                    Await.until(() -> pool.stats(api).closed(CloseReason.TLS_MATERIAL_CHANGED) == 1,
                            "the idle connection closed after the bundle reload");
                    assertThat(pool.stats(api).idle()).isZero();
                    leased.close();
                    assertThat(pool.stats(api).closed(CloseReason.TLS_MATERIAL_CHANGED)).isEqualTo(2);

                    assertThat(echo(pool, api, "new client key")).isEqualTo("new client key");
                    assertThat(server.handshakeFailures()).isEqualTo(1);
                    LeakCheck.assertNoPermitLost(pool, api);
                });
        }
    }

    private static String echo(ConnectionPool pool, Endpoint endpoint, String text) throws IOException {
        return pool.withConnection(endpoint, c -> {
            byte[] out = (text + "\n").getBytes(StandardCharsets.UTF_8);
            c.out().write(out);
            c.out().flush();
            return new String(c.in().readNBytes(out.length), StandardCharsets.UTF_8).trim();
        });
    }

    private static List<Throwable> causes(Throwable t) {
        List<Throwable> all = new ArrayList<>();
        for (Throwable c = t; c != null && !all.contains(c); c = c.getCause()) {
            all.add(c);
        }
        return all;
    }
}
