package io.conpool.autoconfigure;

import io.conpool.InvalidConfigException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains a start-up that failed on a bad {@code conpool.*} value in the shape of Spring Boot's own binding
 * failures: the property, the value as written, where it was written, and what is wrong with it.
 */
class ConpoolFailureAnalyzer extends AbstractFailureAnalyzer<InvalidConfigException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, InvalidConfigException cause) {
        String reason = cause.reason();
        String origin = cause instanceof InvalidConpoolPropertyException ex ? ex.origin() : null;
        StringBuilder description = new StringBuilder("Invalid conpool configuration:\n\n");
        description.append("    Property: ").append(cause.property()).append('\n');
        description.append("    Value: ").append(cause.value() == null ? "(not set)" : "\"" + cause.value() + "\"")
            .append('\n');
        if (origin != null) {
            description.append("    Origin: ").append(origin).append('\n');
        }
        description.append("    Reason: ").append(reason).append('\n');
        String action = "Update your application's configuration: " + cause.property() + " " + reason
                + ". The conpool.* properties are described in the conpool README and in your IDE's completion.";
        return new FailureAnalysis(description.toString(), action, cause);
    }
}
