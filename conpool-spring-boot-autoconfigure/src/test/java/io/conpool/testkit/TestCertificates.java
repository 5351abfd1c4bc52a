package io.conpool.testkit;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority and a server certificate generated at test time (EC P-256, valid from a day ago to a
 * day ahead), with subject alternative names {@value #HOST}, {@code localhost} and {@code 127.0.0.1}. Gives the
 * server's {@link SSLContext} and a client {@link SSLContext} trusting only this CA.
 *
 * <p>For servers outside the JVM (nginx), the chain and key are also available in PEM. {@link #shared()} is generated
 * once per JVM; {@link #generate()} makes an independent CA, e.g. for "a
 * certificate from a CA the client does not trust".
 */
public final class TestCertificates {

    /** The dotted host name the server certificate is issued for (resolve it with a test resolver). */
    public static final String HOST = "conpool.test";

    private static final char[] PASSWORD = "conpool".toCharArray();

    private static final AtomicLong SERIALS = new AtomicLong(System.currentTimeMillis());

    private static volatile TestCertificates shared;

    private final X509Certificate caCertificate;

    private final X509Certificate serverCertificate;

    private final PrivateKey serverKey;

    private final SSLContext serverContext;

    private final SSLContext clientContext;

    private TestCertificates(X509Certificate ca, X509Certificate server, PrivateKey serverKey,
            SSLContext serverContext, SSLContext clientContext) {
        this.caCertificate = ca;
        this.serverCertificate = server;
        this.serverKey = serverKey;
        this.serverContext = serverContext;
        this.clientContext = clientContext;
    }

    /** One set for the whole test run (generation takes a moment). */
    public static TestCertificates shared() {
        TestCertificates s = shared;
        if (s == null) {
            synchronized (TestCertificates.class) {
                s = shared;
                if (s == null) {
                    s = shared = generate();
                }
            }
        }
        return s;
    }

    /** A fresh CA and server certificate for {@value #HOST}, {@code localhost} and {@code 127.0.0.1}. */
    public static TestCertificates generate() {
        return generate(HOST, "localhost", "127.0.0.1");
    }

    /** A fresh CA and a server certificate with these subject alternative names (DNS names or IP literals). */
    public static TestCertificates generate(String... subjectAltNames) {
        try {
            KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
            kpg.initialize(256);
            KeyPair caKeys = kpg.generateKeyPair();
            KeyPair serverKeys = kpg.generateKeyPair();
            Instant now = Instant.now();
            Date notBefore = Date.from(now.minus(Duration.ofDays(1)));
            Date notAfter = Date.from(now.plus(Duration.ofDays(1)));
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();

            X500Name caName = new X500Name("CN=conpool test CA " + SERIALS.get());
            X509v3CertificateBuilder ca = new JcaX509v3CertificateBuilder(caName, serial(), notBefore, notAfter,
                    caName, caKeys.getPublic());
            ca.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            ca.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            ca.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(caKeys.getPublic()));
            X509Certificate caCert = sign(ca, caKeys);

            List<GeneralName> names = new ArrayList<>();
            for (String n : subjectAltNames) {
                boolean ip = n.indexOf(':') >= 0 || n.chars().allMatch(c -> c == '.' || Character.isDigit(c));
                names.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, n));
            }
            X509v3CertificateBuilder server = new JcaX509v3CertificateBuilder(caCert, serial(), notBefore, notAfter,
                    new X500Name("CN=" + subjectAltNames[0]), serverKeys.getPublic());
            server.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            server.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            server.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            server.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(names.toArray(GeneralName[]::new)));
            server.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(caCert));
            X509Certificate serverCert = sign(server, caKeys);

            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("server", serverKeys.getPrivate(), PASSWORD, new Certificate[] { serverCert, caCert });
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, PASSWORD);
            SSLContext serverContext = SSLContext.getInstance("TLS");
            serverContext.init(kmf.getKeyManagers(), null, null);

            return new TestCertificates(caCert, serverCert, serverKeys.getPrivate(), serverContext, trusting(caCert));
        }
        catch (Exception ex) {
            throw new IllegalStateException("generating test certificates", ex);
        }
    }

    /** The server side: key and certificate chain. */
    public SSLContext serverContext() {
        return serverContext;
    }

    /**
     * A client context trusting this CA only. Always the same object for this set, so endpoints built with it are
     * equal (the pool compares contexts by identity).
     */
    public SSLContext clientContext() {
        return clientContext;
    }

    /** A new client context trusting this CA: same trust, a different object, hence a different endpoint. */
    public SSLContext newClientContext() {
        try {
            return trusting(caCertificate);
        }
        catch (GeneralSecurityException | java.io.IOException ex) {
            throw new IllegalStateException(ex);
        }
    }

    public X509Certificate caCertificate() {
        return caCertificate;
    }

    public X509Certificate serverCertificate() {
        return serverCertificate;
    }

    /**
     * The server's certificate chain in PEM (server certificate, then the CA's), for a server outside the JVM such
     * as nginx ({@code ssl_certificate}).
     */
    public String serverCertificateChainPem() {
        try {
            return pem("CERTIFICATE", serverCertificate.getEncoded()) + pem("CERTIFICATE", caCertificate.getEncoded());
        }
        catch (java.security.cert.CertificateEncodingException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** The server's private key in PEM (PKCS#8, unencrypted), for {@code ssl_certificate_key}. */
    public String serverKeyPem() {
        return pem("PRIVATE KEY", serverKey.getEncoded());
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static SSLContext trusting(X509Certificate ca) throws GeneralSecurityException, java.io.IOException {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext client = SSLContext.getInstance("TLS");
        client.init(null, tmf.getTrustManagers(), null);
        return client;
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair issuer) throws Exception {
        ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate());
        return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    }

    private static BigInteger serial() {
        return BigInteger.valueOf(SERIALS.incrementAndGet());
    }
}
