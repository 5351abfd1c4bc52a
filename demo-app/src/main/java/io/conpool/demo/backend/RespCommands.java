package io.conpool.demo.backend;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The commands the embedded backend understands, executed against one in-memory map shared by every connection:
 * {@code PING [message]}, {@code ECHO message}, {@code GET key}, {@code SET key value}, {@code DEL key [key ...]},
 * {@code UNWATCH} and {@code QUIT}. ({@code UNWATCH} answers {@code +OK}: nothing can be watched here. It is what the
 * pool's redis protocol handler sends when a connection is returned, to find one left inside a transaction.)
 *
 * <p>Everything else, including the handshake commands real clients send first ({@code HELLO}, {@code AUTH},
 * {@code CLIENT}, {@code SELECT}, {@code COMMAND}), gets Redis' own error for an unknown command, so such a client fails
 * at once with a readable message instead of waiting for a reply that never comes.
 */
final class RespCommands {

    private static final byte[] CRLF = {'\r', '\n'};

    /** Keys are kept as ISO-8859-1 strings: one char per byte, so any binary key round-trips. */
    private final Map<String, byte[]> data = new ConcurrentHashMap<>();

    private final int maxKeys;

    /** @param maxKeys most keys held; a SET of a new key beyond that is refused, so memory stays bounded */
    RespCommands(int maxKeys) {
        this.maxKeys = maxKeys;
    }

    /** Number of keys held now. */
    int size() {
        return data.size();
    }

    /**
     * Executes one command and writes its reply (without flushing).
     *
     * @param command the command name followed by its arguments; never empty
     * @return whether the connection stays open ({@code false} after {@code QUIT})
     */
    boolean execute(List<byte[]> command, OutputStream out) throws IOException {
        String name = new String(command.get(0), StandardCharsets.ISO_8859_1).toUpperCase(Locale.ROOT);
        int arity = command.size();
        switch (name) {
            case "PING":
                if (arity == 1) {
                    simple(out, "PONG");
                }
                else if (arity == 2) {
                    bulk(out, command.get(1));
                }
                else {
                    wrongArity(out, name);
                }
                return true;
            case "ECHO":
                if (arity == 2) {
                    bulk(out, command.get(1));
                }
                else {
                    wrongArity(out, name);
                }
                return true;
            case "GET":
                if (arity == 2) {
                    bulk(out, data.get(key(command.get(1))));
                }
                else {
                    wrongArity(out, name);
                }
                return true;
            case "SET":
                set(command, out);
                return true;
            case "DEL":
                if (arity >= 2) {
                    long removed = 0;
                    for (byte[] key : command.subList(1, arity)) {
                        removed += data.remove(key(key)) != null ? 1 : 0;
                    }
                    integer(out, removed);
                }
                else {
                    wrongArity(out, name);
                }
                return true;
            case "UNWATCH":
                if (arity == 1) {
                    simple(out, "OK");
                }
                else {
                    wrongArity(out, name);
                }
                return true;
            case "QUIT":
                simple(out, "OK");
                return false;
            default:
                unknown(out, command);
                return true;
        }
    }

    private void set(List<byte[]> command, OutputStream out) throws IOException {
        if (command.size() < 3) {
            wrongArity(out, "SET");
            return;
        }
        if (command.size() > 3) {
            // Options such as EX, NX or GET are not part of this subset; Redis answers unknown options the same way.
            error(out, "ERR syntax error (the embedded demo backend supports SET key value only)");
            return;
        }
        String key = key(command.get(1));
        // The size check races with other SETs by at most the number of concurrent connections: good enough for a bound.
        if (!data.containsKey(key) && data.size() >= maxKeys) {
            error(out, "OOM command not allowed: the embedded demo backend holds at most " + maxKeys + " keys");
            return;
        }
        data.put(key, command.get(2));
        simple(out, "OK");
    }

    private static String key(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    private static void unknown(OutputStream out, List<byte[]> command) throws IOException {
        StringBuilder message = new StringBuilder("ERR unknown command '")
                .append(shown(command.get(0)))
                .append("', with args beginning with:");
        for (byte[] arg : command.subList(1, Math.min(command.size(), 4))) {
            message.append(" '").append(shown(arg)).append('\'');
        }
        error(out, message.toString());
    }

    private static void wrongArity(OutputStream out, String name) throws IOException {
        error(out, "ERR wrong number of arguments for '" + name.toLowerCase(Locale.ROOT) + "' command");
    }

    /** An argument quoted in an error line: no CR or LF (they would end the line), at most 64 characters. */
    private static String shown(byte[] arg) {
        String s = new String(arg, StandardCharsets.ISO_8859_1).replaceAll("[\\r\\n]", " ");
        return s.length() <= 64 ? s : s.substring(0, 64) + "...";
    }

    private static void simple(OutputStream out, String text) throws IOException {
        out.write('+');
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.write(CRLF);
    }

    private static void error(OutputStream out, String text) throws IOException {
        out.write('-');
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.write(CRLF);
    }

    private static void integer(OutputStream out, long value) throws IOException {
        out.write(':');
        out.write(Long.toString(value).getBytes(StandardCharsets.US_ASCII));
        out.write(CRLF);
    }

    /** A bulk string, or the null bulk string {@code $-1} for {@code null}. */
    private static void bulk(OutputStream out, byte[] value) throws IOException {
        if (value == null) {
            out.write("$-1\r\n".getBytes(StandardCharsets.US_ASCII));
            return;
        }
        out.write('$');
        out.write(Integer.toString(value.length).getBytes(StandardCharsets.US_ASCII));
        out.write(CRLF);
        out.write(value);
        out.write(CRLF);
    }

    /** Writes a protocol error line, as sent before hanging up on a client that spoke garbage. */
    static void protocolError(OutputStream out, String detail) throws IOException {
        error(out, "ERR Protocol error: " + detail.replaceAll("[\\r\\n]", " "));
    }
}
