package io.conpool.demo.backend;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.conpool.demo.Leaks;
import io.conpool.demo.resp.RespClient;
import io.conpool.demo.resp.RespReply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The embedded backend over real loopback sockets: the command subset, the clean errors real clients' handshakes
 * get, pipelining, protocol errors, the client limit, many clients at once, and a close that leaves nothing behind.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EmbeddedRespServerTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private final List<Socket> sockets = new ArrayList<>();

    private EmbeddedRespServer server;

    private int baselineFds;

    /**
     * One full round before any baseline is taken: the first use of sockets, awaitility and lazily loaded classes opens
     * file descriptors (jar files, for one) that stay open for the life of the JVM and are no leak.
     */
    @BeforeAll
    static void warmUp() throws IOException {
        EmbeddedRespServer warm = started(4, 4);
        try (Socket socket = new Socket(LOOPBACK, warm.port())) {
            RespClient.send(socket.getOutputStream(), "SET", "k", "v");
            RespClient.read(new BufferedInputStream(socket.getInputStream()));
        }
        warm.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> Leaks.threadsNamed("resp-backend-" + warm.port()).isEmpty());
    }

    @BeforeEach
    void start() throws IOException {
        baselineFds = Leaks.openFileDescriptors();
        server = started(256, 10_000);
    }

    @AfterEach
    void stopAndCheckLeaks() throws IOException {
        for (Socket socket : sockets) {
            socket.close();
        }
        int port = server.port();
        server.close();
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(Leaks.threadsNamed("resp-backend-" + port + "-")).isEmpty());
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(Leaks.openFileDescriptors()).isLessThanOrEqualTo(baselineFds));
    }

    @Test
    void answersTheCommandSubsetSentAsArrays() throws IOException {
        Client c = connect();
        assertThat(c.call("PING")).isEqualTo(new RespReply.Simple("PONG"));
        assertThat(c.call("PING", "hello").toString()).isEqualTo("Bulk[hello]");
        assertThat(c.call("ECHO", "héllo wörld").toString()).isEqualTo("Bulk[héllo wörld]");
        assertThat(c.call("SET", "k1", "v1")).isEqualTo(new RespReply.Simple("OK"));
        assertThat(c.call("GET", "k1").toString()).isEqualTo("Bulk[v1]");
        assertThat(c.call("GET", "missing").toString()).isEqualTo("Bulk[null]");
        assertThat(c.call("DEL", "k1", "missing")).isEqualTo(new RespReply.Number(1));
        assertThat(c.call("GET", "k1").toString()).isEqualTo("Bulk[null]");
        assertThat(server.keys()).isZero();
    }

    @Test
    void commandNamesAreCaseInsensitiveAndValuesBinarySafe() throws IOException {
        Client c = connect();
        String value = "line one\r\nline two\r\n*3\r\n";
        assertThat(c.call("set", "multi", value)).isEqualTo(new RespReply.Simple("OK"));
        assertThat(((RespReply.Bulk) c.call("gEt", "multi")).text()).isEqualTo(value);
    }

    @Test
    void answersInlineCommands() throws IOException {
        Client c = connect();
        c.raw("PING\r\n");
        assertThat(c.read()).isEqualTo(new RespReply.Simple("PONG"));
        c.raw("SET  inline   value\r\n\r\nGET inline\n");
        assertThat(c.read()).isEqualTo(new RespReply.Simple("OK"));
        assertThat(c.read().toString()).isEqualTo("Bulk[value]");
    }

    @Test
    void handshakeCommandsOfRealClientsGetUnknownCommandErrorsAndTheConnectionStaysUsable() throws IOException {
        Client c = connect();
        assertThat(c.call("HELLO", "3")).isEqualTo(
                new RespReply.Failure("ERR unknown command 'HELLO', with args beginning with: '3'"));
        assertThat(c.call("AUTH", "default", "secret")).isEqualTo(
                new RespReply.Failure("ERR unknown command 'AUTH', with args beginning with: 'default' 'secret'"));
        assertThat(c.call("CLIENT", "SETINFO", "lib-name", "lettuce")).isEqualTo(new RespReply.Failure(
                "ERR unknown command 'CLIENT', with args beginning with: 'SETINFO' 'lib-name' 'lettuce'"));
        assertThat(c.call("SELECT", "0")).isEqualTo(
                new RespReply.Failure("ERR unknown command 'SELECT', with args beginning with: '0'"));
        assertThat(c.call("COMMAND")).isEqualTo(
                new RespReply.Failure("ERR unknown command 'COMMAND', with args beginning with:"));
        assertThat(c.call("PING")).isEqualTo(new RespReply.Simple("PONG"));
    }

    @Test
    void wrongArityAndUnsupportedOptionsAreErrorsNotCrashes() throws IOException {
        Client c = connect();
        assertThat(c.call("GET")).isEqualTo(new RespReply.Failure("ERR wrong number of arguments for 'get' command"));
        assertThat(c.call("PING", "a", "b"))
                .isEqualTo(new RespReply.Failure("ERR wrong number of arguments for 'ping' command"));
        assertThat(c.call("DEL")).isEqualTo(new RespReply.Failure("ERR wrong number of arguments for 'del' command"));
        assertThat(c.call("SET", "k", "v", "EX", "10")).isInstanceOf(RespReply.Failure.class);
        assertThat(c.call("GET", "k").toString()).isEqualTo("Bulk[null]");
        assertThat(c.call("ECHO", "still here").toString()).isEqualTo("Bulk[still here]");
    }

    @Test
    void errorLinesNeverCarryTheClientsLineBreaks() throws IOException {
        Client c = connect();
        RespReply reply = c.call("NOPE\r\n+OK", "x\ny");
        assertThat(reply).isEqualTo(
                new RespReply.Failure("ERR unknown command 'NOPE  +OK', with args beginning with: 'x y'"));
        assertThat(c.call("PING")).isEqualTo(new RespReply.Simple("PONG"));
    }

    @Test
    void pipelinedCommandsGetTheirRepliesInOrder() throws IOException {
        Client c = connect();
        byte[] batch = concat(RespClient.encode("SET", "p", "1"), RespClient.encode("GET", "p"),
                RespClient.encode("PING"), "ECHO inline\r\n".getBytes(StandardCharsets.US_ASCII));
        c.out.write(batch);
        c.out.flush();
        assertThat(c.read()).isEqualTo(new RespReply.Simple("OK"));
        assertThat(c.read().toString()).isEqualTo("Bulk[1]");
        assertThat(c.read()).isEqualTo(new RespReply.Simple("PONG"));
        assertThat(c.read().toString()).isEqualTo("Bulk[inline]");
    }

    @Test
    void garbageGetsAProtocolErrorAndTheConnectionIsClosed() throws IOException {
        Client c = connect();
        c.raw("*1\r\n#oops\r\n");
        assertThat(c.read()).isEqualTo(new RespReply.Failure("ERR Protocol error: expected '$', got '#'"));
        assertThat(c.in.read()).isEqualTo(-1);
    }

    @Test
    void oversizedBulkStringIsRefusedBeforeItIsRead() throws IOException {
        Client c = connect();
        c.raw("*2\r\n$3\r\nGET\r\n$999999999\r\n");
        assertThat(c.read()).isEqualTo(new RespReply.Failure(
                "ERR Protocol error: invalid bulk length 999999999 (at most " + (16 * 1024) + ")"));
        assertThat(c.in.read()).isEqualTo(-1);
    }

    @Test
    void unwatchSaysOkSinceNothingIsWatched() throws IOException {
        Client c = connect();
        assertThat(c.call("UNWATCH")).isEqualTo(new RespReply.Simple("OK"));
        assertThat(c.call("PING")).isEqualTo(new RespReply.Simple("PONG"));
    }

    @Test
    void quitSaysOkAndHangsUp() throws IOException {
        Client c = connect();
        assertThat(c.call("QUIT")).isEqualTo(new RespReply.Simple("OK"));
        assertThat(c.in.read()).isEqualTo(-1);
        await().atMost(Duration.ofSeconds(5)).until(() -> server.connectedClients() == 0);
    }

    @Test
    void keyCountIsBounded() throws IOException {
        server.close();
        server = started(8, 2);
        Client c = connect();
        assertThat(c.call("SET", "a", "1")).isEqualTo(new RespReply.Simple("OK"));
        assertThat(c.call("SET", "b", "2")).isEqualTo(new RespReply.Simple("OK"));
        RespReply refused = c.call("SET", "c", "3");
        assertThat(refused).isInstanceOf(RespReply.Failure.class);
        assertThat(((RespReply.Failure) refused).message()).startsWith("OOM").contains("at most 2 keys");
        assertThat(c.call("SET", "a", "overwritten")).isEqualTo(new RespReply.Simple("OK"));
        assertThat(server.keys()).isEqualTo(2);
    }

    @Test
    void clientsBeyondTheLimitAreToldAndDisconnectedAndTheSlotComesBack() throws IOException {
        server.close();
        server = started(2, 100);
        Client first = connect();
        Client second = connect();
        assertThat(first.call("PING")).isEqualTo(new RespReply.Simple("PONG"));
        assertThat(second.call("PING")).isEqualTo(new RespReply.Simple("PONG"));

        Client third = connect();
        assertThat(third.read()).isEqualTo(new RespReply.Failure("ERR max number of clients reached"));
        assertThat(third.in.read()).isEqualTo(-1);
        assertThat(server.refusedClients()).isEqualTo(1);
        assertThat(server.clientThreads()).isLessThanOrEqualTo(2);

        first.socket.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> server.connectedClients() == 1);
        Client fourth = connect();
        assertThat(fourth.call("PING")).isEqualTo(new RespReply.Simple("PONG"));
    }

    @Test
    void servesManyClientsAtOnce() throws IOException {
        int clients = 200;
        List<Client> connected = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            Client c = connect();
            c.send("SET", "client:" + i, "value " + i);
            connected.add(c);
        }
        for (Client c : connected) {
            assertThat(c.read()).isEqualTo(new RespReply.Simple("OK"));
        }
        assertThat(server.connectedClients()).isEqualTo(clients);
        for (int i = 0; i < clients; i++) {
            assertThat(connected.get(i).call("GET", "client:" + i).toString()).isEqualTo("Bulk[value " + i + "]");
        }
        assertThat(server.clientThreads()).isEqualTo(clients);
        assertThat(server.keys()).isEqualTo(clients);
    }

    @Test
    void closeDisconnectsClientsStopsThreadsAndFreesThePort() throws IOException {
        Client a = connect();
        Client b = connect();
        assertThat(a.call("PING")).isEqualTo(new RespReply.Simple("PONG"));
        assertThat(b.call("PING")).isEqualTo(new RespReply.Simple("PONG"));
        int port = server.port();
        assertThat(Leaks.threadsNamed("resp-backend-" + port + "-")).hasSize(3);

        server.close();
        server.close();

        assertThat(Leaks.threadsNamed("resp-backend-" + port + "-")).isEmpty();
        assertThat(a.in.read()).isEqualTo(-1);
        assertThat(b.in.read()).isEqualTo(-1);
        assertThatThrownBy(() -> new Socket(LOOPBACK, port).close()).isInstanceOf(ConnectException.class);
    }

    @Test
    void aTakenPortFailsStartWithTheAddressInTheMessage() {
        EmbeddedRespServer second = new EmbeddedRespServer(LOOPBACK, server.port(), 4, 4, 64);
        assertThatThrownBy(second::start).isInstanceOf(IOException.class)
                .hasMessageContaining("cannot listen on " + LOOPBACK.getHostAddress() + ":" + server.port());
        second.close();
    }

    @Test
    void badSettingsAreRefusedNamingTheValue() {
        assertThatThrownBy(() -> new EmbeddedRespServer(LOOPBACK, 70000, 1, 1, 1))
                .hasMessage("port must be 0-65535, was 70000");
        assertThatThrownBy(() -> new EmbeddedRespServer(LOOPBACK, 0, 0, 1, 1))
                .hasMessage("maxClients must be at least 1, was 0");
    }

    private static EmbeddedRespServer started(int maxClients, int maxKeys) throws IOException {
        EmbeddedRespServer s = new EmbeddedRespServer(LOOPBACK, 0, maxClients, maxKeys, 16 * 1024);
        s.start();
        return s;
    }

    private Client connect() throws IOException {
        Socket socket = new Socket();
        sockets.add(socket);
        socket.connect(new InetSocketAddress(LOOPBACK, server.port()), 5000);
        // A server that fails to answer fails the test instead of hanging it.
        socket.setSoTimeout(10_000);
        return new Client(socket);
    }

    private static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] all = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }

    /** A test client: raw bytes out, replies parsed with the demo's RESP client. */
    private static final class Client {

        final Socket socket;

        final InputStream in;

        final OutputStream out;

        Client(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new BufferedInputStream(socket.getInputStream());
            this.out = socket.getOutputStream();
        }

        void send(String... command) throws IOException {
            RespClient.send(out, command);
        }

        RespReply call(String... command) throws IOException {
            send(command);
            return read();
        }

        void raw(String text) throws IOException {
            out.write(text.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        RespReply read() throws IOException {
            return RespClient.read(in);
        }
    }
}
