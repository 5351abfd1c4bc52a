package io.conpool.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The test class or method needs a program installed on the machine. Where it is absent, the test is skipped with a
 * one-line reason naming the Debian package; under {@code -Dconpool.require-system-tests=true} it fails instead
 * (see {@link SystemBinaries}). Checked before the class is set up, so a skipped class starts nothing (no Spring
 * context either). Repeat it for each program:
 *
 * <pre>{@code
 * @RequiresBinary(value = "/usr/bin/chromium", debianPackage = "chromium", property = "demo.chromium")
 * @RequiresBinary(value = "/usr/bin/chromedriver", debianPackage = "chromium-driver", property = "demo.chromedriver")
 * class DemoPageBrowserTest { ... }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ ElementType.TYPE, ElementType.METHOD })
@Repeatable(RequiresBinary.List.class)
@ExtendWith(RequiresBinaryCondition.class)
public @interface RequiresBinary {

    /** Absolute path of the executable; {@code *} may stand for a version directory. */
    String value();

    /** The Debian package that installs it, named in the skip reason and the failure. */
    String debianPackage();

    /**
     * System property (or JUnit configuration parameter) that points the test at another path; empty (the default)
     * means {@code conpool.binary.<file name>}.
     */
    String property() default "";

    /** Holds repeated {@link RequiresBinary} annotations. */
    @Documented
    @Retention(RetentionPolicy.RUNTIME)
    @Target({ ElementType.TYPE, ElementType.METHOD })
    @ExtendWith(RequiresBinaryCondition.class)
    @interface List {

        RequiresBinary[] value();
    }
}
