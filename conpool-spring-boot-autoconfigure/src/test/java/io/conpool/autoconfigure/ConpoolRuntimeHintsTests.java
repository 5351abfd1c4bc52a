package io.conpool.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.aot.hint.predicate.RuntimeHintsPredicates.reflection;

import java.util.List;
import java.util.function.Predicate;

import io.conpool.CircuitState;
import io.conpool.autoconfigure.endpoint.ConpoolEndpoint;
import io.conpool.autoconfigure.endpoint.ConpoolEndpointAutoConfiguration;
import io.conpool.autoconfigure.endpoint.ConpoolEndpointWebExtension;
import io.conpool.autoconfigure.health.ConpoolHealthAutoConfiguration;
import io.conpool.autoconfigure.metrics.ConpoolMetricsAutoConfiguration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.aot.generate.ClassNameGenerator;
import org.springframework.aot.generate.DefaultGenerationContext;
import org.springframework.aot.generate.GeneratedFiles.Kind;
import org.springframework.aot.generate.InMemoryGeneratedFiles;
import org.springframework.aot.hint.ExecutableHint;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;
import org.springframework.aot.hint.TypeHint;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.aot.ApplicationContextAotGenerator;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.core.io.support.SpringFactoriesLoader;
import org.springframework.javapoet.ClassName;

/**
 * Ahead-of-time processing (issue 13, point 4): the hints conpool registers itself ({@link ConpoolRuntimeHints}),
 * that Spring finds them through {@code META-INF/spring/aot.factories}, and, after a real AOT run over every conpool
 * auto-configuration, that everything Jackson, the binder and Boot reach by reflection has its hint, whether conpool
 * or Boot registers it. The demo application's own AOT processing runs in the build ({@code process-aot}) and is
 * checked by the demo's {@code DemoAotIT}.
 */
@Timeout(60)
class ConpoolRuntimeHintsTests {

    @Test
    void registrarCoversWhatNoAnalysisCanSee() {
        RuntimeHints hints = new RuntimeHints();
        new ConpoolRuntimeHints().registerHints(hints, getClass().getClassLoader());
        assertThat(hints).matches(answersOfTheDeleteOperation(), "the DELETE operation's concrete answers")
            .matches(reflection().onType(CircuitState.class), "CircuitState, a health detail value")
            .matches(reflection().onFieldAccess(EndpointSettings.class, "connectionTimeout"),
                    "the settings' fields, walked by CoreSettings")
            .matches(reflection().onMethodInvocation(io.conpool.PoolConfig.Builder.class, "connectionTimeout"),
                    "the builder methods a property is applied through")
            .matches(reflection().onMethodInvocation(io.conpool.PoolConfig.class, "connectionTimeout"),
                    "the getters the actuator's config view reads")
            .matches(reflection().onFieldAccess(
                    org.springframework.util.ClassUtils.resolveClassName("io.conpool.PoolConfig$Values", null),
                    "connectionTimeout"), "PoolConfig's own field walk");
        assertVirtualThreadMethods(hints);
    }

    @Test
    void registrarIsListedInAotFactories() {
        List<RuntimeHintsRegistrar> registrars = SpringFactoriesLoader.forResourceLocation("META-INF/spring/aot.factories")
            .load(RuntimeHintsRegistrar.class);
        assertThat(registrars).hasAtLeastOneElementOfType(ConpoolRuntimeHints.class);
    }

    /**
     * Every conpool auto-configuration processed ahead of time as an application's build would: the hints of
     * {@code aot.factories} registrars, of {@code @ConfigurationProperties}, of {@code @Reflective} endpoint
     * operations and of {@code spring.factories} all end up in the generation context.
     */
    @Test
    void aotProcessingOfTheAutoConfigurationsRegistersEveryHintNeeded() {
        ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ConpoolAutoConfiguration.class,
                    ConpoolEndpointAutoConfiguration.class, ConpoolHealthAutoConfiguration.class,
                    ConpoolMetricsAutoConfiguration.class, MetricsAutoConfiguration.class,
                    CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class))
            .withPropertyValues("management.endpoints.web.exposure.include=conpool",
                    "conpool.endpoints.cache.host=127.0.0.1", "conpool.endpoints.cache.port=6379",
                    "conpool.endpoints.cache.health-check=redis-ping");
        runner.prepare(context -> {
            GenericApplicationContext source = (GenericApplicationContext) context.getSourceApplicationContext();
            InMemoryGeneratedFiles files = new InMemoryGeneratedFiles();
            DefaultGenerationContext generation = new DefaultGenerationContext(
                    new ClassNameGenerator(ClassName.get(ConpoolRuntimeHintsTests.class)), files);
            new ApplicationContextAotGenerator().processAheadOfTime(source, generation);
            generation.writeGeneratedContent();
            RuntimeHints hints = generation.getRuntimeHints();

            // conpool's registrar, found through aot.factories
            assertThat(hints).matches(answersOfTheDeleteOperation(), "the DELETE operation's concrete answers")
                .matches(reflection().onType(CircuitState.class), "CircuitState");
            assertVirtualThreadMethods(hints);

            // Boot: binding of conpool.* onto the properties classes, nested ones included
            assertThat(hints)
                .matches(reflection().onMethodInvocation(ConpoolProperties.class, "setMaxConnectionsPerEndpoint"),
                        "setter of a pool-wide property")
                .matches(reflection().onMethodInvocation(ConpoolProperties.EndpointProperties.class, "setHost"),
                        "setter of a named endpoint's property (values of a Map)")
                .matches(reflection().onMethodInvocation(ConpoolProperties.EndpointTls.class, "setBundle"),
                        "setter of an endpoint's TLS property")
                .matches(reflection().onMethodInvocation(ConpoolProperties.CircuitBreaker.class,
                        "setFailureThreshold"), "setter of a nested group");

            // Boot: the actuator endpoint's operations and the types of their answers, for Jackson
            assertThat(hints).matches(reflection().onMethodInvocation(ConpoolEndpoint.class, "pool"), "GET operation")
                .matches(reflection().onMethodInvocation(ConpoolEndpoint.class, "endpoint"), "GET one operation")
                .matches(reflection().onMethodInvocation(ConpoolEndpointWebExtension.class, "clear"),
                        "DELETE operation")
                .matches(reflection().onMethodInvocation(ConpoolEndpoint.PoolDescriptor.class, "endpoints"),
                        "accessor of the GET answer")
                .matches(reflection().onMethodInvocation(ConpoolEndpoint.StatsDescriptor.class, "closedByReason"),
                        "accessor of a nested record of the GET answer")
                .matches(reflection().onMethodInvocation(ConpoolEndpoint.TlsDescriptor.class, "verifyHostname"),
                        "accessor of a deeply nested record");

            // Spring: factories of META-INF/spring.factories are instantiated reflectively
            assertThat(hints).matches(
                    reflection().onConstructorInvocation(ConpoolFailureAnalyzer.class.getDeclaredConstructor()),
                    "the failure analyzer's constructor");

            // The bean definitions were generated as code
            assertThat(files.getGeneratedFiles(Kind.SOURCE))
                .containsKey(ConpoolAutoConfiguration.class.getPackageName().replace('.', '/')
                        + "/ConpoolAutoConfiguration__BeanDefinitions.java");
        });
    }

    private static Predicate<RuntimeHints> answersOfTheDeleteOperation() {
        return reflection().onMethodInvocation(ConpoolEndpoint.Cleared.class, "idleClosed")
            .and(reflection().onMethodInvocation(ConpoolEndpoint.Cleared.class, "leasedMarked"))
            .and(reflection().onMethodInvocation(ConpoolEndpoint.CircuitReset.class, "circuitBefore"))
            .and(reflection().onMethodInvocation(ConpoolEndpoint.CircuitReset.class, "circuitAfter"));
    }

    /**
     * {@code Thread.isVirtual} and {@code Thread.startVirtualThread} exist on Java 21+ only, so the predicates (which
     * look methods up) cannot be used on Java 17: the type hint is read instead.
     */
    private static void assertVirtualThreadMethods(RuntimeHints hints) {
        TypeHint thread = hints.reflection().getTypeHint(Thread.class);
        assertThat(thread).as("hint for java.lang.Thread").isNotNull();
        assertThat(thread.methods().map(ExecutableHint::getName)).contains("isVirtual", "startVirtualThread");
    }
}
