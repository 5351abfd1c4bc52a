package io.conpool.testkit;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real PostgreSQL server (Debian package postgresql) started by a test as a child process: {@code initdb} into its
 * own temporary directory, then {@code postgres} listening on {@code 127.0.0.1} on a free port, its Unix socket in
 * that directory, tuned to start fast and hold nothing (no fsync, small buffers). Authentication over TCP is trust,
 * cleartext password or MD5 password ({@link Auth}); {@code idle_session_timeout} is configurable, so that the
 * server closes idle sessions under a pool. Binaries come from {@code /usr/lib/postgresql/<highest version>/bin}.
 *
 * <p>PostgreSQL refuses to run as root: when the JVM is root, {@code initdb} and {@code postgres} run as user
 * {@code nobody} (through util-linux's {@code setpriv}, which execs, so the PID is the postmaster's), in a directory
 * handed over to that user. {@link #start()} returns once a startup message gets ReadyForQuery; {@link #close()}
 * asks for a fast shutdown ({@code SIGINT}: sessions are ended, not waited for), then waits by PID (see
 * {@link ServerProcess}).
 *
 * <p>Where the binaries are absent the calling test is skipped naming the package (or fails under
 * {@code -Dconpool.require-system-tests=true}); {@code -Dconpool.binary.postgres=.../bin/postgres} points elsewhere
 * ({@code initdb} is taken from the same directory).
 *
 * <pre>{@code
 * try (PostgresProcess pg = PostgresProcess.builder().password("secret")
 *             .idleSessionTimeout(Duration.ofSeconds(2)).start();
 *         Socket s = new Socket(pg.host(), pg.port())) {
 *     PgWire.startup(in, out, pg.user(), pg.database(), pg.password());
 *     PgWire.query(in, out, "SELECT 1");
 * }
 * }</pre>
 */
public final class PostgresProcess extends ServerProcess {

    /** Where Debian installs the server; the highest version directory wins. */
    public static final String BINARY = "/usr/lib/postgresql/*/bin/postgres";

    /** The Debian package named when it is missing. */
    public static final String PACKAGE = "postgresql";

    /** How long {@code initdb} may take. */
    public static final Duration INITDB_TIMEOUT = Duration.ofSeconds(60);

    /** How clients authenticate over TCP ({@code pg_hba.conf}'s method for host connections). */
    public enum Auth {
        /** No password. */
        TRUST("trust"),
        /** The password in clear ({@code password}). */
        PASSWORD("password"),
        /** An MD5 challenge ({@code md5}; the password is stored as its MD5 hash, so no SCRAM is negotiated). */
        MD5("md5");

        private final String method;

        Auth(String method) {
            this.method = method;
        }

        /** The pg_hba.conf method name. */
        public String method() {
            return method;
        }
    }

    private final String user;

    private final String password;

    private final Auth auth;

    private final Duration idleSessionTimeout;

    private volatile int port;

    private PostgresProcess(Builder b) {
        super("postgres");
        this.user = b.user;
        this.password = b.password;
        this.auth = b.password == null ? Auth.TRUST : b.auth;
        this.idleSessionTimeout = b.idleSessionTimeout;
    }

    /** A server with trust authentication and no idle session timeout. */
    public static PostgresProcess start() {
        return builder().start();
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public int port() {
        return port;
    }

    /** The superuser the cluster was created with; connect as this user. */
    public String user() {
        return user;
    }

    /** Its password, {@code null} under {@link Auth#TRUST}. */
    public String password() {
        return password;
    }

    /** The database that exists after initdb. */
    public String database() {
        return "postgres";
    }

    public Auth auth() {
        return auth;
    }

    /** {@code idle_session_timeout} (zero: off). */
    public Duration idleSessionTimeout() {
        return idleSessionTimeout;
    }

    /** The directory of the Unix socket ({@code unix_socket_directories}). */
    public Path socketDirectory() {
        return directory();
    }

    /** Opens a session: connects over TCP, authenticates, and returns the socket at ReadyForQuery. */
    public Socket connect() throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(host(), port), 5_000);
            s.setSoTimeout(10_000);
            PgWire.startup(s.getInputStream(), s.getOutputStream(), user, database(), password);
            return s;
        }
        catch (IOException | RuntimeException ex) {
            s.close();
            throw ex;
        }
    }

    @Override
    protected void signalStop(ProcessHandle server) {
        signal(server, "INT"); // fast shutdown; SIGTERM ("smart") would wait for every client to leave
    }

    private PostgresProcess startServer(Path postgres, Path initdb, List<String> runAs) {
        try {
            if (!runAs.isEmpty()) {
                handOverTo("nobody", directory());
            }
            Path data = directory().resolve("data");
            List<String> init = new ArrayList<>(runAs);
            init.addAll(List.of(initdb.toString(), "-D", data.toString(), "-U", user, "-E", "UTF8", "--locale=C",
                    "--no-sync", "--auth-local=trust", "--auth-host=" + auth.method()));
            if (password != null) {
                // Stored already hashed: PostgreSQL keeps an MD5 hash as given, whatever password_encryption says,
                // so md5 in pg_hba.conf really challenges with MD5 instead of switching to SCRAM.
                Path pwfile = write("pwfile", PgWire.md5Stored(user, password) + "\n");
                init.add("--pwfile=" + pwfile);
            }
            runToCompletion(init, INITDB_TIMEOUT);
            for (int attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
                port = freePort();
                List<String> command = new ArrayList<>(runAs);
                command.addAll(List.of(postgres.toString(), "-D", data.toString(),
                        "-c", "listen_addresses=" + HOST,
                        "-c", "port=" + port,
                        "-c", "unix_socket_directories=" + directory(),
                        "-c", "idle_session_timeout=" + idleSessionTimeout.toMillis(),
                        "-c", "max_connections=30",
                        "-c", "shared_buffers=16MB",
                        "-c", "fsync=off",
                        "-c", "synchronous_commit=off",
                        "-c", "full_page_writes=off",
                        "-c", "logging_collector=off",
                        "-c", "log_min_messages=warning"));
                launch(command);
                if (awaitReady(this::acceptsSession)) {
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
        throw startFailure("postgres did not start on " + host() + ":" + port);
    }

    private boolean acceptsSession() throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host(), port), 1_000);
            s.setSoTimeout(2_000);
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            try {
                PgWire.startup(in, out, user, database(), password);
            }
            catch (PgWire.ServerError ex) {
                if ("57P03".equals(ex.sqlState())) { // cannot_connect_now: still starting up
                    return false;
                }
                throw ex;
            }
            PgWire.terminate(out);
            return true;
        }
    }

    /** Makes {@code user} the owner of {@code dir}: postgres, run as that user, creates its data directory in it. */
    private static void handOverTo(String user, Path dir) {
        try {
            UserPrincipalLookupService lookup = dir.getFileSystem().getUserPrincipalLookupService();
            Files.getFileAttributeView(dir, PosixFileAttributeView.class).setOwner(lookup.lookupPrincipalByName(user));
        }
        catch (IOException ex) {
            throw new UncheckedIOException("handing " + dir + " over to " + user, ex);
        }
    }

    /** The primary group id of a user from {@code /etc/passwd}, or {@code null}. */
    private static Integer primaryGroupOf(String user) throws IOException {
        for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
            String[] f = line.split(":");
            if (f.length > 3 && f[0].equals(user)) {
                return Integer.parseInt(f[3]);
            }
        }
        return null;
    }

    /** Whether this JVM runs as root (uid 0). */
    static boolean runningAsRoot() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
        }
        catch (IOException | UnsupportedOperationException ex) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    /** Settings of a {@link PostgresProcess}. */
    public static final class Builder {

        private String user = "conpool";

        private String password;

        private Auth auth = Auth.MD5;

        private Duration idleSessionTimeout = Duration.ZERO;

        private Builder() {
        }

        /** The superuser created by initdb (default {@code conpool}). */
        public Builder user(String user) {
            if (!user.matches("[a-z_][a-z0-9_]*")) {
                throw new IllegalArgumentException("a plain lower-case role name please: " + user);
            }
            this.user = user;
            return this;
        }

        /**
         * The user's password; TCP clients must give it (MD5 challenge unless {@link #auth} says otherwise). Without
         * one (the default), TCP clients are trusted.
         */
        public Builder password(String password) {
            this.password = password;
            return this;
        }

        /** How TCP clients authenticate when a password is set: {@link Auth#MD5} (default) or {@link Auth#PASSWORD}. */
        public Builder auth(Auth auth) {
            this.auth = auth;
            return this;
        }

        /** {@code idle_session_timeout}: the server ends sessions idle this long (zero, the default: never). */
        public Builder idleSessionTimeout(Duration timeout) {
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("idle_session_timeout must not be negative: " + timeout);
            }
            this.idleSessionTimeout = timeout;
            return this;
        }

        /**
         * Runs initdb, starts postgres and waits until it accepts a session; skips the test where PostgreSQL (or, as
         * root, setpriv) is not installed.
         */
        public PostgresProcess start() {
            if (password != null && auth == Auth.TRUST) {
                throw new IllegalArgumentException("a password with trust authentication would never be asked for");
            }
            Path postgres = SystemBinaries.require(BINARY, PACKAGE);
            Path initdb = SystemBinaries.require(postgres.resolveSibling("initdb").toString(), PACKAGE);
            List<String> runAs = List.of();
            if (runningAsRoot()) {
                Path setpriv = SystemBinaries.require("/usr/bin/setpriv", "util-linux");
                runAs = List.of(setpriv.toString(), "--reuid=nobody", "--regid=" + nobodyGroup(), "--clear-groups",
                        "--");
            }
            return new PostgresProcess(this).startServer(postgres, initdb, runAs);
        }

        private static String nobodyGroup() {
            try {
                Integer gid = primaryGroupOf("nobody");
                if (gid == null) {
                    throw new IllegalStateException("no user 'nobody' in /etc/passwd to run postgres as (it refuses "
                            + "root)");
                }
                return gid.toString();
            }
            catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
    }
}
