package io.conpool.demo;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;

import io.conpool.testkit.RequiresBinary;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo page in a real headless Chromium (Debian's chromium and chromium-driver, which {@code .ci/run} installs):
 * the page loads and shows the {@code cache} endpoint, generating load from the page fills the charts, and "clear"
 * empties the idle connections. Screenshots go to {@code target/demo-page-*.png}.
 *
 * <p>The browser and driver binaries are given explicitly, so Selenium never tries to download either. Where either is
 * missing, the test is skipped naming the package (and fails under {@code -Dconpool.require-system-tests=true}, as
 * in {@code .ci/run}): see {@link RequiresBinary}.
 */
@RequiresBinary(value = "/usr/bin/chromium", debianPackage = "chromium", property = "demo.chromium")
@RequiresBinary(value = "/usr/bin/chromedriver", debianPackage = "chromium-driver", property = "demo.chromedriver")
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DemoPageBrowserTest {

    private static final String CHROMIUM = System.getProperty("demo.chromium", "/usr/bin/chromium");

    private static final String CHROMEDRIVER = System.getProperty("demo.chromedriver", "/usr/bin/chromedriver");

    private static final Duration WAIT = Duration.ofSeconds(60);

    @LocalServerPort
    private int port;

    @Test
    void pageShowsLiveStatsChartsLoadAndClears() throws IOException {
        Path profile = Files.createTempDirectory("demo-chromium-profile-");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER))
                .usingAnyFreePort()
                .withLogFile(new File("target/chromedriver.log"))
                .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--user-data-dir=" + profile, "--window-size=1400,1500");
        WebDriver driver = null;
        try {
            driver = new ChromeDriver(service, options);
            driver.manage().timeouts().pageLoadTimeout(WAIT).scriptTimeout(WAIT);
            try {
                exercisePage(driver);
            }
            catch (RuntimeException | AssertionError ex) {
                // What the page showed when it went wrong, to read next to the surefire report.
                screenshot(driver, "target/demo-page-failure.png");
                Files.writeString(Paths.get("target/demo-page-failure.txt"),
                        driver.findElement(By.tagName("body")).getText());
                throw ex;
            }
        }
        finally {
            if (driver != null) {
                driver.quit();
            }
            service.stop();
            deleteRecursively(profile);
        }
    }

    private void exercisePage(WebDriver driver) throws IOException {
        // The page redraws its charts and stats on every poll: an element found a moment ago may be gone.
        WebDriverWait wait = new WebDriverWait(driver, WAIT, Duration.ofMillis(200));
        wait.ignoring(StaleElementReferenceException.class);
        driver.get("http://localhost:" + port + "/");
        assertThat(driver.getTitle()).isEqualTo("conpool demo");

        // The page loads and its first poll of /actuator/conpool shows the named endpoint.
        wait.until(d -> "ok".equals(d.findElement(By.id("status")).getAttribute("data-state")));
        WebElement card = wait.until(d -> d.findElement(By.cssSelector("article.endpoint[data-endpoint='cache']")));
        assertThat(card.findElement(By.cssSelector(".name")).getText()).isEqualTo("cache");
        assertThat(stat(card, "max")).isEqualTo("10");
        wait.until(d -> optionValues(d).contains("cache"));
        long reusedBefore = Long.parseLong(stat(card, "reused"));

        // Generate load from the page: more workers than connections, each holding its connection a little.
        setValue(driver, "load-concurrency", "16");
        setValue(driver, "load-count", "3000");
        setValue(driver, "load-hold", "3");
        driver.findElement(By.id("load-button")).click();
        WebElement result = driver.findElement(By.id("load-result"));
        wait.until(d -> "ok".equals(result.getAttribute("data-state")));
        assertThat(result.getAttribute("data-succeeded")).isEqualTo("3000");
        assertThat(result.getText()).contains("3000 of 3000 operations on cache").contains("no failures");

        // The charts show the load: the stats tiles count it, and the per-interval series (which only get a point
        // when acquires happened in that interval) have points.
        wait.until(d -> Long.parseLong(stat(card, "reused")) >= reusedBefore + 2_900);
        wait.until(d -> points(card, "hitrate", "hit rate") >= 1 && points(card, "throughput", "acquires/s") >= 2);
        wait.until(d -> points(card, "connections", "active") >= 3 && points(card, "connections", "idle") >= 3);
        wait.until(d -> !"0%".equals(stat(card, "hitRate")));
        wait.until(d -> card.findElements(By.cssSelector("svg[data-chart='connections'] text.legend")).stream()
                .anyMatch(legend -> legend.getText().startsWith("idle ")));
        screenshot(driver, "target/demo-page-after-load.png");

        // The tiles may still show a poll taken before the run ended (the POST can answer before the next poll
        // lands): wait for one that shows the run over, with its connections back in the pool.
        wait.until(d -> "0".equals(stat(card, "active")) && "0".equals(stat(card, "pending")));

        // "clear" closes the idle connections: idle drops to 0 and the closed count rises.
        // Idle and closed read in one script, so both come from the same poll: the pool's sweep may trim idle
        // connections at any moment (closing some), and only a consistent pair makes the sum below exact.
        List<?> pair = (List<?>) ((JavascriptExecutor) driver).executeScript("var card = arguments[0];"
                + "return [card.querySelector(\"[data-stat='idle'] .value\").textContent,"
                + " card.querySelector(\"[data-stat='closed'] .value\").textContent];", card);
        int idleBefore = Integer.parseInt((String) pair.get(0));
        long closedBefore = Long.parseLong((String) pair.get(1));
        assertThat(idleBefore).isPositive();
        card.findElement(By.cssSelector("button.clear")).click();
        WebElement cleared = card.findElement(By.cssSelector(".clear-result"));
        wait.until(d -> cleared.getText().startsWith("Cleared: closed "));
        assertThat(cleared.getAttribute("data-state")).isEqualTo("ok");
        wait.until(d -> "0".equals(stat(card, "idle")) && Long.parseLong(stat(card, "closed")) >= closedBefore + idleBefore);
        screenshot(driver, "target/demo-page-after-clear.png");
    }

    private static String stat(WebElement card, String name) {
        return card.findElement(By.cssSelector("[data-stat='" + name + "'] .value")).getText();
    }

    private static int points(WebElement card, String chart, String series) {
        String n = card.findElement(By.cssSelector("svg[data-chart='" + chart + "'] path[data-series='" + series + "']"))
                .getAttribute("data-points");
        return Integer.parseInt(n);
    }

    private static String optionValues(WebDriver driver) {
        StringBuilder values = new StringBuilder();
        driver.findElements(By.cssSelector("#load-endpoint option")).forEach(o -> values.append(o.getAttribute("value")).append(' '));
        return values.toString();
    }

    private static void setValue(WebDriver driver, String id, String value) {
        WebElement input = driver.findElement(By.id(id));
        input.clear();
        input.sendKeys(value);
    }

    private static void screenshot(WebDriver driver, String path) throws IOException {
        File shot = ((ChromeDriver) driver).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), Paths.get(path), StandardCopyOption.REPLACE_EXISTING);
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
