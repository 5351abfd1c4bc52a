package io.conpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.ScriptedResolver;
import io.conpool.testkit.TestCertificates;
import io.conpool.testkit.TlsServer;
import io.conpool.testkit.Wire;

/**
 * TLS material that changes while the pool runs (a certificate rotation): an endpoint whose {@link Tls} takes its
 * context from a source stays the same endpoint, and after {@link ConnectionPool#tlsMaterialChanged} its idle
 * connections close at once, its leased ones when returned (both as {@link CloseReason#TLS_MATERIAL_CHANGED}), and
 * new ones shake hands with the new material, against a real TLS server whose certificate moved to a new CA.
 */
@Timeout(30)
class TlsMaterialChangeTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private final ScriptedResolver resolver = ScriptedResolver.answering(TestCertificates.HOST, "127.0.0.1");

    private ConnectionPool pool() {
        return leaks.track(ConnectionPool.builder().resolver(resolver)
                .config(PoolConfig.builder().connectAttempts(1).maxConnectionsPerEndpoint(3).maxIdlePerEndpoint(3)
                        .build()));
    }

    @Test
    void aRotatedServerCertificateIsTrustedAfterTheChangeAndOldConnectionsRetire() {
        TestCertificates before = TestCertificates.generate();
        TestCertificates after = TestCertificates.generate();
        try (TlsServer server = TlsServer.start(before, "127.0.0.1")) {
            ConnectionPool pool = pool();
            AtomicReference<SSLContext> trust = new AtomicReference<>(before.clientContext());
            Supplier<SSLContext> source = trust::get;
            Endpoint ep = Endpoint.of(TestCertificates.HOST, server.port(),
                    Tls.builder().sslContextSource(source).build());

            PooledConnection leased = pool.acquire(ep);
            try (PooledConnection idle = pool.acquire(ep)) {
                assertThat(Wire.echo(idle, "old material")).isEqualTo("old material");
                server.certificates(after); // from now on it presents a certificate the old trust rejects
                assertThatThrownBy(() -> pool.acquire(ep, Duration.ofSeconds(5)).close())
                        .as("a third connection, still dialed with the old trust")
                        .isInstanceOf(ConnectException.class).hasCauseInstanceOf(SSLException.class);
            }

            trust.set(after.clientContext());
            ClearResult result = pool.tlsMaterialChanged(ep);

            assertThat(result).isEqualTo(new ClearResult(ep, 1, 1));
            assertThat(pool.stats(ep).closed(CloseReason.TLS_MATERIAL_CHANGED)).isEqualTo(1);
            assertThat(pool.stats(ep).idle()).isZero();
            assertThat(Wire.echo(leased, "keeps working")).as("a leased connection is never closed mid-use")
                    .isEqualTo("keeps working");
            leased.close();
            assertThat(pool.stats(ep).closed(CloseReason.TLS_MATERIAL_CHANGED)).isEqualTo(2);
            assertThat(pool.stats(ep).idle()).isZero();

            try (PooledConnection fresh = pool.acquire(ep)) {
                assertThat(fresh.reused()).isFalse();
                assertThat(Wire.echo(fresh, "new material")).isEqualTo("new material");
            }
            EndpointStats s = pool.stats(ep);
            assertThat(s.created()).as("the same endpoint's stats go on").isEqualTo(3);
            assertThat(s.errors()).isEqualTo(1);
            assertThat(server.handshakes()).isEqualTo(3);
            LeakCheck.assertNoPermitLost(pool, ep);

            // A later clear counts as a clear again: each retirement closes for its own reason.
            pool.clearEndpoint(ep);
            assertThat(pool.stats(ep).closed(CloseReason.CLEARED)).isEqualTo(pool.config(ep).maxIdlePerEndpoint());
            assertThat(pool.stats(ep).closed(CloseReason.TLS_MATERIAL_CHANGED)).isEqualTo(2);
        }
    }

    @Test
    void theSourceIsTheIdentitySoTheEndpointStaysTheSameKeyAcrossARotation() {
        AtomicReference<SSLContext> material = new AtomicReference<>(TestCertificates.shared().clientContext());
        Supplier<SSLContext> source = material::get;
        Tls tls = Tls.builder().sslContextSource(source).build();
        Endpoint ep = Endpoint.of("db.example", 5432, tls);
        int hash = ep.hashCode();

        material.set(TestCertificates.shared().newClientContext());

        assertThat(tls.sslContext()).isSameAs(material.get());
        assertThat(tls.sslContextSource()).isSameAs(source);
        assertThat(ep).isEqualTo(Endpoint.of("db.example", 5432, tls.toBuilder().build()));
        assertThat(ep.hashCode()).isEqualTo(hash);
        assertThat(ep).as("another source is other material, even giving the same context")
                .isNotEqualTo(Endpoint.of("db.example", 5432, Tls.builder().sslContextSource(material::get).build()));
        assertThat(ep).isNotEqualTo(Endpoint.of("db.example", 5432, Tls.of(material.get())));
        assertThat(Tls.of(material.get()).sslContextSource()).isNull();

        Tls broken = Tls.builder().sslContextSource(() -> null).build();
        assertThatThrownBy(broken::sslContext).isInstanceOf(IllegalStateException.class).hasMessageContaining("null");
    }

    @Test
    void aPlaintextEndpointHasNoMaterialAndAnUnknownOneNothingToClose() {
        ConnectionPool pool = pool();
        assertThatThrownBy(() -> pool.tlsMaterialChanged(Endpoint.of("db.example", 5432)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a TLS endpoint");
        Endpoint unknown = Endpoint.of("db.example", 5432, Tls.of(TestCertificates.shared().clientContext()));
        assertThat(pool.tlsMaterialChanged(unknown)).isEqualTo(new ClearResult(unknown, 0, 0));
        assertThat(pool.allStats()).as("looking never creates pool state").isEmpty();
    }
}
