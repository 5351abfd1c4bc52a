package io.conpool.autoconfigure;

import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches unless {@code conpool.enabled} is {@code false}. Unlike a plain property condition, a value that is not a
 * boolean ({@code conpool.enabled=perhaps}) fails the start-up, naming the property and value, instead of quietly
 * turning the pool off.
 */
class OnConpoolEnabledCondition extends SpringBootCondition {

    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
        boolean enabled = Binder.get(context.getEnvironment()).bind("conpool.enabled", Boolean.class).orElse(true);
        return enabled ? ConditionOutcome.match("conpool.enabled is true or not set")
                : ConditionOutcome.noMatch("conpool.enabled is false");
    }
}
