/*
 * `seqmatch serve --http-port` against real OpenAI clients: the official openai npm client
 * (src/test/node-openai/client.mjs, version pinned by its package-lock.json, installed by `npm ci` into
 * target/node-openai) and `curl -N`. The server runs in-process as the CLI command, with gRPC beside it
 * and a bearer token, on the crafted <bkspc>-heavy test model (an ONNX export plus a tokenizer_config.json
 * with a chat template). Expected texts come from `seqmatch generate` on the same model: --greedy for the
 * completion prompt and for the chat rendered by hand (the template below) as token ids, with backspace off
 * (the model's greedy policy alternates a token and <bkspc>: its greedy text with deletions is empty), and
 * seeded sampling with deletions (--seed, --temperature: the server draws the same random stream).
 * Skipped, visibly, only when node, npm or curl is not installed (scripts/setup.sh installs them).
 */
package ai.seqmatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.serving.TestModels;
import ai.seqmatch.serving.TestProcesses;
import ai.seqmatch.tokenize.ByteTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class OpenAICompatTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TEMPLATE = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}\n{% endfor %}"
      + "{% if add_generation_prompt %}<|assistant|>{% endif %}";
  private static final String TOKEN = "s3cret-token";

  @TempDir Path tmp;

  @Test
  void openAiClientAndCurlAgainstARunningServer() throws Exception {
    boolean tools = TestProcesses.onPath("node") && TestProcesses.onPath("npm") && TestProcesses.onPath("curl");
    if (!tools) {
      System.err.println("SKIPPED OpenAICompatTest: node, npm and curl are not all installed (scripts/setup.sh)");
    }
    Assumptions.assumeTrue(tools, "node/npm/curl not installed");
    Path model = tmp.resolve("tiny-bkspc");
    copyDir(TestModels.onnx(), model);
    ObjectNode tc = JSON.createObjectNode().put("chat_template", TEMPLATE);
    Files.writeString(model.resolve("tokenizer_config.json"), JSON.writeValueAsString(tc));
    Path tokenFile = Files.writeString(tmp.resolve("token"), TOKEN + "\n");

    String greedy = generate("--prompt", "Hello", 24, "--greedy", "--no-backspace");
    String sampled = generate("--prompt", "Hello", 24, "--seed", "3", "--temperature", "1.5");
    String rendered = "<|system|>Be brief.\n<|user|>Hi there\n<|assistant|>"; // TEMPLATE by hand
    String ids = java.util.Arrays.stream(new ByteTokenizer().encode(rendered)).mapToObj(Long::toString)
        .collect(Collectors.joining(","));
    String chatGreedy = generate("--prompt-ids", ids, 16, "--greedy", "--no-backspace");
    assertTrue(!greedy.isEmpty() && !chatGreedy.isEmpty(), "greedy texts: '" + greedy + "', '" + chatGreedy + "'");

    CommandLine cli = SeqMatchCli.newCommandLine();
    StringWriter out = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(new StringWriter(), true));
    ServeCommand serve = cli.getSubcommands().get("serve").getCommand();
    int[] code = {-1};
    Thread t = new Thread(() -> code[0] = cli.execute("serve", "--model", model.toString(), "--port", "0",
        "--http-port", "0", "--auth-token-file", tokenFile.toString(), "--drain-timeout", "5"), "serve");
    t.start();
    try {
      String base = awaitHttp(out);
      // The openai npm client.
      Path work = npmCi();
      ObjectNode want = JSON.createObjectNode().put("prompt", "Hello").put("maxTokens", 24).put("greedyText", greedy)
          .put("chatMaxTokens", 16).put("chatGreedyText", chatGreedy);
      want.putObject("sampled").put("seed", 3).put("temperature", 1.5).put("text", sampled);
      want.putArray("chat").add(JSON.createObjectNode().put("role", "system").put("content", "Be brief."))
          .add(JSON.createObjectNode().put("role", "user").put("content", "Hi there"));
      Path wantFile = Files.writeString(tmp.resolve("want.json"), JSON.writeValueAsString(want));
      String node = TestProcesses.run(work, 180, "node", "client.mjs", base + "/v1", TOKEN, "tiny-bkspc",
          wantFile.toString());
      System.out.println("openai client: " + node.strip());
      assertTrue(node.contains("\"ok\":true"), node);

      // curl -N: the SSE stream as it arrives, then [DONE].
      String sse = TestProcesses.run(tmp, 60, "curl", "-sS", "-N", "--fail-with-body", "-H",
          "Authorization: Bearer " + TOKEN, "-H", "Content-Type: application/json", "-d",
          "{\"prompt\":\"Hello\",\"max_tokens\":24,\"temperature\":0,\"stream\":true,"
          + "\"seqmatch\":{\"allow_backspace\":false}}", base + "/v1/completions");
      List<String> data = sse.lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
      assertEquals("[DONE]", data.get(data.size() - 1), sse);
      StringBuilder joined = new StringBuilder();
      for (String d : data.subList(0, data.size() - 1)) {
        joined.append(JSON.readTree(d).get("choices").get(0).get("text").asText());
      }
      assertEquals(greedy, joined.toString());
      String whole = TestProcesses.run(tmp, 60, "curl", "-sS", "-H", "Authorization: Bearer " + TOKEN, "-d",
          "{\"prompt\":\"Hello\",\"max_tokens\":24,\"temperature\":1.5,\"seed\":3}", base + "/v1/completions");
      assertEquals(sampled, JSON.readTree(whole).get("choices").get(0).get("text").asText());
      // A bad request and a missing token: status and OpenAI's error object.
      String bad = TestProcesses.run(tmp, 60, "curl", "-sS", "-w", "\n%{http_code}", "-H",
          "Authorization: Bearer " + TOKEN, "-d",
          "{\"prompt\":\"Hello\",\"max_tokens\":-3}", base + "/v1/completions");
      assertEquals("400", bad.substring(bad.lastIndexOf('\n') + 1), bad);
      JsonNode err = JSON.readTree(bad.substring(0, bad.lastIndexOf('\n'))).get("error");
      assertEquals("max_tokens", err.get("param").asText(), bad);
      assertEquals("invalid_request_error", err.get("type").asText(), bad);
      String noToken = TestProcesses.run(tmp, 60, "curl", "-sS", "-w", "\n%{http_code}", base + "/v1/models");
      assertEquals("401", noToken.substring(noToken.lastIndexOf('\n') + 1), noToken);
      assertTrue(JSON.readTree(noToken.substring(0, noToken.lastIndexOf('\n'))).get("error").get("message")
          .asText().contains("Authorization"), noToken);
    } finally {
      serve.stop.countDown();
      t.join(TimeUnit.SECONDS.toMillis(30));
    }
    assertEquals(0, code[0], out.toString());
  }

  /** The completion text of `seqmatch generate` on the same model (--json). */
  private String generate(String promptFlag, String prompt, int maxNew, String... options) throws IOException {
    Path model = tmp.resolve("tiny-bkspc");
    List<String> args = new ArrayList<>(List.of("generate", "--engine", "onnx", "--model", model.toString(),
        promptFlag, prompt, "--max-new-tokens", Integer.toString(maxNew), "--json"));
    args.addAll(List.of(options));
    TrainFixtures.Run r = TrainFixtures.cli(args.toArray(String[]::new));
    assertEquals(0, r.code(), r.err());
    return JSON.readTree(r.out()).get("completion").asText();
  }

  private static String awaitHttp(StringWriter out) throws InterruptedException {
    Pattern p = Pattern.compile("http listening on (http://[0-9.]+:\\d+)");
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < end) {
      Matcher m = p.matcher(out.toString());
      if (m.find()) {
        return m.group(1);
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the server did not start: " + out);
  }

  /** `npm ci` of the pinned openai client into target/node-openai (once; again when the lock file changes). */
  private static Path npmCi() throws IOException, InterruptedException {
    Path src = Path.of("src/test/node-openai");
    Path work = Path.of("target/node-openai");
    Files.createDirectories(work);
    boolean fresh = !Files.isDirectory(work.resolve("node_modules/openai"))
        || !Files.exists(work.resolve("package-lock.json"))
        || Files.mismatch(src.resolve("package-lock.json"), work.resolve("package-lock.json")) != -1;
    for (String f : List.of("package.json", "package-lock.json", "client.mjs")) {
      Files.copy(src.resolve(f), work.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }
    if (fresh) {
      TestProcesses.run(work, 300, "npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline");
    }
    return work;
  }

  private static void copyDir(Path from, Path to) throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.walk(from)) {
      files = new ArrayList<>(s.toList());
    }
    for (Path f : files) {
      Path dest = to.resolve(from.relativize(f).toString());
      if (Files.isDirectory(f)) {
        Files.createDirectories(dest);
      } else {
        Files.copy(f, dest);
      }
    }
  }
}
