package io.conpool.testkit;

import java.io.IOException;

/**
 * A loopback TCP server that echoes every byte it receives. Counts accepted connections and keeps each one as a
 * {@link ServerConnection} (bytes received, close with FIN, reset with RST, send unsolicited bytes).
 *
 * <pre>{@code
 * try (EchoServer server = EchoServer.start()) {
 *     Endpoint endpoint = server.endpoint();
 *     ...
 * }
 * }</pre>
 */
public final class EchoServer extends LoopbackServer {

    private volatile boolean echoing = true;

    private volatile boolean reading = true;

    private EchoServer(String bindAddress) {
        super("echo", bindAddress);
    }

    /** An echo server on 127.0.0.1, port chosen by the kernel. */
    public static EchoServer start() {
        return start("127.0.0.1");
    }

    /** An echo server on the given loopback address (e.g. {@code 127.0.0.2} or {@code ::1}). */
    public static EchoServer start(String bindAddress) {
        EchoServer server = new EchoServer(bindAddress);
        server.startAccepting();
        return server;
    }

    /** Whether received bytes are echoed (they are always read and counted). */
    public EchoServer echoing(boolean echo) {
        this.echoing = echo;
        return this;
    }

    /**
     * Whether connections accepted from now on are read at all. When off, the server holds them open and reads
     * nothing, so what a client writes piles up in the socket buffers until its writes block.
     */
    public EchoServer reading(boolean read) {
        this.reading = read;
        return this;
    }

    @Override
    protected void serve(ServerConnection connection) throws IOException {
        if (!reading) {
            connection.holdWithoutReading(this::isServerClosed);
            return;
        }
        connection.echoUntilClosed(() -> echoing);
    }
}
