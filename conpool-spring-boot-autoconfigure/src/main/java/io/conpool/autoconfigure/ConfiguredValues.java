package io.conpool.autoconfigure;

import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.origin.Origin;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;

/**
 * Reads {@code conpool.*} values as the user wrote them, before conversion, with their origin (file and line). Used
 * to quote bad values exactly in failure messages and to tell a bare number from a duration with a unit.
 */
final class ConfiguredValues {

    private final Iterable<ConfigurationPropertySource> sources;

    private ConfiguredValues(Iterable<ConfigurationPropertySource> sources) {
        this.sources = sources;
    }

    static ConfiguredValues of(Environment environment) {
        if (environment instanceof ConfigurableEnvironment) {
            return new ConfiguredValues(ConfigurationPropertySources.get(environment));
        }
        return new ConfiguredValues(java.util.List.of());
    }

    /** The property as set, or {@code null} if it is not set anywhere (or the name cannot be looked up). */
    ConfigurationProperty find(String propertyName) {
        ConfigurationPropertyName name = lookupName(propertyName);
        if (name == null) {
            return null;
        }
        for (ConfigurationPropertySource source : sources) {
            ConfigurationProperty property = source.getConfigurationProperty(name);
            if (property != null) {
                return property;
            }
        }
        return null;
    }

    /** The value as written, or {@code null}. */
    Object rawValue(String propertyName) {
        ConfigurationProperty property = find(propertyName);
        return property != null ? property.getValue() : null;
    }

    /** Where the value was set, or {@code null}. */
    String origin(String propertyName) {
        ConfigurationProperty property = find(propertyName);
        Origin origin = property != null ? property.getOrigin() : null;
        return origin != null ? origin.toString() : null;
    }

    /**
     * Endpoint names are map keys and may hold characters a dotted property name cannot (upper case, for example);
     * those are looked up in the bracket form {@code conpool.endpoints[Name].host}.
     */
    private static ConfigurationPropertyName lookupName(String propertyName) {
        ConfigurationPropertyName name = ConfigurationPropertyName.ofIfValid(propertyName);
        if (name != null) {
            return name;
        }
        String prefix = ConpoolPropertiesMapper.ENDPOINTS + ".";
        if (propertyName.startsWith(prefix)) {
            String rest = propertyName.substring(prefix.length());
            int dot = rest.indexOf('.');
            String key = dot < 0 ? rest : rest.substring(0, dot);
            String suffix = dot < 0 ? "" : rest.substring(dot);
            return ConfigurationPropertyName.ofIfValid(ConpoolPropertiesMapper.ENDPOINTS + "[" + key + "]" + suffix);
        }
        return null;
    }
}
