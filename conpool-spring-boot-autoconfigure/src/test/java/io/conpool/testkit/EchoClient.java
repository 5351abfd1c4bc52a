package io.conpool.testkit;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

import io.conpool.PooledConnection;

/**
 * Speaks a line protocol to an {@link EchoServer} over a pooled connection: writes one line, reads one line back
 * through the connection's own buffered input (so nothing is read ahead past the reply).
 */
public final class EchoClient {

    private EchoClient() {
    }

    /** Sends {@code line} (no newline in it) and returns the line that came back, without its newline. */
    public static String roundTrip(PooledConnection c, String line) throws IOException {
        OutputStream out = c.out();
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        return readLine(c.in());
    }

    /** Same as {@link #roundTrip}, with I/O errors unchecked, for lambdas. */
    public static String roundTripUnchecked(PooledConnection c, String line) {
        try {
            return roundTrip(c, line);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** Reads up to and including a newline; end of stream before it is an {@link EOFException}. */
    public static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(64);
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("end of stream after " + line.size() + " bytes of a line");
            }
            if (b == '\n') {
                return line.toString(StandardCharsets.UTF_8);
            }
            line.write(b);
        }
    }
}
