package io.conpool.testkit;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal Redis RESP2 client for tests, over any pair of streams (a socket's, or a pooled connection's): writes
 * a command as an array of bulk strings, reads one reply. Replies come back as {@code String} (simple and bulk
 * strings), {@code Long} (integers), {@code null} (null bulk string or array), {@code List<Object>} (arrays) or
 * {@link Error} (error replies, returned rather than thrown, so a test can assert on them).
 *
 * <p>Reads byte by byte from the stream it is given: give it a buffered stream (or the connection's own) when
 * speed matters.
 */
public final class RespWire {

    /** An error reply, such as {@code NOAUTH Authentication required.} */
    public record Error(String message) {

        /** The error's first word: {@code NOAUTH}, {@code WRONGPASS}, {@code ERR}... */
        public String code() {
            int space = message.indexOf(' ');
            return space < 0 ? message : message.substring(0, space);
        }
    }

    private RespWire() {
    }

    /** Writes one command and flushes. */
    public static void write(OutputStream out, String... args) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        buf.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (String a : args) {
            byte[] bytes = a.getBytes(StandardCharsets.UTF_8);
            buf.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            buf.writeBytes(bytes);
            buf.writeBytes(new byte[] { '\r', '\n' });
        }
        out.write(buf.toByteArray());
        out.flush();
    }

    /** Writes one command and reads its reply. */
    public static Object call(InputStream in, OutputStream out, String... args) throws IOException {
        write(out, args);
        return read(in);
    }

    /** Reads one reply; {@link EOFException} when the server closed the connection first. */
    public static Object read(InputStream in) throws IOException {
        int type = in.read();
        if (type < 0) {
            throw new EOFException("connection closed by the server before a reply");
        }
        String line = line(in);
        switch (type) {
            case '+':
                return line;
            case '-':
                return new Error(line);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int n = Integer.parseInt(line);
                if (n < 0) {
                    return null;
                }
                byte[] data = in.readNBytes(n);
                if (data.length < n || in.read() != '\r' || in.read() != '\n') {
                    throw new EOFException("bulk string cut short");
                }
                return new String(data, StandardCharsets.UTF_8);
            }
            case '*': {
                int n = Integer.parseInt(line);
                if (n < 0) {
                    return null;
                }
                List<Object> items = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    items.add(read(in));
                }
                return items;
            }
            default:
                throw new IOException("not a RESP reply: type byte " + type + " then '" + line + "'");
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int prev = -1;
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed in the middle of a reply");
            }
            if (prev == '\r' && b == '\n') {
                byte[] bytes = buf.toByteArray();
                return new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8);
            }
            buf.write(b);
            prev = b;
        }
    }
}
