package io.conpool.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

import io.conpool.PooledConnection;

/** Small exchanges over a leased connection, through its own streams (as a protocol would). */
public final class Wire {

    private Wire() {
    }

    /** Sends {@code text}, flushes, and reads back as many bytes (an echo server returns the same text). */
    public static String echo(PooledConnection c, String text) {
        try {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            c.out().write(bytes);
            c.out().flush();
            return new String(c.in().readNBytes(bytes.length), StandardCharsets.UTF_8);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("echo over " + c, ex);
        }
    }

    /** Sends {@code text} and flushes, reading nothing. */
    public static void send(PooledConnection c, String text) {
        try {
            c.out().write(text.getBytes(StandardCharsets.UTF_8));
            c.out().flush();
        }
        catch (IOException ex) {
            throw new UncheckedIOException("sending over " + c, ex);
        }
    }
}
