package io.conpool.internal;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The connection's buffered output. Reports unflushed bytes (a connection returned with some is dirty: the next
 * caller would send them), marks the connection broken on any I/O error, and never closes the socket.
 */
final class ConnectionOutput extends BufferedOutputStream {

    private final Connection connection;

    ConnectionOutput(OutputStream out, Connection connection) {
        super(out, 8192);
        this.connection = connection;
    }

    /** Bytes written by the caller but not yet to the socket. */
    int buffered() {
        return count;
    }

    @Override
    public void write(int b) throws IOException {
        try {
            super.write(b);
        }
        catch (IOException ex) {
            connection.markBroken();
            throw ex;
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        try {
            super.write(b, off, len);
        }
        catch (IOException ex) {
            connection.markBroken();
            throw ex;
        }
    }

    @Override
    public void flush() throws IOException {
        try {
            super.flush();
        }
        catch (IOException ex) {
            connection.markBroken();
            throw ex;
        }
    }

    /** Flushes; does not close the socket: the pool owns it. */
    @Override
    public void close() throws IOException {
        flush();
    }
}
