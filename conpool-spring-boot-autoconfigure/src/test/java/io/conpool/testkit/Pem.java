package io.conpool.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;

/**
 * PEM text of test certificates and keys, as Spring Boot's PEM SSL bundles read them, and a way to replace a PEM file
 * the way a certificate rotation does (the new content appears at once, never half-written).
 */
public final class Pem {

    private Pem() {
    }

    /** {@code -----BEGIN CERTIFICATE-----} blocks, one per certificate, in order. */
    public static String certificates(X509Certificate... certificates) {
        StringBuilder pem = new StringBuilder();
        for (X509Certificate c : certificates) {
            try {
                pem.append(block("CERTIFICATE", c.getEncoded()));
            }
            catch (CertificateEncodingException ex) {
                throw new IllegalStateException(ex);
            }
        }
        return pem.toString();
    }

    /** An unencrypted PKCS#8 {@code -----BEGIN PRIVATE KEY-----} block. */
    public static String privateKey(PrivateKey key) {
        return block("PRIVATE KEY", key.getEncoded());
    }

    /**
     * Writes {@code text} to {@code file} through a temporary file in the same directory and an atomic move, so a
     * watcher never reads it half-written. Returns {@code file:<path>}, the form a bundle property takes.
     */
    public static String write(Path file, String text) {
        try {
            Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
            Files.writeString(tmp, text);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return "file:" + file;
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private static String block(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
