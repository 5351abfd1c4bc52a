package io.conpool.autoconfigure;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * On a properties field whose name is not the core's name for the setting: the {@link io.conpool.PoolConfig.Builder}
 * method it maps onto. Needed only where a scope renames a setting, as an endpoint's {@code max-connections} is the
 * core's {@code maxConnectionsPerEndpoint}; every other property maps by its own name (see {@link CoreSettings}).
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
@interface CoreName {

    /** The core's name of the setting, e.g. {@code maxConnectionsPerEndpoint}. */
    String value();
}
