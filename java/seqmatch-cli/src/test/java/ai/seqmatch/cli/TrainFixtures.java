/* Shared inputs of the training CLI tests: a small byte-level corpus, a tiny config, CLI and native runs. */
package ai.seqmatch.cli;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import picocli.CommandLine;

final class TrainFixtures {
  private TrainFixtures() {}

  record Run(int code, String out, String err) {
    String firstErrLine() {
      return err.lines().findFirst().orElse("");
    }

    /** Exit 2, one line naming the problem (every {@code mentions}), then the help hint of {@code command}. */
    void assertBadInput(String command, String... mentions) {
      org.junit.jupiter.api.Assertions.assertEquals(2, code, err);
      String[] lines = err.strip().split("\n");
      org.junit.jupiter.api.Assertions.assertEquals(2, lines.length, err);
      org.junit.jupiter.api.Assertions.assertTrue(lines[0].startsWith(command + ": "), lines[0]);
      for (String m : mentions) {
        org.junit.jupiter.api.Assertions.assertTrue(lines[0].contains(m), "expected '" + m + "' in: " + lines[0]);
      }
      org.junit.jupiter.api.Assertions.assertEquals("Try '" + command + " --help'", lines[1]);
    }
  }

  static Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = SeqMatchCli.newCommandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  /** ~12 KB of deterministic English-like text (a byte-level model learns it quickly). */
  static Path corpus(Path dir) throws IOException {
    String[] words = {"the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "its", "home", "while",
        "birds", "sang", "in", "trees", "by", "river"};
    Random r = new Random(42);
    StringBuilder sb = new StringBuilder();
    for (int line = 0; line < 300; line++) {
      int n = 4 + r.nextInt(6);
      for (int w = 0; w < n; w++) {
        sb.append(w == 0 ? "" : " ").append(words[r.nextInt(words.length)]);
      }
      sb.append(".\n");
    }
    Path file = dir.resolve("corpus.txt");
    Files.writeString(file, sb);
    return file;
  }

  /** Prepares {@link #corpus} (byte tokenizer, seq-len 32) into dir/data and returns that dir. */
  static Path preparedData(Path dir) throws IOException {
    Path data = dir.resolve("data");
    Run r = cli("prepare", "--input", corpus(dir).toString(), "--tokenizer", "byte", "--seq-len", "32", "--out",
        data.toString());
    if (r.code() != 0) {
      fail("prepare failed: " + r.err());
    }
    return data;
  }

  /**
   * A tiny SequenceMatch run on byte data: noise eta 0.1, replay from step 5, 20 steps, fixed seed.
   * Written to dir/name.json.
   */
  static Path smConfig(Path dir, Path data, String name, Path outDir) throws IOException {
    ObjectMapper m = new ObjectMapper();
    ObjectNode c = m.createObjectNode();
    c.putObject("model").put("vocab_size", 259).put("n_positions", 64).put("n_embd", 32).put("n_layer", 2)
        .put("n_head", 2).put("eos_token_id", 256).put("pad_token_id", 257).put("bkspc_token_id", 258);
    c.putObject("data").put("train", data.resolve("train.smtok").toString())
        .put("validation", data.resolve("validation.smtok").toString());
    c.putObject("objective").put("type", "sequence_match").put("warmup_bc_steps", 5);
    c.putObject("noise").put("eta", 0.1);
    c.putObject("replay").put("sample_every", 5).put("rollouts", 4).put("model_rows", 2).put("max_new_tokens", 12)
        .put("buffer_size", 16);
    c.putObject("optim").put("lr", 3e-3).put("warmup_steps", 5);
    c.put("max_steps", 20).put("batch_size", 6).put("eval_every", 10).put("eval_batches", 2)
        .put("checkpoint_every", 0).put("log_every", 5).put("out_dir", outDir.toString()).put("seed", 7);
    Path file = dir.resolve(name + ".json");
    Files.writeString(file, m.writerWithDefaultPrettyPrinter().writeValueAsString(c));
    return file;
  }

  /** The kind "train" lines of out/metrics.jsonl. */
  static List<JsonNode> trainLines(Path outDir) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    ObjectMapper m = new ObjectMapper();
    for (String line : Files.readAllLines(outDir.resolve("metrics.jsonl"))) {
      JsonNode j = m.readTree(line);
      if ("train".equals(j.path("kind").asText())) {
        out.add(j);
      }
    }
    return out;
  }

  /** The repository root: the nearest ancestor of the working directory holding CMakePresets.json. */
  static Path repoRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("CMakePresets.json"))) {
        return p;
      }
    }
    throw new IllegalStateException("no CMakePresets.json above " + Path.of("").toAbsolutePath());
  }

  /**
   * The native seqmatch-train binary: -Dseqmatch.train.binary, else build/PRESET/native/seqmatch-train with
   * PRESET = -Dseqmatch.cmake.preset (default cpu-release).
   */
  static Path nativeBinary() {
    return nativeTool("seqmatch-train", System.getProperty("seqmatch.train.binary"));
  }

  /** A native tool of build/PRESET/native (or {@code override} when set). */
  static Path nativeTool(String name, String override) {
    String preset = System.getProperty("seqmatch.cmake.preset", "cpu-release");
    Path p = override != null ? Path.of(override) : repoRoot().resolve("build").resolve(preset)
        .resolve("native").resolve(name);
    if (!Files.isExecutable(p)) {
      fail("native binary " + name + " not found at " + p + ". Hint: build it with 'cmake --preset " + preset
          + " && cmake --build --preset " + preset + "' (or set -Dseqmatch.train.binary=PATH)");
    }
    return p;
  }

  static Run runNative(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(nativeBinary().toString());
    cmd.addAll(List.of(args));
    Path log = Files.createTempFile("seqmatch-train", ".log");
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      if (!p.waitFor(300, java.util.concurrent.TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail("seqmatch-train did not finish in 300 s: " + Files.readString(log));
      }
      return new Run(p.exitValue(), Files.readString(log), "");
    } finally {
      Files.deleteIfExists(log);
    }
  }
}
