package io.conpool.resilience;

import static org.assertj.core.api.Assertions.assertThat;

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
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.read.ListAppender;

import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.PoolConfig;
import io.conpool.PooledConnection;
import io.conpool.testkit.Await;
import io.conpool.testkit.EchoClient;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.ManualTicker;

/**
 * Leak detection: a lease held past the threshold is reported once, at WARN on {@code io.conpool.LeakDetection},
 * with the borrower's stack, and counted in {@code leaksDetected}; it is off by default. Time is a
 * {@link ManualTicker}; the sweep (every 20 ms) does the reporting.
 */
@Timeout(30)
class LeakDetectionTest {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private final ManualTicker ticker = new ManualTicker();

    private final ListAppender<ILoggingEvent> log = new ListAppender<>();

    private final Logger leakLogger = (Logger) LoggerFactory.getLogger("io.conpool.LeakDetection");

    @BeforeEach
    void captureLog() {
        log.start();
        leakLogger.addAppender(log);
    }

    @AfterEach
    void releaseLog() {
        leakLogger.detachAppender(log);
        log.stop();
    }

    @Test
    void leaseHeldPastTheThresholdIsReportedOnceWithTheBorrowersStack() throws Exception {
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            ConnectionPool pool = leaks.track(ConnectionPool.builder().ticker(ticker).config(PoolConfig.builder()
                    .leakDetectionThreshold(Duration.ofSeconds(1)).validationInterval(Duration.ofMillis(20))
                    .maxIdleTime(Duration.ofHours(1)).maxConnectionLifetime(Duration.ofHours(1)).build()));
            PooledConnection forgotten = borrowAndForget(pool, ep);

            ticker.advance(Duration.ofMillis(900));
            Await.sleep(100); // several sweeps below the threshold
            assertThat(pool.stats(ep).leaksDetected()).isZero();

            ticker.advance(Duration.ofMillis(200));
            Await.until(() -> pool.stats(ep).leaksDetected() == 1, "the sweep to report the leak");
            for (int i = 0; i < 3; i++) { // further sweeps, further past the threshold: no second report
                ticker.advance(Duration.ofSeconds(5));
                Await.sleep(60);
            }
            assertThat(pool.stats(ep).leaksDetected()).isEqualTo(1);

            List<ILoggingEvent> warnings = log.list;
            assertThat(warnings).hasSize(1);
            ILoggingEvent warning = warnings.get(0);
            assertThat(warning.getLevel()).isEqualTo(Level.WARN);
            assertThat(warning.getLoggerName()).isEqualTo("io.conpool.LeakDetection");
            assertThat(warning.getFormattedMessage()).contains(ep.toString()).contains("1000 ms");
            assertThat(stackOf(warning.getThrowableProxy())).as("the borrower's stack")
                    .anyMatch(frame -> frame.contains("LeakDetectionTest.borrowAndForget"));

            // The lease still works, and returning it ends the matter; a new lease starts a new watch.
            assertThat(EchoClient.roundTrip(forgotten, "late")).isEqualTo("late");
            forgotten.close();
            PooledConnection again = borrowAndForget(pool, ep);
            ticker.advance(Duration.ofSeconds(2));
            Await.until(() -> pool.stats(ep).leaksDetected() == 2, "the second lease's leak");
            assertThat(log.list).hasSize(2);
            again.close();
            LeakCheck.assertNoPermitLost(pool, ep);
        }
    }

    @Test
    void leakDetectionIsOffByDefault() throws Exception {
        assertThat(PoolConfig.defaults().leakDetectionThreshold()).isEmpty();
        try (EchoServer server = EchoServer.start()) {
            Endpoint ep = server.endpoint();
            ConnectionPool pool = leaks.track(ConnectionPool.builder().ticker(ticker).config(PoolConfig.builder()
                    .validationInterval(Duration.ofMillis(20)).maxIdleTime(Duration.ofHours(1))
                    .maxConnectionLifetime(Duration.ofHours(1)).build()));
            PooledConnection held = borrowAndForget(pool, ep);
            for (int i = 0; i < 3; i++) {
                ticker.advance(Duration.ofMinutes(10));
                Await.sleep(60);
            }
            assertThat(pool.stats(ep).leaksDetected()).isZero();
            assertThat(log.list).isEmpty();
            held.close();
        }
    }

    /** The borrower whose name must show in the leak report. */
    private static PooledConnection borrowAndForget(ConnectionPool pool, Endpoint ep) {
        return pool.acquire(ep);
    }

    private static List<String> stackOf(IThrowableProxy proxy) {
        assertThat(proxy).as("the warning carries a stack trace").isNotNull();
        return java.util.Arrays.stream(proxy.getStackTraceElementProxyArray())
                .map(StackTraceElementProxy::getSTEAsString).toList();
    }
}
