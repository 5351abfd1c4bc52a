package io.conpool.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback server for a line protocol (a request is a line, the answer is the same line) whose behaviour per
 * request is scripted: answer it, or close or reset the connection the moment the request's first byte arrives (what
 * a server's idle timer firing just as the client writes looks like to the client: its write went out, its read meets
 * the end of the stream or a reset), or answer half of it and then close (the client has read bytes before the
 * failure).
 *
 * <pre>{@code
 * // the second request on the first connection is met with a close; every other request is answered
 * LineServer server = LineServer.start((connection, request) -> connection == 0 && request == 2
 *         ? LineServer.Action.CLOSE : LineServer.Action.ANSWER);
 * }</pre>
 */
public final class LineServer extends LoopbackServer {

    /** What the server does with one request. */
    public enum Action {
        /** Answer with the request line. */
        ANSWER,
        /** Close (FIN) as soon as the request's first byte arrived, answering nothing. */
        CLOSE,
        /** Reset (RST) as soon as the request's first byte arrived. */
        RESET,
        /** Read the request, send the first half of the answer (without its newline), then close. */
        ANSWER_HALF_THEN_CLOSE
    }

    /** Decides the action for a request. */
    @FunctionalInterface
    public interface Script {

        /**
         * @param connection the connection's index in order of acceptance, from 0
         * @param request the request's number on that connection, from 1
         */
        Action on(int connection, int request);
    }

    private final Script script;

    private final AtomicInteger requests = new AtomicInteger();

    private LineServer(Script script) {
        super("line", "127.0.0.1");
        this.script = script;
    }

    /** A server on 127.0.0.1 following the script. */
    public static LineServer start(Script script) {
        LineServer server = new LineServer(script);
        server.startAccepting();
        return server;
    }

    /** Requests whose first byte arrived, all connections together. */
    public int requests() {
        return requests.get();
    }

    @Override
    protected void serve(ServerConnection connection) throws IOException {
        InputStream in = connection.in();
        OutputStream out = connection.out();
        int request = 0;
        while (true) {
            int first = in.read();
            if (first < 0) {
                return;
            }
            requests.incrementAndGet();
            Action action = script.on(connection.index(), ++request);
            if (action == Action.CLOSE) {
                connection.close();
                return;
            }
            if (action == Action.RESET) {
                connection.reset();
                return;
            }
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            line.write(first);
            int b = first;
            while (b != '\n') {
                b = in.read();
                if (b < 0) {
                    return;
                }
                line.write(b);
            }
            byte[] answer = line.toByteArray();
            if (action == Action.ANSWER_HALF_THEN_CLOSE) {
                out.write(answer, 0, Math.max(1, answer.length / 2));
                out.flush();
                connection.close();
                return;
            }
            out.write(answer);
            out.flush();
        }
    }

    @Override
    public String toString() {
        return "LineServer[" + host() + ":" + port() + ", " + requests() + " requests]";
    }
}
