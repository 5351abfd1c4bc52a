package io.conpool.benchmarks;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.io.ModalCloseable;

/**
 * The hand-rolled pooled object: a connected socket (TCP_NODELAY; TLS 1.3 with host name verification, like
 * conpool) and its unbuffered streams. What the peers' pools and the no-pool baselines hold.
 */
final class BenchSocket implements ModalCloseable {

    final Socket socket;

    private final InputStream in;

    private final OutputStream out;

    private BenchSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    static BenchSocket connect(Target target, SSLContext tls) throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(target.address, 10_000);
            if (target.tls) {
                SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(s, target.host(),
                        target.address.getPort(), true);
                SSLParameters params = ssl.getSSLParameters();
                params.setProtocols(new String[] {"TLSv1.3"});
                params.setEndpointIdentificationAlgorithm("HTTPS");
                ssl.setSSLParameters(params);
                ssl.startHandshake();
                return new BenchSocket(ssl);
            }
            return new BenchSocket(s);
        }
        catch (IOException | RuntimeException ex) {
            s.close();
            throw ex;
        }
    }

    /** Writes the request, reads the whole reply. */
    void exchange(byte[] request, byte[] reply) throws IOException {
        out.write(request);
        readFully(in, reply);
    }

    static void readFully(InputStream in, byte[] reply) throws IOException {
        int n = in.readNBytes(reply, 0, reply.length);
        if (n < reply.length) {
            throw new EOFException("server closed after " + n + " bytes");
        }
    }

    @Override
    public void close(CloseMode mode) {
        close();
    }

    @Override
    public void close() {
        try {
            socket.close();
        }
        catch (IOException ignored) {
            // closing
        }
    }
}
