package io.conpool.testkit;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback server speaking the subset of Redis RESP that the tests need: {@code PING [msg]}, {@code ECHO msg},
 * {@code GET key}, {@code SET key value}, as RESP arrays or inline commands. Keys live in memory, shared by all
 * connections. {@link #answering(boolean) answering(false)} makes it read commands and answer nothing, to drive a
 * health check into its timeout.
 */
public final class RespServer extends LoopbackServer {

    private final Map<String, byte[]> data = new ConcurrentHashMap<>();

    private final AtomicInteger commands = new AtomicInteger();

    private final AtomicInteger pings = new AtomicInteger();

    private volatile boolean answering = true;

    private RespServer(String bindAddress) {
        super("resp", bindAddress);
    }

    /** A RESP server on 127.0.0.1, port chosen by the kernel. */
    public static RespServer start() {
        return start("127.0.0.1");
    }

    public static RespServer start(String bindAddress) {
        RespServer server = new RespServer(bindAddress);
        server.startAccepting();
        return server;
    }

    /** Whether commands get replies; when off they are still read and counted. */
    public RespServer answering(boolean answer) {
        this.answering = answer;
        return this;
    }

    /** Commands received, all connections together. */
    public int commands() {
        return commands.get();
    }

    /** PING commands received (health checks show up here). */
    public int pings() {
        return pings.get();
    }

    @Override
    protected void serve(ServerConnection connection) throws IOException {
        InputStream in = connection.in();
        OutputStream out = connection.out();
        while (true) {
            List<byte[]> command = readCommand(in);
            if (command == null) {
                return;
            }
            if (command.isEmpty()) {
                continue;
            }
            commands.incrementAndGet();
            byte[] reply = execute(command);
            if (answering) {
                synchronized (out) {
                    out.write(reply);
                    out.flush();
                }
            }
        }
    }

    private byte[] execute(List<byte[]> command) {
        String name = new String(command.get(0), StandardCharsets.US_ASCII).toUpperCase(Locale.ROOT);
        switch (name) {
            case "PING":
                pings.incrementAndGet();
                if (command.size() == 1) {
                    return simple("PONG");
                }
                return command.size() == 2 ? bulk(command.get(1)) : wrongArgs(name);
            case "ECHO":
                return command.size() == 2 ? bulk(command.get(1)) : wrongArgs(name);
            case "GET":
                return command.size() == 2 ? bulk(data.get(key(command.get(1)))) : wrongArgs(name);
            case "SET":
                if (command.size() != 3) {
                    return wrongArgs(name);
                }
                data.put(key(command.get(1)), command.get(2));
                return simple("OK");
            default:
                return ascii("-ERR unknown command '" + name + "'\r\n");
        }
    }

    /** One command: a RESP array of bulk strings, or an inline line. {@code null} at end of stream. */
    private static List<byte[]> readCommand(InputStream in) throws IOException {
        int first = in.read();
        if (first < 0) {
            return null;
        }
        if (first == '*') {
            int count = Integer.parseInt(readLine(in));
            List<byte[]> args = new ArrayList<>(Math.max(0, count));
            for (int i = 0; i < count; i++) {
                if (in.read() != '$') {
                    throw new IOException("protocol error: expected a bulk string");
                }
                int len = Integer.parseInt(readLine(in));
                byte[] arg = in.readNBytes(len);
                if (arg.length != len || in.read() != '\r' || in.read() != '\n') {
                    throw new EOFException("truncated bulk string");
                }
                args.add(arg);
            }
            return args;
        }
        String line = (char) first + readLine(in);
        List<byte[]> args = new ArrayList<>();
        for (String part : line.trim().split("\\s+")) {
            if (!part.isEmpty()) {
                args.add(part.getBytes(StandardCharsets.UTF_8));
            }
        }
        return args;
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, len, StandardCharsets.UTF_8);
            }
            line.write(b);
        }
        throw new EOFException("end of stream inside a line");
    }

    private static String key(byte[] k) {
        return new String(k, StandardCharsets.UTF_8);
    }

    private static byte[] simple(String s) {
        return ascii("+" + s + "\r\n");
    }

    private static byte[] wrongArgs(String name) {
        return ascii("-ERR wrong number of arguments for '" + name.toLowerCase(Locale.ROOT) + "' command\r\n");
    }

    private static byte[] bulk(byte[] value) {
        if (value == null) {
            return ascii("$-1\r\n");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(value.length + 16);
        out.writeBytes(ascii("$" + value.length + "\r\n"));
        out.writeBytes(value);
        out.writeBytes(ascii("\r\n"));
        return out.toByteArray();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
