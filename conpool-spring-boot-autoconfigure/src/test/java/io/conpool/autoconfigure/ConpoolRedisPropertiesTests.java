package io.conpool.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.Idempotence;
import io.conpool.RedisProtocol;
import io.conpool.testkit.RedisServerProcess;
import io.conpool.testkit.RequiresBinary;
import io.conpool.testkit.RespWire;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The README's "Redis: AUTH and SELECT from application.yml" as written, in a real application against a real
 * redis-server with {@code requirepass} and the ACL user the example names: only the host, the port and the
 * {@code REDIS_PASSWORD} it reads are supplied by the test. The README's Java snippet's command lands in database 2,
 * authenticated as that user, under that client name.
 */
@Timeout(60)
@RequiresBinary(value = RedisServerProcess.BINARY, debianPackage = RedisServerProcess.PACKAGE)
class ConpoolRedisPropertiesTests {

    @TempDir
    Path dir;

    @Test
    void theReadmeRedisExampleAuthenticatesAndSelects() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        int heading = readme.indexOf("### Redis: AUTH and SELECT from `application.yml`");
        assertThat(heading).isPositive();
        int start = readme.indexOf("```yaml\n", heading) + "```yaml\n".length();
        String yaml = readme.substring(start, readme.indexOf("```", start));
        assertThat(yaml).contains("protocol: redis").contains("password: ${REDIS_PASSWORD}");
        Path config = dir.resolve("application.yml");
        Files.writeString(config, yaml);
        String userPassword = "orders-pass-" + System.nanoTime();
        try (RedisServerProcess redis = RedisServerProcess.start()) {
            try (Socket admin = redis.connect()) {
                assertThat(RespWire.call(admin.getInputStream(), admin.getOutputStream(), "ACL", "SETUSER",
                        "orders-service", "on", ">" + userPassword, "~*", "&*", "+@all")).isEqualTo("OK");
            }
            try (ConfigurableApplicationContext context = new SpringApplicationBuilder(App.class)
                .web(WebApplicationType.NONE)
                .properties("spring.main.banner-mode=off")
                .run("--spring.config.location=file:" + config, "--REDIS_PASSWORD=" + userPassword,
                        "--conpool.endpoints.cache.host=" + redis.host(),
                        "--conpool.endpoints.cache.port=" + redis.port())) {
                ConnectionPool pool = context.getBean(ConnectionPool.class);
                Endpoint cache = pool.endpoint("cache").orElseThrow();
                RedisProtocol protocol = (RedisProtocol) pool.config(cache).protocolHandler().orElseThrow();
                assertThat(protocol.username()).isEqualTo("orders-service");
                assertThat(protocol.toString()).doesNotContain(userPassword);
                String ok = pool.withConnection(pool.endpoint("cache").orElseThrow(), Idempotence.IDEMPOTENT, c -> {
                    c.out().write("*3\r\n$3\r\nSET\r\n$8\r\ngreeting\r\n$5\r\nhello\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                    c.out().flush();
                    return new String(c.in().readNBytes(5), StandardCharsets.US_ASCII).trim();
                });
                assertThat(ok).isEqualTo("+OK");
                Object whoami = pool.withConnection(cache,
                        c -> RespWire.call(c.in(), c.out(), "ACL", "WHOAMI") + " " + RespWire.call(c.in(), c.out(),
                                "CLIENT", "GETNAME"));
                assertThat(whoami).isEqualTo("orders-service orders");
            }
            try (Socket s = redis.connect()) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                assertThat(RespWire.call(in, out, "SELECT", "2")).isEqualTo("OK");
                assertThat(RespWire.call(in, out, "GET", "greeting")).isEqualTo("hello");
            }
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
    }
}
