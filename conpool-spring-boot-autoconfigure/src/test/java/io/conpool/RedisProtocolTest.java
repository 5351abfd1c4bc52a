package io.conpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.RedisServerProcess;
import io.conpool.testkit.RequiresBinary;
import io.conpool.testkit.RespWire;

/**
 * {@link RedisProtocol} against a real redis-server with {@code requirepass}: AUTH (password alone, or user and
 * password), SELECT and CLIENT SETNAME after connect; a connection left inside MULTI is destroyed on release, one
 * switched to another database is put back; PING is its health check and QUIT its goodbye; the password is never
 * logged, never in an exception message, never in {@code toString()}. Skipped where redis-server is not installed.
 */
@Timeout(60)
@RequiresBinary(value = RedisServerProcess.BINARY, debianPackage = RedisServerProcess.PACKAGE)
class RedisProtocolTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private final ListAppender<ILoggingEvent> log = new ListAppender<>();

    private final Logger conpoolLogger = (Logger) LoggerFactory.getLogger("io.conpool");

    private Level savedLevel;

    @BeforeEach
    void captureEveryLogLine() {
        savedLevel = conpoolLogger.getLevel();
        conpoolLogger.setLevel(Level.DEBUG);
        log.start();
        conpoolLogger.addAppender(log);
    }

    @AfterEach
    void stopCapturing() {
        conpoolLogger.detachAppender(log);
        conpoolLogger.setLevel(savedLevel);
    }

    private ConnectionPool pool(RedisProtocol protocol) {
        return leaks.track(ConnectionPool.builder().config(PoolConfig.builder().protocolHandler(protocol)
                .maxConnectionsPerEndpoint(2).maxIdlePerEndpoint(2).connectBackoff(Duration.ofMillis(10)).build()));
    }

    private static Object call(PooledConnection c, String... args) throws Exception {
        return RespWire.call(c.in(), c.out(), args);
    }

    @Test
    void authSelectAndClientNameAfterConnect() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.start()) {
            RedisProtocol protocol = RedisProtocol.builder().password(redis.password()).database(3)
                    .clientName("conpool-test").build();
            ConnectionPool pool = pool(protocol);
            Endpoint ep = redis.endpoint();
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.protocolState(RedisProtocol.Session.class))
                        .isEqualTo(new RedisProtocol.Session(3, "conpool-test"));
                assertThat(call(c, "SET", "where", "three")).isEqualTo("OK");
                assertThat(call(c, "CLIENT", "GETNAME")).isEqualTo("conpool-test");
            }
            try (Socket s = redis.connect()) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                assertThat(RespWire.call(in, out, "GET", "where")).as("database 0").isNull();
                assertThat(RespWire.call(in, out, "SELECT", "3")).isEqualTo("OK");
                assertThat(RespWire.call(in, out, "GET", "where")).isEqualTo("three");
            }
            assertThat(pool.stats(ep).created()).isEqualTo(1);
        }
    }

    @Test
    void authWithUserNameAndPassword() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.start()) {
            ConnectionPool pool = pool(RedisProtocol.builder().username("default").password(redis.password()).build());
            String pong = pool.withConnection(redis.endpoint(), c -> (String) call(c, "PING"));
            assertThat(pong).isEqualTo("PONG");
            Object whoami = pool.withConnection(redis.endpoint(), c -> call(c, "ACL", "WHOAMI"));
            assertThat(whoami).isEqualTo("default");
        }
    }

    /** A wrong password: every attempt fails, the message names AUTH and the server's answer but no password. */
    @Test
    void wrongPasswordIsAFailedConnectThatNeverShowsThePassword() throws Exception {
        String wrong = "not-the-password-4711";
        try (RedisServerProcess redis = RedisServerProcess.start()) {
            RedisProtocol protocol = RedisProtocol.builder().password(wrong).database(1).build();
            ConnectionPool pool = pool(protocol);
            Endpoint ep = redis.endpoint();
            Throwable failure = catchThrowable(() -> pool.acquire(ep));
            assertThat(failure).isInstanceOf(ConnectException.class)
                    .hasMessageContaining("after 3 attempts: redis AUTH failed: WRONGPASS");
            for (Throwable t = failure; t != null; t = t.getCause()) {
                assertThat(String.valueOf(t.getMessage())).doesNotContain(wrong).doesNotContain(redis.password());
            }
            assertThat(pool.stats(ep).closed(CloseReason.PROTOCOL_INIT_FAILED)).isEqualTo(3);
            assertThat(pool.stats(ep).errors()).isEqualTo(1);
            assertThat(protocol.toString()).contains("password=****").doesNotContain(wrong);
            assertThat(pool.config(ep).toString()).contains("password=****").doesNotContain(wrong);
            assertThat(log.list).isNotEmpty();
            for (ILoggingEvent e : log.list) {
                assertThat(e.getFormattedMessage()).doesNotContain(wrong);
                if (e.getThrowableProxy() != null) {
                    assertThat(e.getThrowableProxy().getMessage()).doesNotContain(wrong);
                }
            }
        }
    }

    /** Without a password the server says NOAUTH to the first real command; with one, a handler that sends none. */
    @Test
    void noHandshakeWhenNothingIsSet() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.builder().password(null).start()) {
            ConnectionPool pool = pool(RedisProtocol.create());
            Object pong = pool.withConnection(redis.endpoint(), c -> call(c, "PING"));
            assertThat(pong).isEqualTo("PONG");
            RedisProtocol.Session session = pool.withConnection(redis.endpoint(),
                    c -> c.protocolState(RedisProtocol.Session.class));
            assertThat(session).isEqualTo(new RedisProtocol.Session(0, null));
        }
    }

    /** A caller that leaves a MULTI open: the connection is destroyed on release; the queued SET never runs. */
    @Test
    void unfinishedMultiIsDestroyedOnRelease() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.start()) {
            ConnectionPool pool = pool(RedisProtocol.builder().password(redis.password()).build());
            Endpoint ep = redis.endpoint();
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(call(c, "MULTI")).isEqualTo("OK");
                assertThat(call(c, "SET", "k", "from-a-forgotten-transaction")).isEqualTo("QUEUED");
            }
            assertThat(pool.stats(ep).closed(CloseReason.PROTOCOL_RESET_FAILED)).isEqualTo(1);
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.reused()).isFalse();
                assertThat(call(c, "GET", "k")).isNull();
                assertThat(call(c, "SET", "k", "v")).as("a clean connection: not QUEUED").isEqualTo("OK");
            }
            assertThat(pool.stats(ep).idle()).isEqualTo(1);
        }
    }

    /**
     * The release check off: a left-over MULTI is still caught before reuse, by the PING health check (answered
     * +QUEUED), but a caller's SELECT now reaches the next caller: what the release check is for.
     */
    @Test
    void withoutTheReleaseCheckMultiIsCaughtAtBorrowButSelectLeaks() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.start()) {
            ConnectionPool pool = pool(RedisProtocol.builder().password(redis.password()).database(2)
                    .resetOnRelease(false).build());
            Endpoint ep = redis.endpoint();
            try (PooledConnection c = pool.acquire(ep)) {
                call(c, "MULTI");
            }
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.reused()).as("the PING before reuse got +QUEUED").isFalse();
                assertThat(call(c, "SET", "k", "v")).isEqualTo("OK");
                assertThat(call(c, "SELECT", "7")).isEqualTo("OK");
            }
            assertThat(pool.stats(ep).closed(CloseReason.HEALTH_CHECK_FAILED)).isEqualTo(1);
            PooledConnection c = pool.acquire(ep);
            assertThat(c.reused()).isTrue();
            assertThat(call(c, "GET", "k")).as("still on database 7").isNull();
            c.invalidate();
        }
    }

    /** A caller's SELECT and WATCH do not reach the next caller; a subscriber connection is not handed on. */
    @Test
    void selectAndWatchArePutBackAndSubscribersDestroyed() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.start()) {
            ConnectionPool pool = pool(RedisProtocol.builder().password(redis.password()).database(2).build());
            Endpoint ep = redis.endpoint();
            pool.withConnection(ep, c -> call(c, "SET", "db", "two"));
            pool.withConnection(ep, c -> {
                assertThat(call(c, "WATCH", "db")).isEqualTo("OK");
                return call(c, "SELECT", "7");
            });
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(c.reused()).isTrue();
                assertThat(call(c, "GET", "db")).as("back on database 2").isEqualTo("two");
                // A WATCH left behind would make this transaction fail after another client's write.
                try (Socket other = redis.connect()) {
                    RespWire.call(other.getInputStream(), other.getOutputStream(), "SELECT", "2");
                    RespWire.call(other.getInputStream(), other.getOutputStream(), "SET", "db", "changed");
                }
                call(c, "MULTI");
                call(c, "SET", "x", "1");
                assertThat(call(c, "EXEC")).as("no stale WATCH").isEqualTo(List.of("OK"));
            }
            try (PooledConnection c = pool.acquire(ep)) {
                assertThat(call(c, "SUBSCRIBE", "news")).isInstanceOf(List.class);
            }
            assertThat(pool.stats(ep).closed(CloseReason.PROTOCOL_RESET_FAILED)).isEqualTo(1);
            assertThat(pool.stats(ep).closed()).isEqualTo(1);
        }
    }

    /** PING before reuse and QUIT at close, counted by the server itself. */
    @Test
    void pingBeforeReuseAndQuitAtClose() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.start()) {
            try (Socket s = redis.connect()) {
                RespWire.call(s.getInputStream(), s.getOutputStream(), "CONFIG", "RESETSTAT");
            }
            ConnectionPool pool = pool(RedisProtocol.builder().password(redis.password()).resetOnRelease(false).build());
            Endpoint ep = redis.endpoint();
            for (int i = 0; i < 3; i++) {
                pool.withConnection(ep, c -> call(c, "GET", "nothing"));
            }
            pool.close();
            try (Socket s = redis.connect()) {
                String stats = (String) RespWire.call(s.getInputStream(), s.getOutputStream(), "INFO", "commandstats");
                assertThat(stats).contains("cmdstat_ping:calls=2,").contains("cmdstat_quit:calls=1,")
                        .contains("cmdstat_get:calls=3,");
            }
        }
    }

    /** The README's Redis example, as written there; {@code args} give the address and the password. */
    static class ReadmeExample {

        public static void main(String[] args) throws Exception {
            RedisProtocol redisProtocol = RedisProtocol.builder()
                    .password(args[1])                            // AUTH password (or .username("app") too)
                    .database(2)                                  // SELECT 2 after connect, and again on each release
                    .clientName("orders")                         // CLIENT SETNAME orders
                    .build();
            try (ConnectionPool pool = ConnectionPool.builder()
                    .config(PoolConfig.builder().protocolHandler(redisProtocol).build())
                    .build()) {
                Endpoint redis = Endpoint.parse(args[0]);
                String ok = pool.withConnection(redis, Idempotence.IDEMPOTENT, c -> {
                    c.out().write("*3\r\n$3\r\nSET\r\n$8\r\ngreeting\r\n$5\r\nhello\r\n"
                            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    c.out().flush();
                    return new String(c.in().readNBytes(5), java.nio.charset.StandardCharsets.US_ASCII).trim();
                });
                try (PooledConnection c = pool.acquireNew(redis)) {
                    int db = c.protocolState(RedisProtocol.Session.class).database();
                    System.out.println(ok + " " + db + " " + pool.stats(redis));
                }
            }
        }
    }

    @Test
    void theReadmeExampleRunsAgainstARealRedis() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.start()) {
            java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
            java.io.PrintStream original = System.out;
            System.setOut(new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8));
            try {
                ReadmeExample.main(new String[] { redis.host() + ":" + redis.port(), redis.password() });
            }
            finally {
                System.setOut(original);
            }
            assertThat(printed.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("+OK 2 EndpointStats[")
                    .contains("created=2,").contains("active=1,").contains("closed=0,");
            try (Socket s = redis.connect()) {
                RespWire.call(s.getInputStream(), s.getOutputStream(), "SELECT", "2");
                assertThat(RespWire.call(s.getInputStream(), s.getOutputStream(), "GET", "greeting")).isEqualTo("hello");
            }
        }
        String readme = java.nio.file.Files.readString(java.nio.file.Path.of("..", "README.md"));
        int start = readme.indexOf("### Protocols: Redis, retry once, fresh connections");
        assertThat(start).isPositive();
        String section = readme.substring(start, readme.indexOf("```", readme.indexOf("```java", start) + 7));
        for (String call : new String[] { "RedisProtocol.builder()", ".database(2)", ".clientName(\"orders\")",
                ".config(PoolConfig.builder().protocolHandler(redisProtocol).build())",
                "pool.withConnection(redis, Idempotence.IDEMPOTENT, c -> {",
                "*3\\r\\n$3\\r\\nSET\\r\\n$8\\r\\ngreeting\\r\\n$5\\r\\nhello\\r\\n",
                "c.in().readNBytes(5)", "pool.acquireNew(redis)",
                "c.protocolState(RedisProtocol.Session.class).database()",
                "System.out.println(ok + \" \" + db + \" \" + pool.stats(redis));" }) {
            assertThat(section).as("README example calls %s", call).contains(call);
        }
    }

    @Test
    void builderRejectsWhatRedisWould() {
        assertThatThrownBy(() -> RedisProtocol.builder().database(-1)).isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("database");
        assertThatThrownBy(() -> RedisProtocol.builder().clientName("two words"))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("clientName");
        assertThatThrownBy(() -> RedisProtocol.builder().username("alice").build())
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("needs a password");
        assertThat(RedisProtocol.builder().password("s3cret").username("bob").build().toString())
                .isEqualTo("RedisProtocol[username=bob, password=****, database=unset, clientName=unset, "
                        + "resetOnRelease=true]");
    }

    private static Throwable catchThrowable(Runnable r) {
        try {
            r.run();
            return null;
        }
        catch (Throwable t) {
            return t;
        }
    }
}
