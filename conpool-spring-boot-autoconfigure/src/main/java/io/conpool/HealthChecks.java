package io.conpool;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The built-in health checks, by name. */
public final class HealthChecks {

    /** Name of {@link #redisPing()}. */
    public static final String REDIS_PING = "redis-ping";

    private static final byte[] PING = "*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII);

    private static final byte[] PONG = "+PONG\r\n".getBytes(StandardCharsets.US_ASCII);

    private static final HealthCheck REDIS = new HealthCheck() {
        @Override
        public boolean isHealthy(PooledConnection connection) throws IOException {
            OutputStream out = connection.out();
            out.write(PING);
            out.flush();
            InputStream in = connection.in();
            for (byte expected : PONG) {
                if (in.read() != (expected & 0xff)) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public String toString() {
            return REDIS_PING;
        }
    };

    private static final Map<String, HealthCheck> BUILT_IN = Map.of(REDIS_PING, REDIS);

    private HealthChecks() {
    }

    /** Sends a RESP {@code PING} and expects {@code +PONG}. */
    public static HealthCheck redisPing() {
        return REDIS;
    }

    /** The built-in check of that name, if there is one. */
    public static Optional<HealthCheck> builtIn(String name) {
        return Optional.ofNullable(BUILT_IN.get(name));
    }

    /** Names of the built-in checks. */
    public static Set<String> builtInNames() {
        return BUILT_IN.keySet();
    }
}
