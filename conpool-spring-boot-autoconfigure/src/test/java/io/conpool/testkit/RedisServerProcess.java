package io.conpool.testkit;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A real {@code redis-server} (Debian package redis-server) started by a test as a child process on a free loopback
 * port, with a generated configuration: {@code requirepass}, optionally {@code timeout N} (the server closes
 * connections idle that long), no persistence ({@code save ""}, {@code appendonly no}), working directory in its
 * own temporary directory. {@link #start()} returns once the server answers {@code AUTH} + {@code PING};
 * {@link #close()} stops it by PID (see {@link ServerProcess}).
 *
 * <p>Where {@code /usr/bin/redis-server} is absent the calling test is skipped, naming the package (or fails under
 * {@code -Dconpool.require-system-tests=true}); {@code -Dconpool.binary.redis-server=...} points elsewhere.
 *
 * <pre>{@code
 * try (RedisServerProcess redis = RedisServerProcess.builder().idleTimeout(Duration.ofSeconds(1)).start()) {
 *     Endpoint endpoint = redis.endpoint();   // AUTH with redis.password()
 * }
 * }</pre>
 */
public final class RedisServerProcess extends ServerProcess {

    /** Where Debian installs it. */
    public static final String BINARY = "/usr/bin/redis-server";

    /** The Debian package named when it is missing. */
    public static final String PACKAGE = "redis-server";

    private final String password;

    private final Duration idleTimeout;

    private volatile int port;

    private RedisServerProcess(Builder builder) {
        super("redis-server");
        this.password = builder.password;
        this.idleTimeout = builder.idleTimeout;
    }

    /** A server with a generated password and no idle timeout. */
    public static RedisServerProcess start() {
        return builder().start();
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public int port() {
        return port;
    }

    /** The {@code requirepass} password ({@code null} when started without one). */
    public String password() {
        return password;
    }

    /** The configured {@code timeout} (zero: connections are never closed for idleness). */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /** A new socket to the server, already authenticated; the caller closes it. */
    public Socket connect() throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(host(), port), 5_000);
            s.setSoTimeout(10_000);
            if (password != null) {
                Object reply = RespWire.call(s.getInputStream(), s.getOutputStream(), "AUTH", password);
                if (!"OK".equals(reply)) {
                    throw new IOException("AUTH answered " + reply);
                }
            }
            return s;
        }
        catch (IOException | RuntimeException ex) {
            s.close();
            throw ex;
        }
    }

    private RedisServerProcess startServer(Path binary) {
        try {
            for (int attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
                port = freePort();
                Path config = write("redis.conf", config());
                launch(List.of(binary.toString(), config.toString()));
                if (awaitReady(this::answersPing)) {
                    return this;
                }
                if (!portTaken()) {
                    break;
                }
            }
        }
        catch (RuntimeException | Error ex) {
            closeAfterFailure(ex);
            throw ex;
        }
        throw startFailure("redis-server did not start on " + host() + ":" + port);
    }

    private String config() {
        StringBuilder c = new StringBuilder();
        c.append("bind ").append(HOST).append('\n');
        c.append("port ").append(port).append('\n');
        c.append("protected-mode yes\n");
        c.append("daemonize no\n");
        c.append("supervised no\n");
        c.append("logfile \"\"\n");
        c.append("loglevel notice\n");
        c.append("always-show-logo no\n");
        c.append("save \"\"\n");
        c.append("appendonly no\n");
        c.append("dir \"").append(directory()).append("\"\n");
        c.append("timeout ").append(idleTimeout.toSeconds()).append('\n');
        if (password != null) {
            c.append("requirepass \"").append(password).append("\"\n");
        }
        return c.toString();
    }

    private boolean answersPing() throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host(), port), 1_000);
            s.setSoTimeout(2_000);
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            if (password != null && !"OK".equals(RespWire.call(in, out, "AUTH", password))) {
                return false;
            }
            return "PONG".equals(RespWire.call(in, out, "PING"));
        }
    }

    /** Settings of a {@link RedisServerProcess}. */
    public static final class Builder {

        private String password = "conpool-" + Long.toHexString(ThreadLocalRandom.current().nextLong());

        private Duration idleTimeout = Duration.ZERO;

        private Builder() {
        }

        /** The {@code requirepass} password (letters, digits, {@code -_.}); {@code null} for none. Default: random. */
        public Builder password(String password) {
            if (password != null && !password.matches("[A-Za-z0-9._-]+")) {
                throw new IllegalArgumentException("a test password of letters, digits and -_. please: " + password);
            }
            this.password = password;
            return this;
        }

        /** Redis' {@code timeout}: close client connections idle this long (whole seconds; zero = never). */
        public Builder idleTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.toMillis() % 1000 != 0) {
                throw new IllegalArgumentException("redis' timeout is in whole seconds: " + timeout);
            }
            this.idleTimeout = timeout;
            return this;
        }

        /** Starts the server and waits until it answers; skips the test where redis-server is not installed. */
        public RedisServerProcess start() {
            Path binary = SystemBinaries.require(BINARY, PACKAGE);
            return new RedisServerProcess(this).startServer(binary);
        }
    }
}
