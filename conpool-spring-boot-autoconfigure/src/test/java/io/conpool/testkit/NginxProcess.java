package io.conpool.testkit;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import io.conpool.Endpoint;
import io.conpool.Tls;

/**
 * A real {@code nginx} (Debian package nginx) started by a test as a child process: the master runs in the
 * foreground ({@code -p <dir> -c <dir>/nginx.conf -g 'daemon off;'}) with one worker, error log and pid file in its
 * own temporary directory. It serves HTTP/1.1 with keep-alive ({@code keepalive_timeout} and
 * {@code keepalive_requests} as configured) on two free loopback ports, one plaintext and one TLS with a certificate
 * generated at test time for {@link #serverName()} (default {@code localhost}). Every request gets {@code 200} and
 * the same small body, with headers that tell a test which connection served it: {@code X-Connection} (nginx's
 * connection serial number), {@code X-Connection-Requests} (requests served on it so far, this one included) and
 * {@code X-SNI} (the server name the client sent in TLS; absent on plaintext connections).
 *
 * <p>{@link #start()} returns once a {@code GET} is answered; {@link #close()} stops master and worker by PID (see
 * {@link ServerProcess}). Where {@code /usr/sbin/nginx} is absent the calling test is skipped naming the package (or
 * fails under {@code -Dconpool.require-system-tests=true}); {@code -Dconpool.binary.nginx=...} points elsewhere.
 */
public final class NginxProcess extends ServerProcess {

    /** Where Debian installs it. */
    public static final String BINARY = "/usr/sbin/nginx";

    /** The Debian package named when it is missing. */
    public static final String PACKAGE = "nginx";

    /** What every request gets unless told otherwise. */
    public static final String DEFAULT_BODY = "conpool nginx ok\n";

    private final Duration keepaliveTimeout;

    private final int keepaliveRequests;

    private final String body;

    private final String serverName;

    private final TestCertificates certificates;

    private volatile int port;

    private volatile int tlsPort;

    private NginxProcess(Builder b) {
        super("nginx");
        this.keepaliveTimeout = b.keepaliveTimeout;
        this.keepaliveRequests = b.keepaliveRequests;
        this.body = b.body;
        this.serverName = b.serverName;
        this.certificates = TestCertificates.generate(b.serverName);
    }

    /** nginx with keep-alive for 5 s and 100 requests per connection. */
    public static NginxProcess start() {
        return builder().start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The plaintext port. */
    @Override
    public int port() {
        return port;
    }

    /** The TLS port. */
    public int tlsPort() {
        return tlsPort;
    }

    /** The host name the TLS certificate is for: the SNI name to send and the name to verify. */
    public String serverName() {
        return serverName;
    }

    /** The CA and certificate nginx serves; {@code certificates().clientContext()} trusts it (and nothing else). */
    public TestCertificates certificates() {
        return certificates;
    }

    /** The body of every response. */
    public String body() {
        return body;
    }

    public Duration keepaliveTimeout() {
        return keepaliveTimeout;
    }

    public int keepaliveRequests() {
        return keepaliveRequests;
    }

    /**
     * The TLS endpoint: {@link #HOST} and {@link #tlsPort()}, trusting {@link #certificates()}, with
     * {@link #serverName()} as SNI and verified host name (verification on).
     */
    public Endpoint tlsEndpoint() {
        return Endpoint.of(host(), tlsPort,
                Tls.builder().sslContext(certificates.clientContext()).serverName(serverName).build());
    }

    private NginxProcess startServer(Path binary) {
        try {
            Path chain = write("server-chain.pem", certificates.serverCertificateChainPem());
            Path key = write("server-key.pem", certificates.serverKeyPem());
            Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
            Files.createDirectories(directory().resolve("temp"));
            for (int attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
                port = freePort();
                tlsPort = freePort();
                Path conf = write("nginx.conf", config(chain, key));
                launch(List.of(binary.toString(), "-p", directory().toString(), "-c", conf.toString(),
                        "-e", logFile().toString(), "-g", "daemon off;"));
                if (awaitReady(this::answersGet)) {
                    return this;
                }
                if (!portTaken()) {
                    break;
                }
            }
        }
        catch (IOException ex) {
            closeAfterFailure(ex);
            throw new java.io.UncheckedIOException("preparing nginx in " + directory(), ex);
        }
        catch (RuntimeException | Error ex) {
            closeAfterFailure(ex);
            throw ex;
        }
        throw startFailure("nginx did not start on " + host() + ":" + port + " and :" + tlsPort);
    }

    private String config(Path chain, Path key) {
        Path dir = directory();
        Path temp = dir.resolve("temp");
        String ms = keepaliveTimeout.toMillis() + "ms";
        return String.join("\n",
                "worker_processes 1;",
                "error_log " + logFile() + " notice;",
                "pid " + dir.resolve("nginx.pid") + ";",
                "events {",
                "    worker_connections 256;",
                "}",
                "http {",
                "    access_log off;",
                "    client_body_temp_path " + temp.resolve("client_body") + ";",
                "    proxy_temp_path " + temp.resolve("proxy") + ";",
                "    fastcgi_temp_path " + temp.resolve("fastcgi") + ";",
                "    uwsgi_temp_path " + temp.resolve("uwsgi") + ";",
                "    scgi_temp_path " + temp.resolve("scgi") + ";",
                "    keepalive_timeout " + ms + ";",
                "    keepalive_requests " + keepaliveRequests + ";",
                "    server {",
                "        listen " + HOST + ":" + port + ";",
                "        listen " + HOST + ":" + tlsPort + " ssl;",
                "        server_name " + serverName + ";",
                "        ssl_certificate " + chain + ";",
                "        ssl_certificate_key " + key + ";",
                "        ssl_protocols TLSv1.2 TLSv1.3;",
                "        location / {",
                "            default_type text/plain;",
                "            add_header X-Connection $connection always;",
                "            add_header X-Connection-Requests $connection_requests always;",
                "            add_header X-SNI \"$ssl_server_name\" always;",
                "            return 200 \"" + quoted(body) + "\";",
                "        }",
                "    }",
                "}",
                "");
    }

    /** The body inside an nginx double-quoted string. */
    private static String quoted(String text) {
        return text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n").replace("\r", "\\r")
                .replace("\t", "\\t");
    }

    private boolean answersGet() throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host(), port), 1_000);
            s.setSoTimeout(2_000);
            Http1.Response r = Http1.get(new BufferedInputStream(s.getInputStream()), s.getOutputStream(),
                    serverName, "/");
            if (r.status() != 200 || !r.bodyText().equals(body)) {
                throw new IOException("nginx answered " + r.status() + " '" + r.bodyText() + "'");
            }
        }
        try (Socket tls = new Socket()) {
            tls.connect(new InetSocketAddress(host(), tlsPort), 1_000); // bound together with the plaintext one
        }
        return true;
    }

    /** Settings of an {@link NginxProcess}. */
    public static final class Builder {

        private Duration keepaliveTimeout = Duration.ofSeconds(5);

        private int keepaliveRequests = 100;

        private String body = DEFAULT_BODY;

        private String serverName = "localhost";

        private Builder() {
        }

        /** {@code keepalive_timeout}: how long nginx keeps an idle connection open (zero: no keep-alive). */
        public Builder keepaliveTimeout(Duration timeout) {
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("keepalive_timeout must not be negative: " + timeout);
            }
            this.keepaliveTimeout = timeout;
            return this;
        }

        /** {@code keepalive_requests}: requests per connection, after which nginx answers with Connection: close. */
        public Builder keepaliveRequests(int requests) {
            if (requests < 1) {
                throw new IllegalArgumentException("keepalive_requests must be positive: " + requests);
            }
            this.keepaliveRequests = requests;
            return this;
        }

        /** The body of every response (no {@code $}: nginx would read a variable). */
        public Builder body(String body) {
            if (body.indexOf('$') >= 0) {
                throw new IllegalArgumentException("no '$' in the body, nginx would expand it: " + body);
            }
            this.body = body;
            return this;
        }

        /** The DNS name the certificate is issued for (SNI and verification); default {@code localhost}. */
        public Builder serverName(String name) {
            if (!name.matches("[A-Za-z0-9.-]+")) {
                throw new IllegalArgumentException("a DNS name please: " + name);
            }
            this.serverName = name;
            return this;
        }

        /** Starts nginx and waits until it answers; skips the test where nginx is not installed. */
        public NginxProcess start() {
            Path binary = SystemBinaries.require(BINARY, PACKAGE);
            return new NginxProcess(this).startServer(binary);
        }
    }
}
