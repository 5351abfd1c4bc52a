package io.conpool.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;

import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.Idempotence;
import io.conpool.RedisProtocol;
import io.conpool.testkit.RedisServerProcess;
import io.conpool.testkit.RequiresBinary;
import io.conpool.testkit.RespWire;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The README's Redis example from properties, against a real redis-server with {@code requirepass}:
 * {@code protocol: redis} with {@code redis.password} and {@code redis.database} on a named endpoint, and the work
 * lands in that database, authenticated.
 */
@Timeout(60)
@RequiresBinary(value = RedisServerProcess.BINARY, debianPackage = RedisServerProcess.PACKAGE)
class ConpoolRedisPropertiesTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ConpoolAutoConfiguration.class, SslAutoConfiguration.class));

    @Test
    void authAndSelectFromProperties() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.start()) {
            runner.withPropertyValues("conpool.endpoints.cache.host=" + redis.host(),
                    "conpool.endpoints.cache.port=" + redis.port(), "conpool.endpoints.cache.protocol=redis",
                    "conpool.endpoints.cache.redis.password=" + redis.password(),
                    "conpool.endpoints.cache.redis.database=3", "conpool.endpoints.cache.redis.client-name=orders")
                .run(context -> {
                    ConnectionPool pool = context.getBean(ConnectionPool.class);
                    Endpoint cache = pool.endpoint("cache").orElseThrow();
                    Object name = pool.withConnection(cache, Idempotence.IDEMPOTENT, c -> {
                        assertThat(c.protocolState(RedisProtocol.Session.class).database()).isEqualTo(3);
                        RespWire.call(c.in(), c.out(), "SET", "greeting", "hello");
                        return RespWire.call(c.in(), c.out(), "CLIENT", "GETNAME");
                    });
                    assertThat(name).isEqualTo("orders");
                });
            try (Socket s = redis.connect()) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                RespWire.call(in, out, "SELECT", "3");
                assertThat(RespWire.call(in, out, "GET", "greeting")).isEqualTo("hello");
            }
        }
    }
}
