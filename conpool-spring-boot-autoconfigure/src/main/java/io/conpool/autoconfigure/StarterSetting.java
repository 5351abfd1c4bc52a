package io.conpool.autoconfigure;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * On a property (or a group of them) in {@link EndpointSettings} that is not a {@link io.conpool.PoolConfig} setting
 * but read by the starter itself to build one: the built-in redis protocol's {@code redis.*}, which become a
 * {@link io.conpool.RedisProtocol} for {@code protocol: redis}. {@link CoreSettings} neither applies nor shows them (a
 * password never reaches the actuator's view); {@code ConpoolPropertiesMapper} reads them.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
@interface StarterSetting {
}
