package io.conpool.autoconfigure.observation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

import io.conpool.AcquireTimeoutException;
import io.conpool.ConnectException;
import io.conpool.ConnectionPool;
import io.conpool.Endpoint;
import io.conpool.PooledConnection;
import io.conpool.autoconfigure.ConnectionPoolBuilderCustomizer;
import io.conpool.autoconfigure.ConpoolAutoConfiguration;
import io.conpool.testkit.Await;
import io.conpool.testkit.EchoServer;
import io.conpool.testkit.LeakCheck;
import io.conpool.testkit.RefusedPort;
import io.conpool.testkit.ScriptedResolver;
import io.conpool.testkit.TestCertificates;
import io.conpool.testkit.TlsServer;
import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.ObservationView;
import io.micrometer.observation.tck.TestObservationRegistry;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Micrometer Observations of the auto-configured pool, recorded by a {@link TestObservationRegistry}: names,
 * low-cardinality keys (pool, endpoint name or {@code other}, outcome, reused), host keys for named endpoints only,
 * and nesting: on the caller's thread an acquire nests in the caller's observation, its wait and connect attempts in
 * it, the handshake in its connect attempt; background connects stand alone. Without a registry, or switched off,
 * there is no observer at all.
 */
@Timeout(60)
class ConpoolObservationTests {

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private final TestObservationRegistry registry = TestObservationRegistry.create();

    /** Every observation as it stops, in order. */
    private final List<Observation.Context> stopped = new CopyOnWriteArrayList<>();

    private final String poolName = leaks.newPoolName();

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ConpoolAutoConfiguration.class,
                ConpoolObservationAutoConfiguration.class))
        .withBean(ObservationRegistry.class, () -> registry)
        .withBean(ConnectionPoolBuilderCustomizer.class,
                () -> builder -> builder.resolver(ScriptedResolver.answering(TestCertificates.HOST, "127.0.0.1")))
        .withPropertyValues("conpool.name=" + poolName);

    ConpoolObservationTests() {
        registry.observationConfig().observationHandler(new ObservationHandler<>() {

            @Override
            public boolean supportsContext(Observation.Context context) {
                return true;
            }

            @Override
            public void onStop(Observation.Context context) {
                stopped.add(context);
            }
        });
    }

    @Test
    void aNewTlsConnectionIsAnAcquireWithAConnectAttemptAndAHandshakeNestedInTheCallersObservation() {
        try (TlsServer server = TlsServer.start()) {
            Endpoint api = server.endpoint(TestCertificates.HOST);
            runner.withBean("apiEndpoint", ConnectionPoolBuilderCustomizer.class, () -> builder -> builder.endpoint("api", api))
                .run(context -> {
                    ConnectionPool pool = leaks.track(context.getBean(ConnectionPool.class), poolName);
                    Observation caller = Observation.start("caller", registry);
                    try (Observation.Scope scope = caller.openScope()) {
                        pool.acquire("api").close();
                        pool.acquire("api").close();
                    }
                    caller.stop();

                    // If the second acquire opened a connection too, the stats say why the first was not reused.
                    assertThat(names()).as(() -> "observations; stats " + pool.stats(api))
                        .containsExactly("conpool.handshake", "conpool.connect", "conpool.acquire", "conpool.acquire",
                                "caller");
                    Observation.Context handshake = stopped.get(0);
                    Observation.Context connect = stopped.get(1);
                    Observation.Context opened = stopped.get(2);
                    Observation.Context reused = stopped.get(3);
                    KeyValues named = KeyValues.of("pool", poolName, "endpoint", "api", "outcome", "success");
                    assertThat(opened.getLowCardinalityKeyValues()).containsExactlyInAnyOrderElementsOf(
                            named.and("reused", "false"));
                    assertThat(reused.getLowCardinalityKeyValues()).containsExactlyInAnyOrderElementsOf(
                            named.and("reused", "true"));
                    assertThat(connect.getLowCardinalityKeyValues()).containsExactlyInAnyOrderElementsOf(named);
                    assertThat(handshake.getLowCardinalityKeyValues()).containsExactlyInAnyOrderElementsOf(named);
                    for (Observation.Context c : List.of(handshake, connect, opened, reused)) {
                        assertThat(c.getHighCardinalityKeyValues()).as("a named endpoint's host, in traces only")
                            .containsExactlyInAnyOrder(KeyValue.of("server.address", TestCertificates.HOST),
                                    KeyValue.of("server.port", String.valueOf(server.port())));
                        assertThat(c.getError()).isNull();
                    }
                    assertThat(opened.getContextualName()).isEqualTo("conpool acquire api");
                    assertThat(handshake.getContextualName()).isEqualTo("conpool handshake api");
                    assertThat(parentOf(handshake)).isSameAs(connect);
                    assertThat(parentOf(connect)).isSameAs(opened);
                    assertThat(parentOf(opened)).isSameAs(caller.getContext());
                    assertThat(parentOf(reused)).isSameAs(caller.getContext());
                    assertThat(registry.getCurrentObservation()).as("every scope closed").isNull();
                    assertThat(registry).hasNumberOfObservationsWithNameEqualTo("conpool.acquire", 2)
                        .hasNumberOfObservationsWithNameEqualTo("conpool.connect", 1)
                        .forAllObservationsWithNameEqualTo("conpool.acquire",
                                o -> o.hasLowCardinalityKeyValue("endpoint", "api").hasParentObservation())
                        .hasObservationWithNameEqualTo("conpool.handshake")
                        .that()
                        .hasParentObservationContextMatching(parent -> "conpool.connect".equals(parent.getName()));
                });
        }
    }

    @Test
    void anEndpointWithoutANameIsOtherWithoutItsHost() {
        try (EchoServer server = EchoServer.start()) {
            runner.run(context -> {
                ConnectionPool pool = leaks.track(context.getBean(ConnectionPool.class), poolName);
                pool.acquire(server.endpoint()).close();
                assertThat(names()).containsExactly("conpool.connect", "conpool.acquire");
                for (Observation.Context c : stopped) {
                    assertThat(c.getLowCardinalityKeyValue("endpoint").getValue()).isEqualTo("other");
                    assertThat(c.getHighCardinalityKeyValues()).isEmpty();
                    assertThat(c.getContextualName()).doesNotContain(server.host());
                }
                assertThat(stopped.get(1).getContextualName()).isEqualTo("conpool acquire");
            });
        }
    }

    @Test
    void aWaitNestsInItsAcquireAndEndsWithTheCallersOutcome() throws Exception {
        try (EchoServer server = EchoServer.start()) {
            runner.withBean("echoEndpoint", ConnectionPoolBuilderCustomizer.class,
                    () -> builder -> builder.endpoint("echo", server.endpoint()))
                .withPropertyValues("conpool.max-connections-per-endpoint=1", "conpool.max-idle-per-endpoint=1")
                .run(context -> {
                    ConnectionPool pool = leaks.track(context.getBean(ConnectionPool.class), poolName);
                    Endpoint echo = pool.endpoint("echo").orElseThrow();
                    ExecutorService other = Executors.newSingleThreadExecutor();
                    try {
                        PooledConnection held = pool.acquire(echo);
                        stopped.clear();
                        assertThatThrownBy(() -> pool.acquire(echo, Duration.ofMillis(50)))
                            .isInstanceOf(AcquireTimeoutException.class);
                        assertThat(names()).containsExactly("conpool.wait", "conpool.acquire");
                        Observation.Context wait = stopped.get(0);
                        Observation.Context acquire = stopped.get(1);
                        assertThat(parentOf(wait)).isSameAs(acquire);
                        assertThat(wait.getError()).isInstanceOf(AcquireTimeoutException.class);
                        assertThat(wait.getLowCardinalityKeyValue("outcome").getValue()).isEqualTo("timeout");
                        assertThat(acquire.getLowCardinalityKeyValues()).contains(KeyValue.of("outcome", "timeout"),
                                KeyValue.of("reused", "false"));

                        stopped.clear();
                        Future<?> waiter = other.submit(() -> pool.acquire(echo).close());
                        Await.pending(pool, echo, 1);
                        held.close();
                        waiter.get();
                        assertThat(names()).containsExactly("conpool.wait", "conpool.acquire");
                        assertThat(parentOf(stopped.get(0))).isSameAs(stopped.get(1));
                        assertThat(stopped.get(0).getLowCardinalityKeyValue("outcome").getValue()).isEqualTo("success");
                        assertThat(stopped.get(1).getLowCardinalityKeyValues()).contains(KeyValue.of("outcome", "success"),
                                KeyValue.of("reused", "true"));
                    }
                    finally {
                        Await.shutdown(other);
                    }
                });
        }
    }

    @Test
    void everyConnectAttemptIsAnObservationAndTheAcquireSaysWhyItFailed() {
        Endpoint refused = Endpoint.of("127.0.0.1", RefusedPort.find());
        runner.withPropertyValues("conpool.connect-attempts=2", "conpool.connect-backoff=1ms").run(context -> {
            ConnectionPool pool = leaks.track(context.getBean(ConnectionPool.class), poolName);
            assertThatThrownBy(() -> pool.acquire(refused)).isInstanceOf(ConnectException.class);
            assertThat(names()).containsExactly("conpool.connect", "conpool.connect", "conpool.acquire");
            for (Observation.Context attempt : stopped.subList(0, 2)) {
                assertThat(attempt.getLowCardinalityKeyValue("outcome").getValue()).isEqualTo("refused");
                assertThat(attempt.getError()).isInstanceOf(java.net.ConnectException.class);
                assertThat(parentOf(attempt)).isSameAs(stopped.get(2));
            }
            assertThat(stopped.get(2).getLowCardinalityKeyValues()).contains(KeyValue.of("outcome", "connect-failed"),
                    KeyValue.of("reused", "false"));
            assertThat(stopped.get(2).getError()).isInstanceOf(ConnectException.class);
        });
    }

    @Test
    void aBackgroundConnectToKeepMinIdleStandsAlone() {
        try (EchoServer server = EchoServer.start()) {
            runner.withPropertyValues("conpool.endpoints.warm.host=" + server.host(),
                    "conpool.endpoints.warm.port=" + server.port(), "conpool.endpoints.warm.min-idle=1")
                .run(context -> {
                    ConnectionPool pool = leaks.track(context.getBean(ConnectionPool.class), poolName);
                    Await.until(() -> stopped.size() == 1, "the background connect observed");
                    assertThat(names()).containsExactly("conpool.connect");
                    assertThat(stopped.get(0).getParentObservation()).isNull();
                    assertThat(stopped.get(0).getLowCardinalityKeyValue("endpoint").getValue()).isEqualTo("warm");
                    Await.until(() -> pool.stats(pool.endpoint("warm").orElseThrow()).idle() == 1, "warm");
                });
        }
    }

    @Test
    void withoutARegistryOrSwitchedOffThePoolHasNoObserver() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ConpoolAutoConfiguration.class,
                ConpoolObservationAutoConfiguration.class))
            .run(context -> {
                assertThat(context).hasSingleBean(ConnectionPool.class);
                assertThat(context).doesNotHaveBean(ConpoolObservations.class);
            });
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ConpoolAutoConfiguration.class,
                ConpoolObservationAutoConfiguration.class))
            .withBean(ObservationRegistry.class, () -> registry)
            .withClassLoader(new FilteredClassLoader(ObservationRegistry.class))
            .run(context -> assertThat(context).hasNotFailed().hasSingleBean(ConnectionPool.class)
                .doesNotHaveBean(ConpoolObservations.class));
        runner.withPropertyValues("conpool.observations.enabled=false").run(context -> {
            assertThat(context).doesNotHaveBean(ConpoolObservations.class);
            try (EchoServer server = EchoServer.start()) {
                context.getBean(ConnectionPool.class).acquire(server.endpoint()).close();
            }
            assertThat(stopped).isEmpty();
        });
    }

    @Test
    void aConventionBeanChangesTheKeys() {
        try (EchoServer server = EchoServer.start()) {
            runner.withBean(ConpoolObservationConvention.class, () -> new DefaultConpoolObservationConvention() {
                @Override
                public KeyValues getLowCardinalityKeyValues(ConpoolObservationContext context) {
                    return super.getLowCardinalityKeyValues(context).and("team", "payments");
                }
            }).run(context -> {
                leaks.track(context.getBean(ConnectionPool.class), poolName);
                context.getBean(ConnectionPool.class).acquire(server.endpoint()).close();
                assertThat(stopped).allSatisfy(
                        c -> assertThat(c.getLowCardinalityKeyValues()).contains(KeyValue.of("team", "payments")));
            });
        }
    }

    @Test
    void withBootsRegistryTheObservationsBecomeTimersWithTheLowCardinalityKeysAsTags() {
        try (EchoServer server = EchoServer.start(); EchoServer unnamed = EchoServer.start()) {
            new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(ConpoolAutoConfiguration.class,
                        ConpoolObservationAutoConfiguration.class, ObservationAutoConfiguration.class,
                        MetricsAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class,
                        SimpleMetricsExportAutoConfiguration.class))
                .withPropertyValues("conpool.name=" + poolName, "conpool.endpoints.echo.host=" + server.host(),
                        "conpool.endpoints.echo.port=" + server.port())
                .run(context -> {
                    ConnectionPool pool = leaks.track(context.getBean(ConnectionPool.class), poolName);
                    assertThat(context).hasSingleBean(ConpoolObservations.class);
                    pool.acquire("echo").close();
                    pool.acquire("echo").close();
                    pool.acquire(unnamed.endpoint()).close();
                    MeterRegistry meters = context.getBean(MeterRegistry.class);
                    Timer opened = meters.get("conpool.acquire").tags("endpoint", "echo", "reused", "false").timer();
                    Timer reused = meters.get("conpool.acquire").tags("endpoint", "echo", "reused", "true").timer();
                    assertThat(opened.count()).isEqualTo(1);
                    assertThat(reused.count()).isEqualTo(1);
                    assertThat(tagKeys(reused)).containsExactlyInAnyOrder("pool", "endpoint", "outcome", "reused",
                            "error");
                    assertThat(meters.get("conpool.connect").tags("endpoint", "echo", "outcome", "success").timer()
                        .count()).isEqualTo(1);
                    assertThat(meters.get("conpool.acquire").tags("endpoint", "other").timer().count()).isEqualTo(1);
                    assertThat(meters.find("conpool.acquire").timers()).allSatisfy(t -> assertThat(t.getId().getTags())
                        .noneMatch(tag -> tag.getValue().contains(String.valueOf(unnamed.port()))));
                });
            new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(ConpoolAutoConfiguration.class,
                        ConpoolObservationAutoConfiguration.class, ObservationAutoConfiguration.class,
                        MetricsAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class,
                        SimpleMetricsExportAutoConfiguration.class))
                .withPropertyValues("conpool.name=" + poolName, "management.observations.enable.conpool=false")
                .run(context -> {
                    context.getBean(ConnectionPool.class).acquire(server.endpoint()).close();
                    assertThat(context.getBean(MeterRegistry.class).find("conpool.acquire").timers())
                        .as("switched off by Boot's own property").isEmpty();
                });
        }
    }

    private List<String> names() {
        return stopped.stream().map(Observation.Context::getName).collect(Collectors.toList());
    }

    private static Object parentOf(Observation.Context context) {
        ObservationView parent = context.getParentObservation();
        return parent == null ? null : parent.getContextView();
    }

    private static Set<String> tagKeys(Timer timer) {
        return timer.getId().getTags().stream().map(Tag::getKey).collect(Collectors.toSet());
    }
}
