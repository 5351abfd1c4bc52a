package io.conpool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * Every file the README and BENCHMARKS.md point at exists in the repository: a reader's clone has nothing else (no
 * {@code ../shared}, no build output), so a link or a path in backquotes that leaves the repository is a broken
 * promise.
 */
class ReadmeLinksTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s#]+)(#[^)]*)?\\)");

    private static final Pattern PARENT_PATH = Pattern.compile("`(\\.\\./[^`\\s]+)`");

    @Test
    void everyLinkResolvesInsideTheRepository() throws IOException {
        List<String> broken = new ArrayList<>();
        for (String doc : List.of("README.md", "BENCHMARKS.md")) {
            String text = Files.readString(ROOT.resolve(doc));
            Matcher m = LINK.matcher(text);
            int links = 0;
            while (m.find()) {
                String target = m.group(1);
                if (target.matches("^[a-z]+:.*")) {
                    continue; // http(s):, mailto:
                }
                links++;
                Path resolved = ROOT.resolve(target).normalize();
                if (!resolved.startsWith(ROOT) || !Files.exists(resolved)) {
                    broken.add(doc + " -> " + target);
                }
            }
            Matcher parent = PARENT_PATH.matcher(text);
            while (parent.find()) {
                broken.add(doc + " mentions " + parent.group(1) + ", outside the repository");
            }
            if (doc.equals("README.md")) {
                assertThat(links).as("links found in README.md").isPositive();
            }
        }
        assertThat(broken).isEmpty();
    }
}
