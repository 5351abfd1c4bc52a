package io.conpool.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed EC P-256 certificate for {@code localhost} and 127.0.0.1, made at start-up with the running JDK's
 * {@code keytool} (no extra dependency), and the server and client {@link SSLContext}s built from it.
 */
final class TestCertificate {

    private static final char[] PASSWORD = "benchmark".toCharArray();

    private final KeyStore keyStore;

    private TestCertificate(KeyStore keyStore) {
        this.keyStore = keyStore;
    }

    static TestCertificate generate() {
        try {
            Path dir = Files.createTempDirectory("conpool-bench-tls");
            Path file = dir.resolve("server.p12");
            String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
            Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname",
                    "secp256r1", "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2",
                    "-storetype", "PKCS12", "-keystore", file.toString(), "-storepass", new String(PASSWORD),
                    "-keypass", new String(PASSWORD))
                    .redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("keytool failed: " + new String(out));
            }
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(file)) {
                ks.load(in, PASSWORD);
            }
            Files.delete(file);
            Files.delete(dir);
            return new TestCertificate(ks);
        }
        catch (IOException | InterruptedException | java.security.GeneralSecurityException ex) {
            throw new IllegalStateException("cannot create the benchmark certificate", ex);
        }
    }

    SSLContext serverContext() {
        try {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keyStore, PASSWORD);
            SSLContext ctx = SSLContext.getInstance("TLSv1.3");
            ctx.init(kmf.getKeyManagers(), null, null);
            return ctx;
        }
        catch (java.security.GeneralSecurityException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** A fresh client context trusting only this certificate (each has its own session cache). */
    SSLContext clientContext() {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("server", keyStore.getCertificate("server"));
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLSv1.3");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        }
        catch (IOException | java.security.GeneralSecurityException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
