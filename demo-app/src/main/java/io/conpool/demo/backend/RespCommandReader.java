package io.conpool.demo.backend;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads one client command, as Redis does: a RESP2 array of bulk strings ({@code *2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n}) or
 * an inline command ({@code PING\r\n}, words separated by spaces). Every size is bounded, so a client sending garbage
 * gets a protocol error instead of making the server allocate whatever it asks for.
 */
final class RespCommandReader {

    /** Longest header or inline line, CRLF excluded. */
    static final int MAX_LINE = 64 * 1024;

    /** Most elements in one command array. */
    static final int MAX_ARGUMENTS = 1024;

    private final int maxBulkLength;

    /** @param maxBulkLength the longest bulk string (key or value) accepted, in bytes */
    RespCommandReader(int maxBulkLength) {
        this.maxBulkLength = maxBulkLength;
    }

    /**
     * Reads the next command.
     *
     * @return its arguments (the command name first); an empty list for a blank inline line; {@code null} when the
     *         client closed the connection between commands
     * @throws RespProtocolException the bytes are not a command, or a size is out of bounds
     * @throws EOFException the client closed the connection in the middle of a command
     */
    List<byte[]> read(InputStream in) throws IOException {
        int first = in.read();
        if (first == -1) {
            return null;
        }
        if (first == '*') {
            return readArray(in);
        }
        return readInline(first, in);
    }

    private List<byte[]> readArray(InputStream in) throws IOException {
        long count = parseLength(readLine(in), "multibulk length");
        if (count <= 0) {
            // "*0" and the null array "*-1" carry no command; Redis skips them too.
            return List.of();
        }
        if (count > MAX_ARGUMENTS) {
            throw new RespProtocolException("invalid multibulk length " + count + " (at most " + MAX_ARGUMENTS + ")");
        }
        List<byte[]> arguments = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            int marker = in.read();
            if (marker == -1) {
                throw new EOFException("connection closed in the middle of a command");
            }
            if (marker != '$') {
                throw new RespProtocolException("expected '$', got '" + printable(marker) + "'");
            }
            long length = parseLength(readLine(in), "bulk length");
            if (length < 0 || length > maxBulkLength) {
                throw new RespProtocolException("invalid bulk length " + length + " (at most " + maxBulkLength + ")");
            }
            byte[] value = in.readNBytes((int) length);
            if (value.length < length) {
                throw new EOFException("connection closed in the middle of a bulk string");
            }
            if (in.read() != '\r' || in.read() != '\n') {
                throw new RespProtocolException("bulk string of " + length + " bytes not followed by CRLF");
            }
            arguments.add(value);
        }
        return arguments;
    }

    private List<byte[]> readInline(int first, InputStream in) throws IOException {
        String line = first == '\n' ? "" : (char) first + readLine(in);
        List<byte[]> words = new ArrayList<>();
        for (String word : line.trim().split("[ \t]+")) {
            if (!word.isEmpty()) {
                if (words.size() == MAX_ARGUMENTS) {
                    throw new RespProtocolException("inline command with more than " + MAX_ARGUMENTS + " words");
                }
                words.add(word.getBytes(StandardCharsets.ISO_8859_1));
            }
        }
        return words;
    }

    /** Reads up to LF; drops the CR before it. Bytes are kept as ISO-8859-1 characters, one char per byte. */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(32);
        while (true) {
            int b = in.read();
            if (b == -1) {
                throw new EOFException("connection closed in the middle of a line");
            }
            if (b == '\n') {
                break;
            }
            if (line.size() == MAX_LINE) {
                throw new RespProtocolException("line longer than " + MAX_LINE + " bytes");
            }
            line.write(b);
        }
        String s = line.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    private static long parseLength(String text, String what) throws RespProtocolException {
        try {
            return Long.parseLong(text);
        }
        catch (NumberFormatException ex) {
            throw new RespProtocolException("invalid " + what + " '" + truncate(text) + "'");
        }
    }

    private static String printable(int b) {
        return b >= 0x20 && b < 0x7f ? String.valueOf((char) b) : String.format("\\x%02x", b);
    }

    private static String truncate(String text) {
        String oneLine = text.replaceAll("[\\r\\n]", " ");
        return oneLine.length() <= 32 ? oneLine : oneLine.substring(0, 32) + "...";
    }
}
