package io.conpool.autoconfigure;

import java.util.List;

import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.core.env.Environment;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.support.SpringFactoriesLoader;
import org.springframework.core.io.support.SpringFactoriesLoader.ArgumentResolver;
import org.springframework.core.io.support.SpringFactoriesLoader.FailureHandler;

/**
 * What a user would read for a failed start: the first analysis of the failure analyzers registered in
 * {@code META-INF/spring.factories} (Spring Boot's and conpool's), the way {@code SpringApplication} reports it (analyzers whose libraries are
 * absent are skipped, as there).
 */
final class StartupFailureReport {

    private StartupFailureReport() {
    }

    /** The analysis of the failure, or {@code null} if no analyzer recognised it. */
    static FailureAnalysis analyze(Throwable failure) {
        ArgumentResolver arguments = ArgumentResolver.of(BeanFactory.class, new DefaultListableBeanFactory())
            .and(Environment.class, new StandardEnvironment());
        List<FailureAnalyzer> analyzers = SpringFactoriesLoader
            .forDefaultResourceLocation(StartupFailureReport.class.getClassLoader())
            .load(FailureAnalyzer.class, arguments, FailureHandler.logging(LogFactory.getLog(StartupFailureReport.class)));
        for (FailureAnalyzer analyzer : analyzers) {
            FailureAnalysis analysis = analyzer.analyze(failure);
            if (analysis != null) {
                return analysis;
            }
        }
        return null;
    }

    /** Description and action of the analysis, as printed; the failure's messages if no analyzer knew it. */
    static String text(Throwable failure) {
        FailureAnalysis analysis = analyze(failure);
        if (analysis == null) {
            StringBuilder messages = new StringBuilder("(no failure analysis)");
            for (Throwable t = failure; t != null; t = t.getCause()) {
                messages.append("\n").append(t);
            }
            return messages.toString();
        }
        return analysis.getDescription() + "\nAction:\n" + analysis.getAction();
    }
}
