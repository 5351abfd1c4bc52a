package io.conpool.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;

import io.conpool.Endpoint;
import io.conpool.Tls;

/**
 * A loopback TLS echo server with a {@link TestCertificates} certificate, which can be rotated to another
 * ({@link #certificates(TestCertificates)}) and can require client certificates. Records, per connection, the SNI
 * host name the client sent ({@code null} when none) and the negotiated protocol. Offers TLS 1.3 and 1.2 unless told
 * otherwise.
 *
 * <p>It accepts plain TCP and layers a server-mode {@link SSLSocket} on each accepted socket (rather than using an
 * {@code SSLServerSocket}) so that a test can close the TCP connection underneath without a TLS close_notify
 * ({@link ServerConnection#closeWithoutCloseNotify()}). {@link #stallHandshakes(boolean) stallHandshakes(true)}
 * makes it accept TCP connections and never speak, so a client's handshake runs into its timeout.
 */
public final class TlsServer extends LoopbackServer {

    private volatile TestCertificates certificates;

    /** The context handshakes use now: the certificates' own, or one that requires client certificates. */
    private volatile SSLContext context;

    private volatile boolean needClientAuth;

    private volatile String[] protocols = { "TLSv1.3", "TLSv1.2" };

    private volatile boolean stalling;

    private volatile boolean reading = true;

    private final AtomicInteger handshakes = new AtomicInteger();

    private final AtomicInteger handshakeFailures = new AtomicInteger();

    private final java.util.concurrent.atomic.AtomicLong stalledBytes = new java.util.concurrent.atomic.AtomicLong();

    private TlsServer(TestCertificates certificates, String bindAddress) {
        super("tls", bindAddress);
        this.certificates = certificates;
        this.context = certificates.serverContext();
    }

    /** A TLS echo server on 127.0.0.1 with the {@link TestCertificates#shared() shared} certificate. */
    public static TlsServer start() {
        return start(TestCertificates.shared(), "127.0.0.1");
    }

    public static TlsServer start(TestCertificates certificates, String bindAddress) {
        TlsServer server = new TlsServer(certificates, bindAddress);
        server.startAccepting();
        return server;
    }

    /** Protocol versions the server accepts from now on, e.g. {@code "TLSv1.2"} alone. */
    public TlsServer protocols(String... versions) {
        this.protocols = versions.clone();
        return this;
    }

    /**
     * Presents these certificates to handshakes from now on (a server certificate rotated to a new CA, say);
     * connections already open keep theirs. Stops requiring client certificates.
     */
    public TlsServer certificates(TestCertificates next) {
        this.certificates = next;
        this.needClientAuth = false;
        this.context = next.serverContext();
        return this;
    }

    /**
     * From now on, handshakes require a client certificate issued by {@code clientCa} (mutual TLS) and fail for any
     * other or none; connections already open stay.
     */
    public TlsServer requireClientCertificatesFrom(X509Certificate clientCa) {
        this.context = certificates.serverContextRequiringClientsOf(clientCa);
        this.needClientAuth = true;
        return this;
    }

    /** From now on, accept TCP connections and never answer a handshake (until turned off or closed). */
    public TlsServer stallHandshakes(boolean stall) {
        this.stalling = stall;
        return this;
    }

    /**
     * Whether connections accepted from now on are read after the handshake. When off, the server completes the
     * handshake, then holds the connection open and reads nothing, so the client's writes pile up until they block.
     */
    public TlsServer reading(boolean read) {
        this.reading = read;
        return this;
    }

    /**
     * Bytes received and dropped on stalled connections (see {@link #stallHandshakes}): above zero once a client's
     * ClientHello arrived, so the client is waiting for an answer that never comes.
     */
    public long stalledBytesReceived() {
        return stalledBytes.get();
    }

    /** Handshakes completed. */
    public int handshakes() {
        return handshakes.get();
    }

    /** Handshakes that failed on the server side (e.g. the client rejected the certificate). */
    public int handshakeFailures() {
        return handshakeFailures.get();
    }

    public TestCertificates certificates() {
        return certificates;
    }

    /** SNI names received, one entry per completed handshake ({@code null} where none was sent). */
    public List<String> sniNames() {
        List<String> names = new ArrayList<>();
        for (ServerConnection c : connections()) {
            if (c.protocol() != null) {
                names.add(c.sniHostName());
            }
        }
        return names;
    }

    /**
     * A TLS endpoint for {@code host} (which the test's resolver must map to this server's address) on this port,
     * trusting the server's CA, host name verification on.
     */
    public Endpoint endpoint(String host) {
        return Endpoint.of(host, port(), Tls.of(certificates.clientContext()));
    }

    /** A TLS endpoint to {@code 127.0.0.1} (an IP literal: no SNI; the certificate carries that IP). */
    @Override
    public Endpoint endpoint() {
        return endpoint(host());
    }

    @Override
    protected void serve(ServerConnection connection) throws IOException {
        if (stalling) {
            // Read and drop what the client sends (its ClientHello), never write a byte.
            InputStream raw = connection.raw().getInputStream();
            byte[] sink = new byte[4096];
            int n;
            while ((n = raw.read(sink)) >= 0) {
                stalledBytes.addAndGet(n); // keep draining until the client or the test closes it
            }
            return;
        }
        SSLSocket ssl = (SSLSocket) context.getSocketFactory().createSocket(connection.raw(), null, true);
        SSLParameters params = ssl.getSSLParameters();
        params.setProtocols(protocols);
        params.setNeedClientAuth(needClientAuth);
        ssl.setSSLParameters(params);
        try {
            ssl.startHandshake();
        }
        catch (IOException ex) {
            handshakeFailures.incrementAndGet();
            throw ex;
        }
        connection.upgraded(ssl, requestedNames(ssl.getSession()));
        handshakes.incrementAndGet();
        if (!reading) {
            connection.holdWithoutReading(this::isServerClosed);
            return;
        }
        connection.echoUntilClosed(() -> true);
    }

    private static List<String> requestedNames(SSLSession session) {
        List<String> names = new ArrayList<>();
        if (session instanceof ExtendedSSLSession) {
            for (SNIServerName n : ((ExtendedSSLSession) session).getRequestedServerNames()) {
                if (n instanceof SNIHostName) {
                    names.add(((SNIHostName) n).getAsciiName());
                }
            }
        }
        return names;
    }
}
