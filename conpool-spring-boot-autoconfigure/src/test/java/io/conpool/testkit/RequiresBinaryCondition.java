package io.conpool.testkit;

import java.lang.reflect.AnnotatedElement;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/**
 * The JUnit side of {@link RequiresBinary}: disables (skips) the annotated class or method, with the reason naming
 * the Debian package, when a binary is absent; throws the failure of {@link SystemBinaries} instead when
 * {@value SystemBinaries#REQUIRE_PROPERTY} is {@code true}. Properties are read as JUnit configuration parameters,
 * which fall back to system properties. A skip is also announced on the build's console (see
 * {@link SystemBinaries#announceSkip}).
 */
public final class RequiresBinaryCondition implements ExecutionCondition {

    /** Configuration parameter: {@code false} keeps skips off the console (for tests of this rule itself). */
    public static final String ANNOUNCE_PARAMETER = "conpool.announce-skips";

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        AnnotatedElement element = context.getElement().orElse(null);
        if (element == null) {
            return ConditionEvaluationResult.enabled("nothing annotated");
        }
        List<RequiresBinary> needs = AnnotationSupport.findRepeatableAnnotations(element, RequiresBinary.class);
        // Every missing binary in one line, so that one round of apt-get install is enough.
        List<String> skips = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (RequiresBinary need : needs) {
            String property = need.property().isEmpty() ? SystemBinaries.defaultOverrideProperty(need.value())
                    : need.property();
            try {
                SystemBinaries.require(need.value(), need.debianPackage(), property,
                        key -> context.getConfigurationParameter(key).orElse(null));
            }
            catch (TestAbortedException ex) {
                skips.add(ex.getMessage());
            }
            catch (AssertionFailedError ex) {
                failures.add(ex.getMessage());
            }
        }
        if (!failures.isEmpty()) {
            throw new AssertionFailedError(String.join("; ", failures));
        }
        if (!skips.isEmpty()) {
            String reason = String.join("; ", skips);
            if (!"false".equals(context.getConfigurationParameter(ANNOUNCE_PARAMETER).orElse(null))) {
                SystemBinaries.announceSkip(context.getRequiredTestClass().getSimpleName()
                        + context.getTestMethod().map(m -> "." + m.getName()).orElse(""), reason);
            }
            return ConditionEvaluationResult.disabled(reason);
        }
        return ConditionEvaluationResult.enabled(needs.isEmpty() ? "no binary needed" : "binaries present");
    }
}
