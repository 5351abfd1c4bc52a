package io.conpool.internal;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * The connection's buffered input. It outlives leases (a parser's read-ahead stays with the connection), reports
 * how many bytes sit unread in its buffer (a connection returned with unread bytes is dirty), marks the connection
 * broken on any I/O error and as having been read from on any data (the retry-once rule), and never closes the socket.
 */
final class ConnectionInput extends BufferedInputStream {

    private final Connection connection;

    ConnectionInput(InputStream in, Connection connection) {
        super(in, 8192);
        this.connection = connection;
    }

    /** Bytes read from the socket into the buffer but not yet by the caller. */
    int buffered() {
        return count - pos;
    }

    @Override
    public int read() throws IOException {
        try {
            int b = super.read();
            if (b >= 0) {
                connection.readSome = true;
            }
            return b;
        }
        catch (IOException ex) {
            connection.markBroken();
            throw ex;
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        try {
            int n = super.read(b, off, len);
            if (n > 0) {
                connection.readSome = true;
            }
            return n;
        }
        catch (IOException ex) {
            connection.markBroken();
            throw ex;
        }
    }

    @Override
    public long skip(long n) throws IOException {
        try {
            long skipped = super.skip(n);
            if (skipped > 0) {
                connection.readSome = true;
            }
            return skipped;
        }
        catch (IOException ex) {
            connection.markBroken();
            throw ex;
        }
    }

    /** Does not close the socket: the pool owns it. */
    @Override
    public void close() {
    }
}
