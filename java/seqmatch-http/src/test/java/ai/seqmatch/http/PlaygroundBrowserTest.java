/*
 * The playground page (GET /) in real headless Chromium from Debian, driven by Selenium through Debian's
 * chromedriver, against a real HttpServer on the crafted test model whose <bkspc> logit is raised (greedy
 * decoding types, deletes, types another token, ...). What the page must show: struck-out deletions while
 * it streams, and, once done, standing text equal to the non-streaming API's completion for the same request,
 * with the same token and backspace counts. Screenshots go to target/playground/.
 * No driver is downloaded: both binaries are given, so Selenium Manager is never run. Skips, with the
 * reason, where Chromium or its driver is absent (scripts/setup.sh installs both).
 *   mvn -B verify -Dseqmatch.native.skip -pl java/seqmatch-http -am -Dtest=PlaygroundBrowserTest
 *       -Dsurefire.failIfNoSpecifiedTests=false
 */
package ai.seqmatch.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.seqmatch.serving.ServerLimits;
import ai.seqmatch.serving.ServingCore;
import ai.seqmatch.serving.TestModels;
import ai.seqmatch.serving.engine.OrtStepEngine;
import ai.seqmatch.serving.engine.StepEngine;
import ai.seqmatch.tokenize.Tokenizer;
import ai.seqmatch.tokenize.Tokenizers;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

class PlaygroundBrowserTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final String TOKEN = "playground-test-token";
  private static final String MODEL = "crafted-bkspc";
  private static final String PROMPT = "The playground shows deletions: ";
  private static final Duration GENERATION = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();
  // The test drives the page over WebDriver only; Selenium's note that it has no CDP bindings for this
  // Chromium version is noise here. Held in a field: java.util.logging keeps loggers weakly.
  private static final Logger CDP_LOG = Logger.getLogger("org.openqa.selenium.devtools.CdpVersionFinder");

  private static StepEngine engine;
  private static Tokenizer tokenizer;
  private static ServingCore core;
  private static HttpServer server;
  private static ChromeDriver browser;
  private static String base;

  private static boolean chromiumInstalled() {
    return Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
  }

  @BeforeAll
  static void start() {
    if (!chromiumInstalled()) {
      return; // each test skips with the reason (a class-level assumption would show as 0 tests, not skipped)
    }
    CDP_LOG.setLevel(Level.SEVERE);
    Path onnx = TestModels.onnx();
    engine = OrtStepEngine.load(onnx, 1);
    tokenizer = Tokenizers.load(onnx).orElseThrow();
    core = ServingCore.create(engine, tokenizer, ServerLimits.defaults());
    server = HttpServer.builder(core).optAuthToken(TOKEN).optModelName(MODEL).build().start();
    base = "http://127.0.0.1:" + server.port();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start; the page is our own.
    // --disable-dev-shm-usage: containers often have a tiny /dev/shm. The rest keep it off the network.
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
        "--window-size=1280,900", "--no-proxy-server", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync");
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort().build();
    browser = new ChromeDriver(service, options);
  }

  @BeforeEach
  void needsChromium() {
    assumeTrue(chromiumInstalled(), "headless Chromium is not installed (" + CHROMIUM + " and " + CHROMEDRIVER
        + " are needed: apt-get install chromium chromium-driver, as scripts/setup.sh does)");
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (server != null) {
      server.shutdown(Duration.ofSeconds(5));
    }
    if (core != null) {
      core.close();
    }
    if (tokenizer != null) {
      tokenizer.close();
    }
    if (engine != null) {
      engine.close();
    }
  }

  @Test
  void aSampledGenerationStrikesOutItsDeletionsAndEndsOnTheApisText() throws Exception {
    openWithToken();
    fill("prompt", PROMPT);
    fill("max_tokens", "24");
    fill("temperature", "1");
    fill("top_p", "0.95");
    fill("seed", "7");
    assertEquals("done", generate(), "the page's status: " + text("status"));
    screenshot("sampled.png");
    List<WebElement> deleted = browser.findElements(By.cssSelector("#completion del.deleted"));
    assertFalse(deleted.isEmpty(), "no deletion was shown; transcript: " + text("completion"));

    JsonNode api = complete(JSON.createObjectNode().put("prompt", PROMPT).put("max_tokens", 24)
        .put("temperature", 1).put("top_p", 0.95).put("seed", 7));
    String expected = api.at("/choices/0/text").asText();
    assertFalse(expected.isEmpty(), "the seed should leave text standing: " + api);
    assertEquals(expected, standingText(), "the page's final text vs the API's");
    assertEquals(api.at("/seqmatch/backspaces").asText(), text("stat-backspaces"));
    assertEquals(api.at("/usage/completion_tokens").asText(), text("stat-tokens"));
    assertEquals(api.at("/choices/0/finish_reason").asText(), text("stat-finish"));

    browser.findElement(By.id("show-deleted")).click(); // off: only the completion stays visible
    assertEquals(deleted.size(), hiddenDeletions(), "deleted text still shown");
    browser.findElement(By.id("show-deleted")).click();
    assertEquals(0, hiddenDeletions(), "deleted text not shown again");
  }

  /** This model's greedy decoding deletes every token it types (no-retype picks the next one each time). */
  @Test
  void greedyIsSentAsTemperatureZero() throws Exception {
    openWithToken();
    fill("prompt", PROMPT);
    fill("max_tokens", "16");
    browser.findElement(By.id("greedy")).click();
    assertFalse(browser.findElement(By.id("temperature")).isEnabled(), "greedy disables temperature");
    assertEquals("done", generate(), "the page's status: " + text("status"));
    screenshot("greedy.png");
    JsonNode api = complete(JSON.createObjectNode().put("prompt", PROMPT).put("max_tokens", 16)
        .put("temperature", 0));
    assertTrue(api.at("/seqmatch/backspaces").asInt() > 0, api.toString());
    assertEquals(api.at("/choices/0/text").asText(), standingText(), "the page's final text vs the API's");
    assertEquals(api.at("/seqmatch/backspaces").asText(), text("stat-backspaces"));
    assertFalse(browser.findElements(By.cssSelector("#completion del.deleted")).isEmpty(), text("completion"));
  }

  @Test
  void withoutTheTokenThePageSaysUnauthorized() {
    browser.get(base + "/");
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(10));
    wait.until(d -> text("model").contains("401"));
    fill("prompt", PROMPT);
    assertEquals("error", generate());
    assertTrue(text("status").startsWith("Error: 401"), text("status"));
  }

  @Test
  void thePageLoadsNothingFromElsewhere() {
    openWithToken();
    @SuppressWarnings("unchecked")
    List<String> loaded = (List<String>) browser.executeScript("return performance.getEntriesByType('resource')"
        + ".map(e => e.name).concat([...document.querySelectorAll('[src], [href]')].map(e => e.src || e.href))");
    assertTrue(loaded.stream().anyMatch(u -> u.endsWith("/playground/playground.js")), loaded.toString());
    for (String url : loaded) {
      assertTrue(url.startsWith(base + "/"), "loaded from elsewhere: " + url);
    }
  }

  /** Opens the page, enters the token and waits for the model list that needs it. */
  private static void openWithToken() {
    browser.get(base + "/");
    browser.findElement(By.tagName("summary")).click(); // opens the token field
    fill("token", TOKEN);
    new WebDriverWait(browser, Duration.ofSeconds(10)).until(d -> text("model").equals("model: " + MODEL));
  }

  /** Clicks Generate and waits for the stream to end; returns the transcript's final state. */
  private static String generate() {
    browser.findElement(By.id("generate")).click();
    WebElement transcript = browser.findElement(By.id("transcript"));
    new WebDriverWait(browser, GENERATION).until(d -> List.of("done", "error", "stopped")
        .contains(transcript.getDomAttribute("data-state")));
    return transcript.getDomAttribute("data-state");
  }

  /** Replaces an input's value; the change event fires when focus leaves it. */
  private static void fill(String id, String value) {
    WebElement e = browser.findElement(By.id(id));
    e.clear();
    e.sendKeys(value);
    browser.findElement(By.tagName("h1")).click();
  }

  private static String text(String id) {
    return browser.findElement(By.id(id)).getText();
  }

  /** The completion as the page leaves it: the exact text of the token spans that are not struck out. */
  private static String standingText() {
    return (String) browser.executeScript("return Array.from(document.querySelectorAll('#completion span.tok'))"
        + ".map(e => e.textContent).join('')");
  }

  /** Struck-out elements that CSS hides (by display, since some hold only a newline and have no size). */
  private static long hiddenDeletions() {
    return (Long) browser.executeScript("return [...document.querySelectorAll('#completion del.deleted')]"
        + ".filter(e => getComputedStyle(e).display === 'none').length");
  }

  private static JsonNode complete(ObjectNode body) throws IOException, InterruptedException {
    HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
        .header("Content-Type", "application/json").header("Authorization", "Bearer " + TOKEN)
        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).timeout(GENERATION).build();
    HttpResponse<String> r = HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return JSON.readTree(r.body());
  }

  private static void screenshot(String name) throws IOException {
    Path dir = Path.of("target", "playground");
    Files.createDirectories(dir);
    File shot = browser.getScreenshotAs(OutputType.FILE);
    Files.copy(shot.toPath(), dir.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }
}
