package io.conpool;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.conpool.testkit.EchoServer;
import io.conpool.testkit.LeakCheck;

/** {@code jmxEnabled}: commons-pool2's MXBean under a name derived from the pool's name, only when asked for. */
@Timeout(30)
class JmxTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();

    @Test
    void registeredUnderThePoolsNameWhenEnabledAndGoneAfterClose() throws Exception {
        try (EchoServer echo = EchoServer.start()) {
            String name = leaks.newPoolName();
            ObjectName objectName = new ObjectName("io.conpool:type=GenericKeyedObjectPool,name=" + name);
            ConnectionPool pool = leaks.track(ConnectionPool.builder().name(name).jmxEnabled(true).build(), name);
            assertThat(server.isRegistered(objectName)).isTrue();
            try (PooledConnection c = pool.acquire(echo.endpoint())) {
                assertThat(server.getAttribute(objectName, "NumActive")).isEqualTo(1);
            }
            assertThat(server.getAttribute(objectName, "NumIdle")).isEqualTo(1);
            assertThat(server.getAttribute(objectName, "BlockWhenExhausted")).isEqualTo(false);
            pool.close();
            assertThat(server.isRegistered(objectName)).isFalse();
        }
    }

    @Test
    void notRegisteredByDefault() throws Exception {
        String name = leaks.newPoolName();
        leaks.track(ConnectionPool.builder().name(name).build(), name);
        assertThat(server.queryNames(new ObjectName("io.conpool:type=GenericKeyedObjectPool,*"), null))
                .noneMatch(n -> name.equals(n.getKeyProperty("name")));
    }
}
