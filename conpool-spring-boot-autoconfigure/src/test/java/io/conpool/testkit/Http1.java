package io.conpool.testkit;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A minimal HTTP/1.1 client for tests, over any pair of streams (a socket's, or a pooled connection's): writes a
 * {@code GET}, reads one response with its body ({@code Content-Length}, chunked, or up to the end of the stream when
 * the server closes). Enough to talk to {@link NginxProcess} with keep-alive.
 */
public final class Http1 {

    /** A response: status, headers (names lower-cased, in order), body. */
    public record Response(int status, Map<String, List<String>> headers, byte[] body) {

        /** The first value of the header, or {@code null}. */
        public String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        /** The body as UTF-8 text. */
        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** Whether the server keeps the connection open after this response (HTTP/1.1: unless it says close). */
        public boolean keepsAlive() {
            String connection = header("connection");
            return connection == null || !connection.toLowerCase(Locale.ROOT).contains("close");
        }
    }

    private Http1() {
    }

    /** Writes {@code GET path HTTP/1.1} with {@code Host: host} and flushes. */
    public static void writeGet(OutputStream out, String host, String path) throws IOException {
        out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: conpool-testkit\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** Writes a {@code GET} and reads its response. */
    public static Response get(InputStream in, OutputStream out, String host, String path) throws IOException {
        writeGet(out, host, path);
        return read(in);
    }

    /** Reads one response; {@link EOFException} when the server closed the connection before a status line. */
    public static Response read(InputStream in) throws IOException {
        String statusLine = line(in, true);
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP/1.x status line: " + statusLine);
        }
        int status = Integer.parseInt(parts[1]);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (String h = line(in, false); !h.isEmpty(); h = line(in, false)) {
            int colon = h.indexOf(':');
            if (colon <= 0) {
                throw new IOException("bad header line: " + h);
            }
            headers.computeIfAbsent(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                    .add(h.substring(colon + 1).trim());
        }
        Response head = new Response(status, headers, new byte[0]);
        byte[] body;
        String length = head.header("content-length");
        String encoding = head.header("transfer-encoding");
        if (encoding != null && encoding.toLowerCase(Locale.ROOT).contains("chunked")) {
            body = chunked(in);
        }
        else if (length != null) {
            int n = Integer.parseInt(length);
            body = in.readNBytes(n);
            if (body.length < n) {
                throw new EOFException("body cut short: " + body.length + " of " + n + " bytes");
            }
        }
        else if (status == 204 || status == 304 || status / 100 == 1) {
            body = new byte[0];
        }
        else {
            body = in.readAllBytes();
        }
        return new Response(status, headers, body);
    }

    private static byte[] chunked(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String size = line(in, false);
            int semicolon = size.indexOf(';');
            int n = Integer.parseInt((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
            if (n == 0) {
                for (String trailer = line(in, false); !trailer.isEmpty(); trailer = line(in, false)) {
                    // trailers are not kept
                }
                return body.toByteArray();
            }
            byte[] chunk = in.readNBytes(n);
            if (chunk.length < n) {
                throw new EOFException("chunk cut short");
            }
            body.writeBytes(chunk);
            line(in, false);
        }
    }

    private static String line(InputStream in, boolean first) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException(first && buf.size() == 0 ? "connection closed by the server before a response"
                        : "connection closed in the middle of a response");
            }
            if (b == '\n') {
                byte[] bytes = buf.toByteArray();
                int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
            }
            buf.write(b);
        }
    }
}
