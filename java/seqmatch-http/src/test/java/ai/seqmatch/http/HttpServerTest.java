/*
 * The OpenAI-compatible HTTP front end in-process over the crafted <bkspc>-heavy test model (TestModels:
 * ONNX engine, byte tokenizer), with the JDK's HTTP client. Results are checked against independent
 * computations: greedy text against the native Generator on the same checkpoint, chat prompts against a
 * hand-built rendering of the template, streamed deltas against the non-streamed completion with the same
 * seed. Also: OpenAI's error shape (400 naming the field, 401, 404, 429, 503), and disconnects freeing rows (a single
 * stream, and 64 concurrent streams with random disconnects: no leaked rows, RSS flat), and HTTPS with the
 * TLS checks gRPC has. No timing asserts.
 */
package ai.seqmatch.http;

import static ai.seqmatch.serving.TestWait.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.Device;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.sample.GenerationResult;
import ai.seqmatch.sample.Generator;
import ai.seqmatch.sample.SamplingOptions;
import ai.seqmatch.serving.ServerLimits;
import ai.seqmatch.serving.ServingCore;
import ai.seqmatch.serving.TestCertificates;
import ai.seqmatch.serving.TestModels;
import ai.seqmatch.serving.ThrottledEngine;
import ai.seqmatch.serving.engine.OrtStepEngine;
import ai.seqmatch.serving.engine.StepEngine;
import ai.seqmatch.tokenize.Tokenizer;
import ai.seqmatch.tokenize.Tokenizers;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class HttpServerTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String TOKEN = "test-token-123";
  static final String TEMPLATE = "{{ bos_token }}{% for m in messages %}<|{{ m.role }}|>{{ m.content }}\n"
      + "{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}";

  static StepEngine engine;
  static Tokenizer tokenizer;
  static ServingCore core;
  static HttpServer server;
  static HttpClient client;
  static String base;

  @BeforeAll
  static void start() throws IOException {
    Path onnx = TestModels.onnx();
    engine = OrtStepEngine.load(onnx, 1);
    tokenizer = Tokenizers.load(onnx).orElseThrow();
    Path modelDir = Files.createTempDirectory(TestModels.workDir(), "http-model-");
    JsonNode config = JSON.createObjectNode().put("chat_template", TEMPLATE).put("bos_token", "")
        .put("eos_token", "");
    Files.writeString(modelDir.resolve("tokenizer_config.json"), JSON.writeValueAsString(config));
    core = ServingCore.create(engine, tokenizer, ServerLimits.defaults().withMaxBatch(16).withMaxQueue(96));
    server = HttpServer.builder(core).optAuthToken(TOKEN).optModelName("tiny").optModelDir(modelDir)
        .optDrainTimeout(Duration.ofSeconds(5)).build().start();
    client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    base = "http://127.0.0.1:" + server.port();
  }

  @AfterAll
  static void stop() {
    server.shutdown(Duration.ofSeconds(5));
    core.close();
    engine.close();
  }

  static HttpResponse<String> post(String path, String body, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> get(String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30)).GET();
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode ok(HttpResponse<String> r) throws IOException {
    assertEquals(200, r.statusCode(), r.body());
    return JSON.readTree(r.body());
  }

  /** The data payloads of an SSE body, [DONE] included. */
  static List<String> events(String body) {
    List<String> out = new ArrayList<>();
    for (String block : body.split("\n\n")) {
      if (!block.isBlank()) {
        assertTrue(block.startsWith("data: "), "not an SSE data line: " + block);
        out.add(block.substring("data: ".length()));
      }
    }
    return out;
  }

  /**
   * The native sampler's text on the same checkpoint. Greedy runs with backspace off: the crafted model's
   * greedy policy alternates a token and <bkspc>, so its greedy text with deletions is empty.
   */
  static String reference(long[] prompt, int maxNew, Long seed, double temperature) {
    try (CausalLM model = CausalLM.load(TestModels.checkpoint(), Device.cpu()); Generator g = new Generator(model)) {
      SamplingOptions.Builder o = SamplingOptions.builder().optMaxNewTokens(maxNew);
      o = seed == null ? o.optGreedy(true).optAllowBackspace(false) : o.optSeed(seed).optTemperature(temperature);
      GenerationResult r = g.generate(prompt, o.build());
      return tokenizer.decode(r.generated(), true);
    }
  }

  @Test
  void modelsHealthAndMetrics() throws Exception {
    JsonNode models = ok(get("/v1/models", TOKEN));
    assertEquals("list", models.get("object").asText());
    assertEquals("tiny", models.get("data").get(0).get("id").asText());
    assertEquals(200, get("/health", null).statusCode()); // open, like gRPC health
    String metrics = get("/metrics", null).body();
    for (String name : List.of("seqmatch_queue_length ", "seqmatch_active_rows ", "seqmatch_tokens_per_second ",
        "seqmatch_backspaces_total ", "seqmatch_time_to_first_token_seconds_bucket{le=\"+Inf\"} ",
        "seqmatch_inter_token_latency_seconds_count ")) {
      assertTrue(metrics.contains(name), name + " missing from:\n" + metrics);
    }
    // The playground page, when the build has it (open, like /health); otherwise 404 in OpenAI's shape.
    boolean page = HttpServerTest.class.getClassLoader().getResource(Playground.DIR + "index.html") != null;
    HttpResponse<String> root = get("/", null);
    if (page) {
      assertEquals(200, root.statusCode());
      assertTrue(root.headers().firstValue("content-type").orElse("").startsWith("text/html"));
    } else {
      assertError(root, 404, null);
    }
    assertError(get("/playground/..%2Fsecret.html", null), 404, null);
  }

  @Test
  void completionsEqualTheNativeGenerator() throws Exception {
    String noBkspc = ",\"seqmatch\":{\"allow_backspace\":false}";
    JsonNode r = ok(post("/v1/completions", "{\"model\":\"tiny\",\"prompt\":\"Hello\",\"max_tokens\":24,"
        + "\"temperature\":0" + noBkspc + "}", TOKEN));
    assertEquals("text_completion", r.get("object").asText());
    String expected = reference(tokenizer.encodePrompt("Hello"), 24, null, 0);
    assertFalse(expected.isEmpty());
    assertEquals(expected, r.get("choices").get(0).get("text").asText());
    assertEquals(tokenizer.encodePrompt("Hello").length, r.get("usage").get("prompt_tokens").asInt());
    // Token ids as the prompt: the same ids, the same text.
    StringBuilder ids = new StringBuilder();
    for (long id : tokenizer.encodePrompt("Hello")) {
      ids.append(ids.length() == 0 ? "" : ",").append(id);
    }
    JsonNode byIds = ok(post("/v1/completions", "{\"prompt\":[" + ids + "],\"max_tokens\":24,\"temperature\":0"
        + noBkspc + "}", TOKEN));
    assertEquals(expected, byIds.get("choices").get(0).get("text").asText());
    // Seeded sampling with deletions: the same random stream as the native sampler.
    int backspaces = 0;
    for (long seed = 1; seed <= 3; seed++) {
      JsonNode s = ok(post("/v1/completions", "{\"prompt\":\"Hello\",\"max_tokens\":24,\"temperature\":1.5,"
          + "\"seed\":" + seed + "}", TOKEN));
      assertEquals(reference(tokenizer.encodePrompt("Hello"), 24, seed, 1.5), s.get("choices").get(0).get("text")
          .asText(), "seed " + seed);
      backspaces += s.get("seqmatch").get("backspaces").asInt();
    }
    assertTrue(backspaces > 0, "the crafted model deletes about 1 action in 4");
  }

  @Test
  void plainStreamsJoinToTheFinalTextAndBackspaceEventsRebuildIt() throws Exception {
    int backspaces = 0;
    boolean sawBackspaceChunk = false;
    for (int seed = 1; seed <= 4; seed++) {
      String req = "\"prompt\":\"Hi\",\"max_tokens\":32,\"temperature\":1.5,\"seed\":" + seed;
      JsonNode whole = ok(post("/v1/completions", "{" + req + "}", TOKEN));
      String text = whole.get("choices").get(0).get("text").asText();
      backspaces += whole.get("seqmatch").get("backspaces").asInt();

      HttpResponse<String> plain = post("/v1/completions", "{" + req + ",\"stream\":true,"
          + "\"stream_options\":{\"include_usage\":true}}", TOKEN);
      assertEquals(200, plain.statusCode(), plain.body());
      assertTrue(plain.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
      List<String> ev = events(plain.body());
      assertEquals("[DONE]", ev.get(ev.size() - 1));
      StringBuilder joined = new StringBuilder();
      String finish = null;
      for (String e : ev.subList(0, ev.size() - 2)) {
        JsonNode c = JSON.readTree(e).get("choices").get(0);
        assertFalse(c.has("backspace"), "a plain client got a backspace: " + e);
        joined.append(c.get("text").asText());
        finish = c.get("finish_reason").isNull() ? finish : c.get("finish_reason").asText();
      }
      assertEquals(text, joined.toString(), "seed " + seed);
      assertEquals(whole.get("choices").get(0).get("finish_reason").asText(), finish);
      JsonNode usage = JSON.readTree(ev.get(ev.size() - 2));
      assertEquals(0, usage.get("choices").size());
      assertEquals(whole.get("usage"), usage.get("usage"));

      HttpResponse<String> edits = post("/v1/completions", "{" + req + ",\"stream\":true,"
          + "\"seqmatch\":{\"backspace_events\":true}}", TOKEN);
      StringBuilder rebuilt = new StringBuilder();
      for (String e : events(edits.body())) {
        if (e.equals("[DONE]")) {
          continue;
        }
        JsonNode c = JSON.readTree(e).get("choices").get(0);
        sawBackspaceChunk |= c.path("backspace").asInt() > 0;
        int k = c.path("delete_chars").asInt();
        rebuilt.setLength(k == 0 ? rebuilt.length() : rebuilt.offsetByCodePoints(rebuilt.length(), -k));
        rebuilt.append(c.get("text").asText());
      }
      assertEquals(text, rebuilt.toString(), "seed " + seed);
    }
    assertTrue(backspaces > 0 && sawBackspaceChunk, "the crafted model deletes about 1 action in 4");
  }

  @Test
  void chatIsRenderedWithTheModelsTemplate() throws Exception {
    String rendered = "<|system|>Be brief.\n<|user|>Hi there\n<|assistant|>"; // TEMPLATE by hand
    long[] prompt = tokenizer.encode(rendered);
    String noBkspc = ",\"seqmatch\":{\"allow_backspace\":false}";
    JsonNode r = ok(post("/v1/chat/completions", "{\"model\":\"tiny\",\"messages\":[{\"role\":\"system\","
        + "\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Hi there\"}],\"max_tokens\":16,"
        + "\"temperature\":0" + noBkspc + "}", TOKEN));
    assertEquals("chat.completion", r.get("object").asText());
    assertEquals("assistant", r.get("choices").get(0).get("message").get("role").asText());
    assertEquals(prompt.length, r.get("usage").get("prompt_tokens").asInt());
    String expected = reference(prompt, 16, null, 0);
    assertFalse(expected.isEmpty());
    assertEquals(expected, r.get("choices").get(0).get("message").get("content").asText());

    HttpResponse<String> s = post("/v1/chat/completions", "{\"messages\":[{\"role\":\"system\",\"content\":"
        + "\"Be brief.\"},{\"role\":\"user\",\"content\":\"Hi there\"}],\"max_tokens\":16,\"temperature\":0,"
        + "\"stream\":true" + noBkspc + "}", TOKEN);
    StringBuilder joined = new StringBuilder();
    List<String> ev = events(s.body());
    assertEquals("assistant", JSON.readTree(ev.get(0)).get("choices").get(0).get("delta").get("role").asText());
    for (String e : ev.subList(0, ev.size() - 1)) {
      assertEquals("chat.completion.chunk", JSON.readTree(e).get("object").asText());
      joined.append(JSON.readTree(e).get("choices").get(0).get("delta").get("content").asText());
    }
    assertEquals(r.get("choices").get(0).get("message").get("content").asText(), joined.toString());
  }

  @Test
  void errorsUseOpenAisShape() throws Exception {
    assertError(post("/v1/completions", "{\"prompt\":\"Hi\",\"temperature\":\"hot\"}", TOKEN), 400, "temperature");
    assertError(post("/v1/completions", "{\"prompt\":\"Hi\",\"top_p\":1.5}", TOKEN), 400, "top_p");
    assertError(post("/v1/completions", "{\"prompt\":\"Hi\",\"max_tokens\":100000}", TOKEN), 400, "max_tokens");
    assertError(post("/v1/completions", "{\"prompt\":\"Hi\",\"n\":2}", TOKEN), 400, "n");
    assertError(post("/v1/completions", "{\"prompt\":\"Hi\",\"logprobs\":5}", TOKEN), 400, "logprobs");
    assertError(post("/v1/completions", "{\"prompt\":\"Hi\",\"stream_options\":{\"include_usage\":true}}", TOKEN),
        400, "stream_options");
    assertError(post("/v1/completions", "{\"max_tokens\":4}", TOKEN), 400, "prompt");
    assertError(post("/v1/completions", "{\"prompt\":[1,999999]}", TOKEN), 400, "prompt");
    assertError(post("/v1/completions", "not json", TOKEN), 400, null);
    assertError(post("/v1/chat/completions", "{\"messages\":[]}", TOKEN), 400, "messages");
    assertError(post("/v1/completions", "{\"prompt\":\"Hi\"}", null), 401, null);
    assertError(post("/v1/completions", "{\"prompt\":\"Hi\"}", "wrong"), 401, null);
    assertError(get("/v1/models", null), 401, null);
    assertError(post("/v1/completions", "{\"model\":\"other\",\"prompt\":\"Hi\"}", TOKEN), 404, "model");
    assertError(get("/v1/nope", TOKEN), 404, null);
  }

  @Test
  void anOversizedBodyIs413WithOpenAisShape() throws Exception {
    try (java.net.Socket sock = new java.net.Socket("127.0.0.1", server.port())) {
      sock.setSoTimeout(30_000);
      int tooBig = core.limits().maxInboundMessageBytes() + 1; // announced only: the server must not read it
      sock.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
          + "\r\nContent-Type: application/json\r\nContent-Length: " + tooBig + "\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      String response = new String(sock.getInputStream().readAllBytes(), StandardCharsets.UTF_8); // then closed
      assertTrue(response.startsWith("HTTP/1.1 413"), response);
      JsonNode e = JSON.readTree(response.substring(response.indexOf("\r\n\r\n") + 4)).get("error");
      assertEquals("request_too_large", e.get("code").asText(), response);
    }
  }

  static void assertError(HttpResponse<String> r, int status, String param) throws IOException {
    assertEquals(status, r.statusCode(), r.body());
    JsonNode e = JSON.readTree(r.body()).get("error");
    assertNotNull(e, r.body());
    assertTrue(e.get("message").isTextual() && !e.get("message").asText().isBlank(), r.body());
    assertTrue(e.get("type").isTextual(), r.body());
    assertTrue(e.has("param") && e.has("code"), r.body());
    if (param != null) {
      assertEquals(param, e.get("param").asText(), r.body());
      assertTrue(e.get("message").asText().contains(param), r.body());
    }
  }

  @Test
  void overloadIs429AndDrainingIs503() throws Exception {
    ThrottledEngine slow = new ThrottledEngine(OrtStepEngine.load(TestModels.onnx(), 1));
    ServingCore c = ServingCore.create(slow, tokenizer, ServerLimits.defaults().withMaxBatch(1).withMaxQueue(1));
    HttpServer s = HttpServer.builder(c).build().start();
    String url = "http://127.0.0.1:" + s.port();
    slow.hold(); // rows take no step until released: one runs, one waits, the queue is full
    try {
      List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        held.add(client.sendAsync(HttpRequest.newBuilder(URI.create(url + "/v1/completions"))
            .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Hi\",\"max_tokens\":4}")).build(),
            HttpResponse.BodyHandlers.ofString()));
      }
      assertTrue(waitFor(() -> c.scheduler().inFlight() == 2), "in flight: " + c.scheduler().inFlight());
      HttpResponse<String> busy = client.send(HttpRequest.newBuilder(URI.create(url + "/v1/completions"))
          .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Hi\",\"max_tokens\":4}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertError(busy, 429, null);
      c.drain(); // as at shutdown: what runs and waits finishes, new requests are refused
      assertEquals(503, client.send(HttpRequest.newBuilder(URI.create(url + "/health")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode());
      assertError(client.send(HttpRequest.newBuilder(URI.create(url + "/v1/completions"))
          .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Hi\"}")).build(),
          HttpResponse.BodyHandlers.ofString()), 503, null);
      slow.release();
      for (CompletableFuture<HttpResponse<String>> f : held) {
        assertEquals(200, f.get(60, TimeUnit.SECONDS).statusCode());
      }
    } finally {
      slow.release();
      s.shutdown(Duration.ofSeconds(5));
      c.close();
      slow.close();
    }
  }

  @Test
  void tlsServesHttpsWithTheSameChecksAsGrpc() throws Exception {
    Path[] pem = TestCertificates.selfSigned(Files.createTempDirectory(TestModels.workDir(), "http-tls-"));
    HttpServer tls = HttpServer.builder(core).optTls(pem[0], pem[1]).optAuthToken(TOKEN).build().start();
    try {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      try (InputStream in = Files.newInputStream(pem[0])) {
        trust.setCertificateEntry("seqmatch", CertificateFactory.getInstance("X.509").generateCertificate(in));
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      HttpClient https = HttpClient.newBuilder().sslContext(ssl).version(HttpClient.Version.HTTP_1_1).build();
      HttpResponse<String> r = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + tls.port()
          + "/v1/completions")).header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.ofString(
          "{\"prompt\":\"Hi\",\"max_tokens\":6,\"temperature\":0,\"seqmatch\":{\"allow_backspace\":false}}"))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(reference(tokenizer.encodePrompt("Hi"), 6, null, 0), ok(r).get("choices").get(0).get("text")
          .asText());
      HttpRequest plain = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + tls.port() + "/health")).build();
      org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
          () -> client.send(plain, HttpResponse.BodyHandlers.ofString()));
      Path[] other = TestCertificates.selfSigned(Files.createTempDirectory(TestModels.workDir(), "http-tls-b-"));
      ai.seqmatch.InvalidInputException mismatch = org.junit.jupiter.api.Assertions.assertThrows(
          ai.seqmatch.InvalidInputException.class, () -> HttpServer.builder(core).optTls(pem[0], other[1]).build());
      assertTrue(mismatch.getMessage().contains("does not match"), mismatch.getMessage());
    } finally {
      tls.shutdown(Duration.ofSeconds(2));
    }
  }

  /** A streaming request whose body the caller reads (and may abandon: closing it drops the connection). */
  static HttpResponse<InputStream> stream(int maxTokens, long seed) throws Exception {
    HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/v1/completions")).timeout(Duration.ofSeconds(120))
        .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Hi\",\"max_tokens\":" + maxTokens
            + ",\"temperature\":1,\"seed\":" + seed + ",\"stream\":true,\"seqmatch\":{\"backspace_events\":true}}"))
        .build();
    return client.send(req, HttpResponse.BodyHandlers.ofInputStream());
  }

  static int metric(String name) throws Exception {
    Matcher m = Pattern.compile("(?m)^" + name + " (\\d+)").matcher(get("/metrics", null).body());
    assertTrue(m.find(), name);
    return Integer.parseInt(m.group(1));
  }

  static boolean idle() {
    try {
      return metric("seqmatch_active_rows") == 0 && metric("seqmatch_requests_in_flight") == 0
          && server.sessions() == 0;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void aClientThatDisconnectsFreesItsRow() throws Exception {
    // Slowed steps, so the row cannot finish on its own while the test reads and hangs up.
    ThrottledEngine slow = new ThrottledEngine(OrtStepEngine.load(TestModels.onnx(), 1));
    slow.stepDelayMillis = 20;
    ServingCore c = ServingCore.create(slow, tokenizer, ServerLimits.defaults());
    HttpServer s = HttpServer.builder(c).build().start();
    try {
      HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port()
          + "/v1/completions")).POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Hi\",\"max_tokens\":90,"
          + "\"temperature\":1,\"seed\":5,\"stream\":true,\"seqmatch\":{\"backspace_events\":true}}")).build(),
          HttpResponse.BodyHandlers.ofInputStream());
      BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
      assertTrue(in.readLine().startsWith("data: ")); // it runs
      assertEquals(1, c.scheduler().activeRows());
      in.close(); // drop the connection mid-stream
      assertTrue(waitFor(() -> c.scheduler().activeRows() == 0 && c.scheduler().inFlight() == 0
          && s.sessions() == 0), "the row was not freed");
      assertTrue(c.prometheus().contains("\nseqmatch_requests_finished_total 0\n"), "it finished instead: "
          + c.prometheus());
    } finally {
      s.shutdown(Duration.ofSeconds(2));
      c.close();
      slow.close();
    }
  }

  @Test
  void sixtyFourStreamsWithRandomDisconnectsLeakNothing() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(64);
    long[] rss = new long[3];
    try {
      for (int round = 0; round < 3; round++) {
        Random rnd = new Random(round);
        List<Future<Boolean>> done = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
          int dropAfter = rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(20) : -1; // a quarter disconnect at random
          long seed = round * 100L + i;
          done.add(pool.submit(() -> {
            HttpResponse<InputStream> r = stream(48, seed);
            try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
              int chunks = 0;
              for (String line; (line = in.readLine()) != null; ) {
                if (line.equals("data: [DONE]")) {
                  return true;
                }
                if (line.startsWith("data: ") && ++chunks == dropAfter) {
                  return false; // closing the body drops the connection
                }
              }
            }
            throw new IllegalStateException("a stream ended without [DONE]");
          }));
        }
        int finished = 0;
        for (Future<Boolean> f : done) {
          finished += f.get(180, TimeUnit.SECONDS) ? 1 : 0;
        }
        assertTrue(waitFor(HttpServerTest::idle), "leaked rows after round " + round + ": active "
            + metric("seqmatch_active_rows") + ", in flight " + metric("seqmatch_requests_in_flight"));
        System.gc();
        rss[round] = rssMiB();
        System.out.printf("64 SSE streams, round %d: %d finished, %d disconnected, RSS %d MiB%n", round, finished,
            64 - finished, rss[round]);
      }
    } finally {
      pool.shutdownNow();
    }
    // Loose: the JIT, the allocator and Netty's pools settle during the first round.
    assertTrue(rss[2] < rss[0] + 256, "RSS grew from " + rss[0] + " to " + rss[2] + " MiB");
  }

  static long rssMiB() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
      }
    }
    return 0;
  }
}
