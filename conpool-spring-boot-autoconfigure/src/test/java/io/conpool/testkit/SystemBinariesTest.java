package io.conpool.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.testkit.engine.EventConditions.container;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.EventConditions.skippedWithReason;
import static org.junit.platform.testkit.engine.EventConditions.test;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.instanceOf;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/**
 * The rule for tests needing a system binary: absent, they are skipped with a reason naming the Debian package;
 * under {@code conpool.require-system-tests=true} they fail; present, they run. The annotated classes below are run
 * by JUnit's own engine inside these tests (surefire does not pick up nested classes by itself), with the switch
 * given explicitly as a configuration parameter so that the CI's {@code -D} does not change what is tested here.
 */
@Timeout(30)
class SystemBinariesTest {

    private static final String MISSING = "/nonexistent/conpool/no-such-binary";

    private static final String MISSING_PACKAGE = "conpool-no-such-package";

    /** Always there on Debian (package dash), so a "present" case runs everywhere. */
    private static final String PRESENT = "/bin/sh";

    static final AtomicInteger RUNS = new AtomicInteger();

    @BeforeEach
    void resetRuns() {
        RUNS.set(0);
    }

    @Test
    void absentBinaryOnAClassSkipsItWithAOneLineReasonNamingThePackage() {
        EngineExecutionResults results = run(NeedsMissingBinary.class,
                Map.of(SystemBinaries.REQUIRE_PROPERTY, "false"));

        results.containerEvents().assertThatEvents().haveExactly(1, event(container(NeedsMissingBinary.class),
                skippedWithReason(reason -> reason.contains(MISSING) && reason.contains(MISSING_PACKAGE)
                        && reason.contains("apt-get install " + MISSING_PACKAGE) && !reason.contains("\n"))));
        assertThat(results.testEvents().started().count()).isZero();
        assertThat(RUNS).hasValue(0);
    }

    @Test
    void absentBinaryUnderTheSwitchFailsTheClassInsteadOfSkippingIt() {
        EngineExecutionResults results = run(NeedsMissingBinary.class, Map.of(SystemBinaries.REQUIRE_PROPERTY, "true"));

        results.containerEvents().assertThatEvents().haveExactly(1, event(container(NeedsMissingBinary.class),
                finishedWithFailure(instanceOf(AssertionFailedError.class),
                        message(m -> m.contains(MISSING) && m.contains(MISSING_PACKAGE)
                                && m.contains(SystemBinaries.REQUIRE_PROPERTY)))));
        assertThat(results.containerEvents().skipped().count()).isZero();
        assertThat(RUNS).hasValue(0);
    }

    @Test
    void presentBinaryRunsTheTestWithOrWithoutTheSwitch() {
        for (String required : new String[] { "false", "true" }) {
            RUNS.set(0);
            EngineExecutionResults results = run(NeedsPresentBinary.class,
                    Map.of(SystemBinaries.REQUIRE_PROPERTY, required));

            results.testEvents().assertStatistics(s -> s.started(1).succeeded(1).skipped(0).failed(0));
            assertThat(RUNS).as("runs with the switch %s", required).hasValue(1);
        }
    }

    @Test
    void onAMethodOnlyThatMethodIsSkipped() {
        EngineExecutionResults results = run(OneMethodNeedsMissingBinary.class,
                Map.of(SystemBinaries.REQUIRE_PROPERTY, "false"));

        results.testEvents().assertStatistics(s -> s.skipped(1).started(1).succeeded(1).failed(0));
        results.testEvents().assertThatEvents().haveExactly(1,
                event(test("needsIt"), skippedWithReason(reason -> reason.contains(MISSING_PACKAGE))));
        assertThat(RUNS).hasValue(1);
    }

    @Test
    void everyMissingBinaryIsNamedInOneLine() {
        for (String required : new String[] { "false", "true" }) {
            EngineExecutionResults results = run(NeedsTwoMissingBinaries.class,
                    Map.of(SystemBinaries.REQUIRE_PROPERTY, required));
            String reason = required.equals("true")
                    ? results.containerEvents().failed().list().get(0).getRequiredPayload(TestExecutionResult.class)
                            .getThrowable().orElseThrow().getMessage()
                    : results.containerEvents().skipped().list().get(0).getRequiredPayload(String.class);
            assertThat(reason).as("with the switch %s", required).contains(MISSING_PACKAGE, "other-package")
                    .doesNotContain("\n");
        }
        assertThat(RUNS).hasValue(0);
    }

    @Test
    void theOverridePropertyPointsAtAnotherPath() {
        EngineExecutionResults results = run(NeedsPresentBinary.class, Map.of(SystemBinaries.REQUIRE_PROPERTY, "false",
                SystemBinaries.defaultOverrideProperty(PRESENT), MISSING));

        results.containerEvents().assertThatEvents().haveExactly(1, event(container(NeedsPresentBinary.class),
                skippedWithReason(reason -> reason.contains(MISSING) && reason.contains("dash"))));
        assertThat(RUNS).hasValue(0);
        assertThat(SystemBinaries.defaultOverrideProperty("/usr/bin/redis-server"))
                .isEqualTo("conpool.binary.redis-server");
    }

    @Test
    void requireFromCodeAbortsFailsOrReturnsThePath() {
        assertThatThrownBy(() -> SystemBinaries.require(MISSING, MISSING_PACKAGE, "", key -> null))
                .isInstanceOf(TestAbortedException.class)
                .hasMessage(MISSING + " not found: install the Debian package " + MISSING_PACKAGE + " (apt-get install "
                        + MISSING_PACKAGE + ") to run this test");
        assertThatThrownBy(() -> SystemBinaries.require(MISSING, MISSING_PACKAGE, "",
                key -> key.equals(SystemBinaries.REQUIRE_PROPERTY) ? "true" : null))
                .isInstanceOf(AssertionFailedError.class)
                .hasMessageContaining("-D" + SystemBinaries.REQUIRE_PROPERTY + "=true")
                .hasMessageContaining("apt-get install " + MISSING_PACKAGE);
        assertThat(SystemBinaries.require(PRESENT, "dash", "", key -> null)).isEqualTo(Path.of(PRESENT));
        assertThat(SystemBinaries.require(MISSING, MISSING_PACKAGE, "my.binary",
                key -> key.equals("my.binary") ? PRESENT : null)).isEqualTo(Path.of(PRESENT));
    }

    @Test
    void aGlobPicksTheHighestVersionAndOnlyExecutables(@TempDir Path dir) throws IOException {
        Path v9 = executable(dir.resolve("pg/9/bin/postgres"));
        Path v15 = executable(dir.resolve("pg/15/bin/postgres"));
        Path v16 = dir.resolve("pg/16/bin/postgres");
        Files.createDirectories(v16.getParent());
        Files.writeString(v16, "not executable");

        assertThat(SystemBinaries.find(dir + "/pg/*/bin/postgres")).contains(v15);
        assertThat(SystemBinaries.find(dir + "/pg/9/bin/postgres")).contains(v9);
        assertThat(SystemBinaries.find(dir + "/pg/1?/bin/postgres")).contains(v15);
        assertThat(SystemBinaries.find(dir + "/pg/*/bin/initdb")).isEmpty();
        assertThat(SystemBinaries.find(dir + "/nothing/*/bin/postgres")).isEmpty();
        assertThat(SystemBinaries.compareVersions("/a/9/b", "/a/15/b")).isNegative();
        assertThat(SystemBinaries.compareVersions("/a/16/b", "/a/15/b")).isPositive();
    }

    private static Path executable(Path p) throws IOException {
        Files.createDirectories(p.getParent());
        Files.writeString(p, "#!/bin/sh\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    private static EngineExecutionResults run(Class<?> testClass, Map<String, String> parameters) {
        return EngineTestKit.engine("junit-jupiter").selectors(selectClass(testClass))
                .configurationParameters(parameters)
                .configurationParameter(RequiresBinaryCondition.ANNOUNCE_PARAMETER, "false")
                .execute();
    }

    @RequiresBinary(value = MISSING, debianPackage = MISSING_PACKAGE)
    static class NeedsMissingBinary {

        @Test
        void runs() {
            RUNS.incrementAndGet();
        }
    }

    @RequiresBinary(value = MISSING, debianPackage = MISSING_PACKAGE)
    @RequiresBinary(value = PRESENT, debianPackage = "dash")
    @RequiresBinary(value = MISSING + "-too", debianPackage = "other-package")
    static class NeedsTwoMissingBinaries {

        @Test
        void runs() {
            RUNS.incrementAndGet();
        }
    }

    @RequiresBinary(value = PRESENT, debianPackage = "dash")
    static class NeedsPresentBinary {

        @Test
        void runs() {
            RUNS.incrementAndGet();
        }
    }

    static class OneMethodNeedsMissingBinary {

        @Test
        @RequiresBinary(value = PRESENT, debianPackage = "dash")
        @RequiresBinary(value = MISSING, debianPackage = MISSING_PACKAGE)
        void needsIt() {
            RUNS.incrementAndGet();
        }

        @Test
        void needsNothing() {
            RUNS.incrementAndGet();
        }
    }
}
