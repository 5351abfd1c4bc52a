package io.conpool.testkit;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal PostgreSQL frontend (wire protocol 3.0) for tests, over any pair of streams (a socket's, or a pooled
 * connection's): the startup message and authentication (trust, cleartext password, MD5 password; not SCRAM), the
 * simple query protocol (RowDescription, DataRow, CommandComplete, EmptyQueryResponse, ErrorResponse up to
 * ReadyForQuery; text values) and Terminate. Errors from the server are thrown as {@link ServerError} with their
 * SQLSTATE.
 *
 * <pre>{@code
 * PgWire.Session session = PgWire.startup(in, out, "postgres", "postgres", password);
 * PgWire.Result r = PgWire.query(in, out, "SELECT 1");   // r.rows() = [["1"]], r.commandTag() = "SELECT 1"
 * PgWire.terminate(out);
 * }</pre>
 */
public final class PgWire {

    /** Protocol version 3.0, as sent in the startup message. */
    public static final int PROTOCOL_3_0 = 196608;

    /** How the server asked the client to authenticate. */
    public enum AuthMethod {
        /** AuthenticationOk right away (trust). */
        TRUST,
        /** AuthenticationCleartextPassword. */
        CLEARTEXT_PASSWORD,
        /** AuthenticationMD5Password. */
        MD5_PASSWORD
    }

    /** What the startup left behind: how the client authenticated, the server's parameters, its backend key. */
    public record Session(AuthMethod authMethod, Map<String, String> parameters, int processId, int secretKey) {
    }

    /** The outcome of a simple query: the columns and rows of its (last) result set and its command tag. */
    public record Result(List<String> columns, List<List<String>> rows, String commandTag) {
    }

    /** An ErrorResponse (or a FATAL one the server sent before closing), with its fields by code. */
    public static final class ServerError extends IOException {

        private static final long serialVersionUID = 1L;

        private final Map<Character, String> fields;

        ServerError(Map<Character, String> fields) {
            super(fields.getOrDefault('S', "ERROR") + " " + fields.getOrDefault('C', "?????") + ": "
                    + fields.getOrDefault('M', "(no message)"));
            this.fields = Map.copyOf(fields);
        }

        /** The SQLSTATE, e.g. {@code 28P01} (invalid password) or {@code 57P05} (idle session timeout). */
        public String sqlState() {
            return fields.get('C');
        }

        /** {@code ERROR}, {@code FATAL} or {@code PANIC}. */
        public String severity() {
            return fields.getOrDefault('V', fields.get('S'));
        }

        public Map<Character, String> fields() {
            return fields;
        }
    }

    private PgWire() {
    }

    /**
     * Sends the startup message for {@code user} and {@code database}, answers the authentication request with
     * {@code password} (may be {@code null} under trust), and reads up to ReadyForQuery.
     */
    public static Session startup(InputStream in, OutputStream out, String user, String database, String password)
            throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        writeInt(body, PROTOCOL_3_0);
        cstring(body, "user");
        cstring(body, user);
        cstring(body, "database");
        cstring(body, database);
        cstring(body, "application_name");
        cstring(body, "conpool-testkit");
        body.write(0);
        ByteArrayOutputStream msg = new ByteArrayOutputStream();
        writeInt(msg, body.size() + 4);
        body.writeTo(msg);
        out.write(msg.toByteArray());
        out.flush();

        DataInputStream data = new DataInputStream(in);
        AuthMethod method = null;
        Map<String, String> parameters = new LinkedHashMap<>();
        int pid = 0;
        int key = 0;
        while (true) {
            Message m = readMessage(data);
            switch (m.type) {
                case 'R': {
                    int code = m.body.getInt();
                    if (code == 0) {
                        method = method == null ? AuthMethod.TRUST : method;
                    }
                    else if (code == 3) {
                        method = AuthMethod.CLEARTEXT_PASSWORD;
                        sendPassword(out, requirePassword(password, "cleartext"));
                    }
                    else if (code == 5) {
                        method = AuthMethod.MD5_PASSWORD;
                        byte[] salt = new byte[4];
                        m.body.get(salt);
                        sendPassword(out, md5Password(user, requirePassword(password, "md5"), salt));
                    }
                    else {
                        throw new IOException("authentication method " + code + " is not supported by this test "
                                + "client (10 = SASL/SCRAM: configure md5 or password in pg_hba.conf)");
                    }
                    break;
                }
                case 'S':
                    parameters.put(cstring(m.body), cstring(m.body));
                    break;
                case 'K':
                    pid = m.body.getInt();
                    key = m.body.getInt();
                    break;
                case 'E':
                    throw error(m);
                case 'N':
                    break;
                case 'Z':
                    if (method == null) {
                        throw new IOException("ReadyForQuery before authentication");
                    }
                    return new Session(method, parameters, pid, key);
                default:
                    throw new IOException("unexpected message '" + m.type + "' during startup");
            }
        }
    }

    /**
     * Runs {@code sql} with the simple query protocol and reads up to ReadyForQuery. An error is thrown as
     * {@link ServerError} after ReadyForQuery was read, so the session stays usable.
     */
    public static Result query(InputStream in, OutputStream out, String sql) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        cstring(body, sql);
        send(out, 'Q', body.toByteArray());
        DataInputStream data = new DataInputStream(in);
        List<String> columns = List.of();
        List<List<String>> rows = new ArrayList<>();
        String tag = null;
        ServerError error = null;
        while (true) {
            Message m = readMessage(data);
            switch (m.type) {
                case 'T': {
                    int n = m.body.getShort() & 0xffff;
                    List<String> names = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        names.add(cstring(m.body));
                        m.body.position(m.body.position() + 18); // table oid, column, type oid, size, modifier, format
                    }
                    columns = List.copyOf(names);
                    rows = new ArrayList<>();
                    break;
                }
                case 'D': {
                    int n = m.body.getShort() & 0xffff;
                    List<String> row = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        int len = m.body.getInt();
                        if (len < 0) {
                            row.add(null);
                        }
                        else {
                            byte[] value = new byte[len];
                            m.body.get(value);
                            row.add(new String(value, StandardCharsets.UTF_8));
                        }
                    }
                    rows.add(java.util.Collections.unmodifiableList(row));
                    break;
                }
                case 'C':
                    tag = cstring(m.body);
                    break;
                case 'I':
                    tag = "";
                    break;
                case 'E':
                    error = error(m);
                    break;
                case 'N':
                case 'S':
                    break;
                case 'Z':
                    if (error != null) {
                        throw error;
                    }
                    return new Result(columns, List.copyOf(rows), tag);
                default:
                    throw new IOException("unexpected message '" + m.type + "' in a query's response");
            }
        }
    }

    /**
     * Reads one message and throws it as {@link ServerError} if it is an ErrorResponse (as sent before the server
     * closes an idle session); {@link EOFException} at the end of the stream.
     */
    public static void expectError(InputStream in) throws IOException {
        Message m = readMessage(new DataInputStream(in));
        if (m.type == 'E') {
            throw error(m);
        }
        throw new IOException("expected an ErrorResponse, got '" + m.type + "'");
    }

    /** Sends Terminate: the polite goodbye before closing the socket. */
    public static void terminate(OutputStream out) throws IOException {
        send(out, 'X', new byte[0]);
    }

    /** The MD5 answer: {@code "md5" + md5hex(md5hex(password + user) + salt)}. */
    public static String md5Password(String user, String password, byte[] salt) {
        String inner = md5Hex((password + user).getBytes(StandardCharsets.UTF_8));
        byte[] innerBytes = inner.getBytes(StandardCharsets.US_ASCII);
        byte[] salted = new byte[innerBytes.length + salt.length];
        System.arraycopy(innerBytes, 0, salted, 0, innerBytes.length);
        System.arraycopy(salt, 0, salted, innerBytes.length, salt.length);
        return "md5" + md5Hex(salted);
    }

    /** What PostgreSQL stores for an MD5 password: {@code "md5" + md5hex(password + user)}. */
    public static String md5Stored(String user, String password) {
        return "md5" + md5Hex((password + user).getBytes(StandardCharsets.UTF_8));
    }

    private static String requirePassword(String password, String method) throws IOException {
        if (password == null) {
            throw new IOException("the server asks for a " + method + " password and none was given");
        }
        return password;
    }

    private static void sendPassword(OutputStream out, String password) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        cstring(body, password);
        send(out, 'p', body.toByteArray());
    }

    private static void send(OutputStream out, char type, byte[] body) throws IOException {
        ByteArrayOutputStream msg = new ByteArrayOutputStream(body.length + 5);
        msg.write(type);
        writeInt(msg, body.length + 4);
        msg.writeBytes(body);
        out.write(msg.toByteArray());
        out.flush();
    }

    private static ServerError error(Message m) {
        Map<Character, String> fields = new LinkedHashMap<>();
        while (m.body.hasRemaining()) {
            byte code = m.body.get();
            if (code == 0) {
                break;
            }
            fields.put((char) code, cstring(m.body));
        }
        return new ServerError(fields);
    }

    private record Message(char type, ByteBuffer body) {
    }

    private static Message readMessage(DataInputStream in) throws IOException {
        int type = in.read();
        if (type < 0) {
            throw new EOFException("connection closed by the server");
        }
        int length = in.readInt();
        if (length < 4 || length > 64 * 1024 * 1024) {
            throw new IOException("bad message length " + length + " for type '" + (char) type + "'");
        }
        byte[] body = new byte[length - 4];
        in.readFully(body);
        return new Message((char) type, ByteBuffer.wrap(body));
    }

    private static void writeInt(ByteArrayOutputStream out, int v) {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
    }

    private static void cstring(ByteArrayOutputStream out, String s) {
        out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        out.write(0);
    }

    private static String cstring(ByteBuffer buf) {
        int start = buf.position();
        int end = start;
        while (buf.get(end) != 0) {
            end++;
        }
        String s = new String(buf.array(), buf.arrayOffset() + start, end - start, StandardCharsets.UTF_8);
        buf.position(end + 1);
        return s;
    }

    private static String md5Hex(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
        }
        catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
