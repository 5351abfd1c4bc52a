package io.conpool;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The built-in {@link ProtocolHandler} for Redis (RESP2), by name {@value #NAME}:
 * <ul>
 * <li>after connect: {@code AUTH [username] password} if a password is set, {@code SELECT database} if a database is
 * set, {@code CLIENT SETNAME name} if a client name is set, sent together and answered in one round trip (nothing at
 * all if none is set); an error reply fails the connect attempt, naming the command but never its arguments;</li>
 * <li>on release ({@link Builder#resetOnRelease}, on by default): one round trip, {@code UNWATCH} (and
 * {@code SELECT database} again if a database is set, so a caller's {@code SELECT} does not reach the next caller). A
 * connection left inside {@code MULTI} answers {@code +QUEUED} instead of {@code +OK}, one left in subscriber mode an
 * error: either is destroyed ({@link CloseReason#PROTOCOL_RESET_FAILED}) instead of handed to the next caller;</li>
 * <li>health: {@code PING}, expecting {@code +PONG} (a server still {@code LOADING} its data set answers an error, and
 * the connection is not used);</li>
 * <li>goodbye: {@code QUIT}, so the server closes its side first.</li>
 * </ul>
 *
 * <p>The password is kept only in the encoded {@code AUTH} command; {@link #toString()} shows {@code ****} for it, and
 * no message of this class contains it (an error reply that quoted it would be masked too).
 *
 * <p>The release check costs a round trip per lease (on loopback about as much as a {@code GET}): turn it off with
 * {@code resetOnRelease(false)} if your code never leaves a {@code MULTI}, {@code WATCH} or {@code SUBSCRIBE} behind
 * (or invalidates the lease when it might). State the check cannot see stays the caller's business: a caller that
 * changes {@code CLIENT SETNAME} or tracking settings should {@link PooledConnection#invalidate()} its lease.
 */
public final class RedisProtocol implements ProtocolHandler<RedisProtocol.Session> {

    /** The name of this handler in properties ({@code conpool.endpoints.<name>.protocol: redis}). */
    public static final String NAME = "redis";

    /** Whether the release check runs unless {@link Builder#resetOnRelease} says otherwise. */
    public static final boolean DEFAULT_RESET_ON_RELEASE = true;

    private static final byte[] PING = command("PING");

    private static final byte[] QUIT = command("QUIT");

    private static final byte[] UNWATCH = command("UNWATCH");

    /** Longest reply line read (a status or an error); a longer one is not Redis. */
    private static final int MAX_LINE = 16 * 1024;

    private final String username;

    private final boolean hasPassword;

    /** The password's characters, kept only to mask them out of an error reply that might quote them. */
    private final String secret;

    private final Integer database;

    private final String clientName;

    private final boolean resetOnRelease;

    /** Every handshake command, encoded once; the password lives only in here. */
    private final byte[] handshake;

    /** The handshake's commands by name, in order, for messages. */
    private final List<String> handshakeNames;

    /** What release sends: UNWATCH, plus SELECT if a database is set. */
    private final byte[] reset;

    private RedisProtocol(Builder b) {
        this.username = b.username;
        this.hasPassword = b.password != null;
        this.secret = b.password;
        this.database = b.database;
        this.clientName = b.clientName;
        this.resetOnRelease = b.resetOnRelease;
        ByteArrayOutputStream handshake = new ByteArrayOutputStream();
        List<String> names = new ArrayList<>();
        if (b.password != null) {
            handshake.writeBytes(b.username != null ? command("AUTH", b.username, b.password)
                    : command("AUTH", b.password));
            names.add("AUTH");
        }
        byte[] select = b.database != null ? command("SELECT", Integer.toString(b.database)) : new byte[0];
        if (b.database != null) {
            handshake.writeBytes(select);
            names.add("SELECT");
        }
        if (b.clientName != null) {
            handshake.writeBytes(command("CLIENT", "SETNAME", b.clientName));
            names.add("CLIENT SETNAME");
        }
        this.handshake = handshake.toByteArray();
        this.handshakeNames = List.copyOf(names);
        ByteArrayOutputStream reset = new ByteArrayOutputStream();
        reset.writeBytes(UNWATCH);
        reset.writeBytes(select);
        this.reset = reset.toByteArray();
    }

    /** A handler that sends nothing after connect (no password, database or name), with the release check on. */
    public static RedisProtocol create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The ACL user name, or {@code null} for the default user. */
    public String username() {
        return username;
    }

    /** Whether a password is set (the password itself is not readable back). */
    public boolean hasPassword() {
        return hasPassword;
    }

    /** The database selected after connect, or {@code null} if none is (the server's default, 0). */
    public Integer database() {
        return database;
    }

    /** The name set with {@code CLIENT SETNAME}, or {@code null}. */
    public String clientName() {
        return clientName;
    }

    /** Whether each release checks for a left-over transaction or subscription (a round trip). */
    public boolean resetOnRelease() {
        return resetOnRelease;
    }

    @Override
    public Session init(PooledConnection connection) throws IOException {
        if (handshake.length > 0) {
            OutputStream out = connection.out();
            out.write(handshake);
            out.flush();
            InputStream in = connection.in();
            for (String name : handshakeNames) {
                String reply = readLine(in);
                if (!reply.equals("+OK")) {
                    throw new IOException("redis " + name + " failed: " + describe(reply));
                }
            }
        }
        return new Session(database == null ? 0 : database, clientName);
    }

    @Override
    public boolean onRelease(Session session, PooledConnection connection) throws IOException {
        if (!resetOnRelease) {
            return true;
        }
        OutputStream out = connection.out();
        out.write(reset);
        out.flush();
        InputStream in = connection.in();
        // Read every reply before judging: a connection refused for MULTI is closed anyway, but one answered in full
        // is the honest measure of "clean".
        boolean clean = readReply(in).equals("+OK");
        if (database != null) {
            clean &= readReply(in).equals("+OK");
        }
        return clean;
    }

    @Override
    public boolean isHealthy(Session session, PooledConnection connection) throws IOException {
        OutputStream out = connection.out();
        out.write(PING);
        out.flush();
        return readReply(connection.in()).equals("+PONG");
    }

    @Override
    public void onClose(Session session, PooledConnection connection) throws IOException {
        OutputStream out = connection.out();
        out.write(QUIT);
        out.flush();
        readLine(connection.in()); // +OK, after which the server closes first
    }

    /** The settings, the password as {@code ****}. */
    @Override
    public String toString() {
        return "RedisProtocol[username=" + (username == null ? "default" : username) + ", password="
                + (hasPassword ? "****" : "none") + ", database=" + (database == null ? "unset" : database)
                + ", clientName=" + (clientName == null ? "unset" : clientName) + ", resetOnRelease=" + resetOnRelease
                + "]";
    }

    /** An error reply for a message: the code and text, with the password masked should the server quote it. */
    private String describe(String reply) {
        String text = reply.startsWith("-") ? reply.substring(1) : "unexpected reply " + reply;
        if (secret != null && !secret.isEmpty()) {
            text = text.replace(secret, "****");
        }
        return text;
    }

    /**
     * One reply as a line: a status or error as it came, any other type read whole and returned as its type byte
     * (so that it never equals what a caller expects), leaving nothing unread.
     */
    private static String readReply(InputStream in) throws IOException {
        String line = readLine(in);
        switch (line.charAt(0)) {
            case '$': {
                long len = Long.parseLong(line.substring(1));
                if (len > 0) {
                    skip(in, len);
                }
                if (len >= 0) {
                    readLine(in);
                }
                return "$";
            }
            case '*': {
                long n = Long.parseLong(line.substring(1));
                for (long i = 0; i < n; i++) {
                    readReply(in);
                }
                return "*";
            }
            default:
                return line;
        }
    }

    private static void skip(InputStream in, long n) throws IOException {
        long left = n;
        while (left > 0) {
            long skipped = in.skip(left);
            if (skipped <= 0) {
                if (in.read() < 0) {
                    throw new EOFException("end of stream inside a redis reply");
                }
                skipped = 1;
            }
            left -= skipped;
        }
    }

    /** A line up to CRLF, without it; never empty (a reply's first byte is its type). */
    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder(16);
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("end of stream before a complete redis reply");
            }
            if (b == '\r') {
                if (in.read() != '\n') {
                    throw new IOException("malformed redis reply (CR without LF)");
                }
                if (line.length() == 0) {
                    throw new IOException("malformed redis reply (empty line)");
                }
                return line.toString();
            }
            if (line.length() >= MAX_LINE) {
                throw new IOException("redis reply line longer than " + MAX_LINE + " bytes");
            }
            line.append((char) b);
        }
    }

    private static byte[] command(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (String arg : args) {
            byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
            out.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(bytes);
            out.writeBytes(new byte[] { '\r', '\n' });
        }
        return out.toByteArray();
    }

    /**
     * What a connection's handshake set up, for the caller of each lease
     * ({@code lease.protocolState(RedisProtocol.Session.class)}).
     *
     * @param database the database selected after connect (0 when none was)
     * @param clientName the name set with {@code CLIENT SETNAME}, or {@code null}
     */
    public record Session(int database, String clientName) {
    }

    /** Builds a {@link RedisProtocol}; every setting is optional. */
    public static final class Builder {

        private String username;

        private String password;

        private Integer database;

        private String clientName;

        private boolean resetOnRelease = DEFAULT_RESET_ON_RELEASE;

        private Builder() {
        }

        /** ACL user name for {@code AUTH} (Redis 6+); needs a password. {@code null}: the default user. */
        public Builder username(String username) {
            this.username = username;
            return this;
        }

        /** The password for {@code AUTH}; {@code null}: no {@code AUTH}. Never logged, never in a message. */
        public Builder password(String password) {
            this.password = password;
            return this;
        }

        /** The database to {@code SELECT} after connect and again on each release; {@code null}: none. */
        public Builder database(Integer database) {
            if (database != null && database < 0) {
                throw new InvalidConfigException("database", database, "must be 0 or more");
            }
            this.database = database;
            return this;
        }

        /** A name for {@code CLIENT SETNAME} (no spaces or control characters); {@code null}: none. */
        public Builder clientName(String clientName) {
            if (clientName != null && (clientName.isEmpty()
                    || clientName.chars().anyMatch(ch -> ch <= ' ' || ch > '~'))) {
                throw new InvalidConfigException("clientName", "'" + clientName + "'",
                        "must be printable ASCII without spaces (Redis refuses others)");
            }
            this.clientName = clientName;
            return this;
        }

        /** Whether each release checks for a left-over MULTI, WATCH or subscription (default true). */
        public Builder resetOnRelease(boolean resetOnRelease) {
            this.resetOnRelease = resetOnRelease;
            return this;
        }

        /**
         * @throws InvalidConfigException if a user name is set without a password
         */
        public RedisProtocol build() {
            if (username != null && password == null) {
                throw new InvalidConfigException("username", "'" + username + "'",
                        "needs a password (AUTH takes both)");
            }
            return new RedisProtocol(this);
        }
    }
}
