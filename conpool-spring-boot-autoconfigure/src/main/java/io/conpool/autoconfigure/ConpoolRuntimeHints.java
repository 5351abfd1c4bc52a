package io.conpool.autoconfigure;

import java.util.List;

import io.conpool.CircuitState;
import io.conpool.autoconfigure.endpoint.ConpoolEndpoint;

import org.springframework.aot.hint.BindingReflectionHintsRegistrar;
import org.springframework.aot.hint.ExecutableMode;
import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;
import org.springframework.aot.hint.TypeReference;
import org.springframework.util.ClassUtils;

/**
 * Hints for Spring's ahead-of-time processing (and so for GraalVM native images): what conpool reaches by reflection
 * or by name that Spring's and Spring Boot's own AOT analysis cannot see. Registered in
 * {@code META-INF/spring/aot.factories}, so it applies whenever the jar is on the class path of an AOT build.
 *
 * <p>Covered without help, and checked by {@code ConpoolRuntimeHintsTests} so that a change in Boot shows up: the
 * {@code conpool.*} properties classes, nested ones included (binding hints that Boot registers for
 * {@code @EnableConfigurationProperties}); the actuator endpoint's operation methods and their declared return types
 * ({@code @ReadOperation} and {@code @DeleteOperation} are {@code @Reflective}); the failure analyzer listed in
 * {@code META-INF/spring.factories}; the auto-configurations themselves (generated bean definitions).
 *
 * <p>Added here:
 * <ul>
 * <li>the concrete answers of the DELETE operation, {@link ConpoolEndpoint.Cleared} and
 * {@link ConpoolEndpoint.CircuitReset}: the operation declares the interface {@link ConpoolEndpoint.Change}, so the
 * actuator's processor registers only that, and Jackson would find no accessor to write;</li>
 * <li>{@link CircuitState}: written by Jackson as the {@code circuit} detail of the health contributor, a value in a
 * {@code Map<String, Object>} that no analysis can follow;</li>
 * <li>{@code Thread.isVirtual()} and {@code Thread.startVirtualThread(Runnable)}: the core looks them up by name
 * through method handles (so that it runs on Java 17), which a native image resolves only for registered
 * methods.</li>
 * <li>what {@link CoreSettings} and {@link io.conpool.PoolConfig} read by reflection so that each setting is written
 * once: the declared fields of the properties classes (walked to find every setting), the public methods of
 * {@link io.conpool.PoolConfig} and its builder (a property's getter and builder method are found by name), and the
 * fields of the core's {@code PoolConfig.Values} (copied, compared and printed field by field).</li>
 * </ul>
 *
 * <p>Nothing else is loaded by name: the built-in health checks ({@code redis-ping}) are instances in a map, a
 * {@code health-check} naming a bean is a bean lookup, and no resource is read at run time (the configuration
 * metadata JSON serves IDEs only).
 */
public class ConpoolRuntimeHints implements RuntimeHintsRegistrar {

    private static final String ACTUATOR_ENDPOINT = "org.springframework.boot.actuate.endpoint.annotation.Endpoint";

    @Override
    public void registerHints(RuntimeHints hints, ClassLoader classLoader) {
        BindingReflectionHintsRegistrar binding = new BindingReflectionHintsRegistrar();
        if (ClassUtils.isPresent(ACTUATOR_ENDPOINT, classLoader)) {
            binding.registerReflectionHints(hints.reflection(), ConpoolEndpoint.Cleared.class,
                    ConpoolEndpoint.CircuitReset.class);
        }
        binding.registerReflectionHints(hints.reflection(), CircuitState.class);
        // Each setting written once: found by reflection (CoreSettings, PoolConfig.Values).
        for (Class<?> settings : List.of(EndpointSettings.class, ConpoolProperties.class,
                ConpoolProperties.EndpointProperties.class)) {
            for (Class<?> c = settings; c != null && c != Object.class; c = c.getSuperclass()) {
                hints.reflection().registerType(c, MemberCategory.ACCESS_DECLARED_FIELDS);
                for (Class<?> nested : c.getDeclaredClasses()) {
                    hints.reflection().registerType(nested, MemberCategory.ACCESS_DECLARED_FIELDS,
                            MemberCategory.INVOKE_PUBLIC_METHODS);
                }
            }
        }
        hints.reflection().registerType(io.conpool.PoolConfig.class, MemberCategory.INVOKE_PUBLIC_METHODS);
        hints.reflection().registerType(io.conpool.PoolConfig.Builder.class, MemberCategory.INVOKE_PUBLIC_METHODS);
        hints.reflection().registerType(TypeReference.of("io.conpool.PoolConfig$Values"),
                MemberCategory.ACCESS_DECLARED_FIELDS);
        // By name: these methods exist on Java 21+ only, and the core compiles for 17.
        hints.reflection()
            .registerType(Thread.class,
                    type -> type.withMethod("isVirtual", List.of(), ExecutableMode.INVOKE)
                        .withMethod("startVirtualThread", List.of(TypeReference.of(Runnable.class)),
                                ExecutableMode.INVOKE));
    }
}
