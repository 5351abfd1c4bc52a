package io.conpool.demo.resp;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The little of RESP2 a client needs: encode a command as an array of bulk strings, and read exactly one reply.
 *
 * <p>It reads through the stream it is given and never ahead of the reply, so over a {@link io.conpool.PooledConnection}
 * ({@code c.out()}, {@code c.in()}) nothing is left unread and the connection goes back to the pool clean. Every size
 * is bounded: a server sending nonsense gets a {@link MalformedReplyException}, not an allocation of its choosing.
 */
public final class RespClient {

    /** Longest bulk string read, in bytes. */
    public static final int MAX_BULK_LENGTH = 1024 * 1024;

    /** Most elements in one array reply. */
    public static final int MAX_ARRAY_LENGTH = 10_000;

    /** Deepest nesting of arrays. */
    public static final int MAX_DEPTH = 8;

    private static final int MAX_LINE = 64 * 1024;

    private RespClient() {
    }

    /** The command as RESP: {@code *<n>\r\n} then each argument as {@code $<len>\r\n<UTF-8 bytes>\r\n}. */
    public static byte[] encode(String... arguments) {
        if (arguments.length == 0) {
            throw new IllegalArgumentException("a command needs at least its name");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 + 16 * arguments.length);
        ascii(out, "*" + arguments.length + "\r\n");
        for (String argument : arguments) {
            byte[] bytes = argument.getBytes(StandardCharsets.UTF_8);
            ascii(out, "$" + bytes.length + "\r\n");
            out.writeBytes(bytes);
            ascii(out, "\r\n");
        }
        return out.toByteArray();
    }

    /** Writes the command and flushes. */
    public static void send(OutputStream out, String... arguments) throws IOException {
        out.write(encode(arguments));
        out.flush();
    }

    /**
     * Reads one complete reply.
     *
     * @throws MalformedReplyException the bytes are not a reply, or one is out of bounds
     * @throws EOFException the server closed the connection before the reply was complete
     */
    public static RespReply read(InputStream in) throws IOException {
        return read(in, 0);
    }

    private static RespReply read(InputStream in, int depth) throws IOException {
        int type = in.read();
        if (type == -1) {
            throw new EOFException("connection closed before a reply");
        }
        switch (type) {
            case '+':
                return new RespReply.Simple(readLine(in));
            case '-':
                return new RespReply.Failure(readLine(in));
            case ':':
                return new RespReply.Number(parseLong(readLine(in), "integer"));
            case '$':
                return readBulk(in);
            case '*':
                return readArray(in, depth);
            default:
                throw new MalformedReplyException("unexpected reply type byte 0x" + Integer.toHexString(type));
        }
    }

    private static RespReply readBulk(InputStream in) throws IOException {
        long length = parseLong(readLine(in), "bulk length");
        if (length == -1) {
            return new RespReply.Bulk(null);
        }
        if (length < 0 || length > MAX_BULK_LENGTH) {
            throw new MalformedReplyException("bulk length " + length + " outside 0-" + MAX_BULK_LENGTH);
        }
        byte[] value = in.readNBytes((int) length);
        if (value.length < length) {
            throw new EOFException("connection closed inside a bulk string");
        }
        int cr = in.read();
        int lf = in.read();
        if (cr != '\r' || lf != '\n') {
            throw new MalformedReplyException("bulk string of " + length + " bytes not followed by CRLF");
        }
        return new RespReply.Bulk(value);
    }

    private static RespReply readArray(InputStream in, int depth) throws IOException {
        long count = parseLong(readLine(in), "array length");
        if (count == -1) {
            return new RespReply.Array(null);
        }
        if (count < 0 || count > MAX_ARRAY_LENGTH) {
            throw new MalformedReplyException("array length " + count + " outside 0-" + MAX_ARRAY_LENGTH);
        }
        if (depth == MAX_DEPTH) {
            throw new MalformedReplyException("arrays nested deeper than " + MAX_DEPTH);
        }
        List<RespReply> elements = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            elements.add(read(in, depth + 1));
        }
        return new RespReply.Array(List.copyOf(elements));
    }

    /** A line up to CRLF (a bare LF is not a line end in RESP). Text is UTF-8. */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(32);
        while (true) {
            int b = in.read();
            if (b == -1) {
                throw new EOFException("connection closed inside a reply line");
            }
            if (b == '\r') {
                int next = in.read();
                if (next == '\n') {
                    return line.toString(StandardCharsets.UTF_8);
                }
                throw new MalformedReplyException("CR not followed by LF in a reply line");
            }
            if (line.size() == MAX_LINE) {
                throw new MalformedReplyException("reply line longer than " + MAX_LINE + " bytes");
            }
            line.write(b);
        }
    }

    private static long parseLong(String text, String what) throws MalformedReplyException {
        try {
            return Long.parseLong(text);
        }
        catch (NumberFormatException ex) {
            String shown = text.length() <= 32 ? text : text.substring(0, 32) + "...";
            throw new MalformedReplyException("bad " + what + " '" + shown + "'");
        }
    }

    private static void ascii(ByteArrayOutputStream out, String text) {
        out.writeBytes(text.getBytes(StandardCharsets.US_ASCII));
    }
}
