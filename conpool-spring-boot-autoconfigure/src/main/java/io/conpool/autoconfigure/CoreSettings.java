package io.conpool.autoconfigure;

import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.function.Function;

import io.conpool.HealthCheck;
import io.conpool.PoolConfig;
import io.conpool.ProtocolHandler;

/**
 * Which {@code conpool.*} properties are which {@link PoolConfig} settings, read off the properties classes so that
 * no list of settings is kept by hand on the Spring side.
 *
 * <p>The rule: a property is the {@link PoolConfig.Builder} method (and {@link PoolConfig} getter) named like its
 * path in camel case: {@code connection-timeout} is {@code connectionTimeout}, {@code circuit-breaker.open-duration}
 * is {@code circuitBreakerOpenDuration}; a field annotated {@link CoreName} says its name itself. Properties whose
 * name the builder does not know ({@code dns.ttl}, {@code metrics.enabled}, ...) are the starter's own.
 *
 * <p>With that, one piece of code serves every setting: applying the configured values to a builder (the same for
 * the pool-wide defaults and for each endpoint), naming the property behind a value the core rejects, finding the
 * duration properties (which need a unit) and describing a {@link PoolConfig} in the properties' terms (the actuator
 * endpoint).
 */
public final class CoreSettings {

    private static final ClassValue<List<Leaf>> LEAVES = new ClassValue<>() {
        @Override
        protected List<Leaf> computeValue(Class<?> type) {
            List<Leaf> leaves = new ArrayList<>();
            collect(type, List.of(), leaves);
            return List.copyOf(leaves);
        }
    };

    private CoreSettings() {
    }

    /**
     * Resolves a name given at a property into what the builder method takes: a {@link HealthCheck}, a
     * {@link ProtocolHandler} (built in, or a bean).
     */
    @FunctionalInterface
    interface Names {

        /**
         * @param type the builder method's parameter type
         * @param property the full property name, for messages
         * @param name the name as configured, trimmed
         * @return what to pass to the builder method; {@code null} for none
         */
        Object resolve(Class<?> type, String property, String name);
    }

    /**
     * The settings in force, in the shape of an endpoint's properties ({@code maxConnections},
     * {@code circuitBreaker: {enabled, ...}}): durations as written in {@code application.yml}, {@code null} for
     * unlimited or off, a health check or a protocol handler by its name (never its settings: a protocol's
     * credentials are not core settings and are never shown).
     *
     * @param config the settings of one endpoint
     * @param names the name of a health check or protocol handler (built-in or bean)
     */
    public static Map<String, Object> describe(PoolConfig config, Function<Object, String> names) {
        Map<String, Object> description = new LinkedHashMap<>();
        for (Leaf leaf : leaves(ConpoolProperties.EndpointProperties.class)) {
            if (leaf.getter == null) {
                continue;
            }
            Map<String, Object> group = description;
            for (Field f : leaf.fields.subList(0, leaf.fields.size() - 1)) {
                @SuppressWarnings("unchecked")
                Map<String, Object> nested = (Map<String, Object>) group.computeIfAbsent(f.getName(),
                        k -> new LinkedHashMap<String, Object>());
                group = nested;
            }
            Object value = leaf.valueIn(config);
            if (value instanceof Duration) {
                value = DurationFormat.format((Duration) value);
            }
            else if (value instanceof HealthCheck || value instanceof ProtocolHandler) {
                value = names.apply(value);
            }
            group.put(leaf.fields.get(leaf.fields.size() - 1).getName(), value);
        }
        return description;
    }

    /** Every bindable value of a properties class, own fields first, then inherited ones. */
    static List<Leaf> leaves(Class<?> propertiesClass) {
        return LEAVES.get(propertiesClass);
    }

    /**
     * Sets every core setting that {@code properties} has a value for on the builder, and records in
     * {@code propertyNames} (core name to full property name) where each came from. A blank text counts as not set,
     * as {@code health-check:} with nothing after it in YAML means "no value".
     *
     * @param prefix the properties' prefix, e.g. {@code conpool} or {@code conpool.endpoints.cache}
     * @param names resolves a name given at a property where the builder takes an object (health check, protocol
     *        handler)
     * @throws io.conpool.InvalidConfigException if a builder method rejects a value at once
     */
    static void apply(Object properties, String prefix, PoolConfig.Builder builder, Map<String, String> propertyNames,
            Names names) {
        for (Leaf leaf : leaves(properties.getClass())) {
            Object value = leaf.setter != null ? leaf.read(properties) : null;
            if (value == null || (value instanceof String && ((String) value).isBlank())) {
                continue;
            }
            String property = prefix + "." + leaf.path;
            propertyNames.put(leaf.coreName, property);
            Class<?> takes = leaf.setter.getParameterTypes()[0];
            if (value instanceof String && takes != String.class) {
                value = names.resolve(takes, property, ((String) value).trim());
            }
            invoke(leaf.setter, builder, value);
        }
    }

    /** Core name to full property name, for every core setting of the properties class under that prefix. */
    static Map<String, String> propertyNames(Class<?> propertiesClass, String prefix) {
        Map<String, String> names = new LinkedHashMap<>();
        for (Leaf leaf : leaves(propertiesClass)) {
            if (leaf.setter != null) {
                names.put(leaf.coreName, prefix + "." + leaf.path);
            }
        }
        return names;
    }

    private static void collect(Class<?> type, List<Field> parents, List<Leaf> out) {
        for (Class<?> c = type; c != Object.class; c = c.getSuperclass()) {
            for (Field field : c.getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers()) || Map.class.isAssignableFrom(field.getType())) {
                    continue; // constants, and conpool.endpoints (whose values are read with their own class)
                }
                List<Field> path = new ArrayList<>(parents);
                path.add(field);
                if (isGroup(field.getType())) {
                    collect(field.getType(), path, out);
                }
                else {
                    out.add(new Leaf(path));
                }
            }
        }
    }

    /** A nested group of properties ({@code circuit-breaker}, {@code dns}, ...): one of the starter's own classes. */
    private static boolean isGroup(Class<?> type) {
        return type.getPackage() == CoreSettings.class.getPackage() && !type.isEnum()
                && !Collection.class.isAssignableFrom(type);
    }

    private static Object unwrap(Object value) {
        if (value instanceof Optional) {
            return ((Optional<?>) value).orElse(null);
        }
        if (value instanceof OptionalInt) {
            OptionalInt i = (OptionalInt) value;
            return i.isPresent() ? i.getAsInt() : null;
        }
        if (value instanceof OptionalLong) {
            OptionalLong l = (OptionalLong) value;
            return l.isPresent() ? l.getAsLong() : null;
        }
        return value;
    }

    private static Object invoke(Method method, Object target, Object... args) {
        try {
            return method.invoke(target, args);
        }
        catch (InvocationTargetException ex) {
            if (ex.getCause() instanceof RuntimeException) {
                throw (RuntimeException) ex.getCause(); // an InvalidConfigException, typically
            }
            throw new IllegalStateException("calling " + method, ex.getCause());
        }
        catch (IllegalAccessException ex) {
            throw new IllegalStateException("calling " + method, ex);
        }
    }

    /**
     * One bindable value: its path below the properties' prefix, and, for a core setting, the builder method and the
     * getter of that name.
     */
    static final class Leaf {

        /** The fields from the properties object down to the value (more than one inside groups). */
        final List<Field> fields;

        /** Kebab-case path below the prefix, e.g. {@code circuit-breaker.open-duration}. */
        final String path;

        /** The core's name for it (whether or not the core has such a setting). */
        final String coreName;

        /** {@code PoolConfig.Builder} method, or {@code null} for a setting of the starter's own. */
        final Method setter;

        /** {@code PoolConfig} getter, or {@code null} for a setting of the starter's own. */
        final Method getter;

        /** Under a {@link StarterSetting}: read by the starter to build a core setting, not one itself. */
        final boolean starterSetting;

        Leaf(List<Field> fields) {
            this.fields = List.copyOf(fields);
            StringBuilder path = new StringBuilder();
            StringBuilder camel = new StringBuilder();
            for (Field f : fields) {
                path.append(path.length() == 0 ? "" : ".").append(kebab(f.getName()));
                camel.append(camel.length() == 0 ? f.getName()
                        : Character.toUpperCase(f.getName().charAt(0)) + f.getName().substring(1));
                f.setAccessible(true);
            }
            this.path = path.toString();
            this.starterSetting = fields.stream().anyMatch(f -> f.isAnnotationPresent(StarterSetting.class));
            Field last = fields.get(fields.size() - 1);
            CoreName declared = last.getAnnotation(CoreName.class);
            this.coreName = declared != null ? declared.value() : camel.toString();
            this.setter = starterSetting ? null : method(PoolConfig.Builder.class, coreName, 1);
            this.getter = this.setter != null ? method(PoolConfig.class, coreName, 0) : null;
            if (declared != null && (setter == null || getter == null)) {
                throw new IllegalStateException(last + " names " + coreName
                        + ", which is not a PoolConfig setting with a builder method and a getter");
            }
        }

        /** The core setting's value in that config: unlimited or off as {@code null}. */
        Object valueIn(PoolConfig config) {
            return unwrap(invoke(getter, config));
        }

        /** Type of the bound value. */
        Class<?> type() {
            return fields.get(fields.size() - 1).getType();
        }

        /** The value in that properties object; {@code null} if not set. */
        Object read(Object properties) {
            Object value = properties;
            try {
                for (Field f : fields) {
                    value = f.get(value);
                    if (value == null) {
                        return null;
                    }
                }
            }
            catch (IllegalAccessException ex) {
                throw new IllegalStateException("reading " + path, ex);
            }
            return value;
        }

        private static Method method(Class<?> type, String name, int parameters) {
            for (Method m : type.getMethods()) {
                if (m.getName().equals(name) && m.getParameterCount() == parameters) {
                    return m;
                }
            }
            return null;
        }

        private static String kebab(String camel) {
            return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
        }

        @Override
        public String toString() {
            return path + (setter != null ? " (" + coreName + ")" : "");
        }
    }
}
