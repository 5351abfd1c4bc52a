package io.conpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.net.Socket;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.testkit.EchoServer;
import io.conpool.testkit.LeakCheck;

/**
 * The {@code io.conpool} core stays plain Java: no source outside {@code io.conpool.autoconfigure} mentions Spring or
 * Micrometer (the starter adapts the core's listener and observer hooks to them), and a pool works in a class loader
 * that sees only the compiled classes and SLF4J.
 */
@Timeout(30)
class CoreBoundaryTest {

    private static final Path SOURCES = Path.of("src/main/java/io/conpool");

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    @Test
    void noCoreSourceImportsSpringOrMicrometer() throws Exception {
        List<Path> core = new ArrayList<>();
        List<String> offenders = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                if (SOURCES.relativize(f).startsWith("autoconfigure")) {
                    continue;
                }
                core.add(f);
                List<String> lines = Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++) {
                    if (lines.get(i).contains("org.springframework") || lines.get(i).contains("io.micrometer")) {
                        offenders.add(f + ":" + (i + 1) + ": " + lines.get(i).trim());
                    }
                }
            }
        }
        assertThat(core).as("core sources found under %s", SOURCES.toAbsolutePath()).hasSizeGreaterThan(20);
        assertThat(core).anyMatch(p -> p.endsWith("ConnectionPool.java"))
                .anyMatch(p -> p.endsWith(Path.of("internal", "EndpointPool.java")));
        assertThat(offenders).as("core sources mentioning Spring or Micrometer").isEmpty();
    }

    @Test
    void aPoolWorksWithOnlyTheCoreClassesCommonsPool2AndSlf4jOnTheClassPath() throws Exception {
        URL classes = ConnectionPool.class.getProtectionDomain().getCodeSource().getLocation();
        URL slf4j = org.slf4j.LoggerFactory.class.getProtectionDomain().getCodeSource().getLocation();
        URL commonsPool = org.apache.commons.pool2.KeyedObjectPool.class.getProtectionDomain().getCodeSource()
                .getLocation();
        assertThat(Path.of(classes.toURI())).endsWith(Path.of("target", "classes"));
        assertThat(slf4j.getPath()).contains("slf4j-api");
        assertThat(commonsPool.getPath()).contains("commons-pool2");
        try (EchoServer server = EchoServer.start();
                URLClassLoader isolated = new URLClassLoader(new URL[] { classes, slf4j, commonsPool },
                        ClassLoader.getPlatformClassLoader())) {
            assertThatThrownBy(() -> isolated.loadClass("org.springframework.core.SpringVersion"))
                    .isInstanceOf(ClassNotFoundException.class);
            assertThatThrownBy(() -> isolated.loadClass("org.springframework.boot.SpringApplication"))
                    .isInstanceOf(ClassNotFoundException.class);

            Class<?> poolType = isolated.loadClass("io.conpool.ConnectionPool");
            assertThat(poolType.getClassLoader()).isSameAs(isolated);
            Class<?> endpointType = isolated.loadClass("io.conpool.Endpoint");
            Class<?> leaseType = isolated.loadClass("io.conpool.PooledConnection");
            Class<?> statsType = isolated.loadClass("io.conpool.EndpointStats");

            Object builder = poolType.getMethod("builder").invoke(null);
            String poolName = leaks.newPoolName();
            builder.getClass().getMethod("name", String.class).invoke(builder, poolName);
            Object pool = builder.getClass().getMethod("build").invoke(builder);
            try (AutoCloseable closePool = (AutoCloseable) pool) {
                assertThat(pool.getClass().getClassLoader()).isSameAs(isolated);
                Object endpoint = endpointType.getMethod("of", String.class, int.class).invoke(null, server.host(),
                        server.port());
                Method acquire = poolType.getMethod("acquire", endpointType);
                for (int round = 0; round < 2; round++) {
                    Object lease = acquire.invoke(pool, endpoint);
                    try (AutoCloseable returnLease = (AutoCloseable) lease) {
                        OutputStream out = (OutputStream) leaseType.getMethod("out").invoke(lease);
                        InputStream in = (InputStream) leaseType.getMethod("in").invoke(lease);
                        out.write("plain".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                        out.flush();
                        assertThat(new String(in.readNBytes(5), java.nio.charset.StandardCharsets.US_ASCII))
                                .isEqualTo("plain");
                        assertThat(leaseType.getMethod("socket").invoke(lease)).isInstanceOf(Socket.class);
                    }
                }
                Object stats = poolType.getMethod("stats", endpointType).invoke(pool, endpoint);
                assertThat(statsType.getMethod("reused").invoke(stats)).isEqualTo(1L);
                assertThat(statsType.getMethod("created").invoke(stats)).isEqualTo(1L);
            }
            server.assertAccepted(1);
            // The isolated pool's threads must be gone as well (checked by LeakCheck under this name).
            leaks.watchThreads(poolName + "-");
        }
    }
}
