/*
 * `seqmatch train` as users run it: the Java front end and the native seqmatch-train binary give the
 * same losses step by step on the same config; resume after an interruption; the chart; overrides;
 * one-line exit-2 errors; raw-data configs whose final model `seqmatch generate --prompt` can load.
 */
package ai.seqmatch.cli;

import static ai.seqmatch.cli.TrainFixtures.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.seqmatch.train.StepMetrics;
import ai.seqmatch.train.TrainConfig;
import ai.seqmatch.train.Trainer;
import ai.seqmatch.train.TrainingListener;
import ai.seqmatch.train.TrainingLoop;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCommandTest {
  @TempDir Path tmp;

  @Test
  void javaAndNativeFrontEndsGiveIdenticalLosses() throws Exception {
    Path data = TrainFixtures.preparedData(tmp);
    Path javaOut = tmp.resolve("java");
    Path nativeOut = tmp.resolve("native");
    Path config = TrainFixtures.smConfig(tmp, data, "sm", javaOut);

    TrainFixtures.Run j = cli("train", "--config", config.toString(), "--quiet");
    assertEquals(0, j.code(), j.err());
    TrainFixtures.Run n = TrainFixtures.runNative("--config", config.toString(), "--set",
        "out_dir=" + nativeOut, "--quiet");
    assertEquals(0, n.code(), n.out());

    List<JsonNode> a = TrainFixtures.trainLines(javaOut);
    List<JsonNode> b = TrainFixtures.trainLines(nativeOut);
    assertEquals(20, a.size());
    assertEquals(20, b.size());
    boolean sawSm = false;
    boolean sawBackspace = false;
    for (int i = 0; i < a.size(); i++) {
      double la = a.get(i).get("loss").asDouble();
      double lb = b.get(i).get("loss").asDouble();
      System.out.printf("step %2d  java %.10f  native %.10f  (bc %.6f sm %.6f model_rows %d)%n", i + 1, la, lb,
          a.get(i).get("bc").asDouble(), a.get(i).get("sm").asDouble(), a.get(i).get("model_rows").asLong());
      assertEquals(lb, la, 0.0, "loss at step " + (i + 1));
      assertEquals(b.get(i).get("bc").asDouble(), a.get(i).get("bc").asDouble(), 0.0, "bc at step " + (i + 1));
      sawSm |= a.get(i).get("sm").asDouble() != 0 && a.get(i).get("model_rows").asLong() > 0;
      sawBackspace |= a.get(i).get("backspace_rate").asDouble() > 0;
    }
    assertTrue(sawSm, "the SequenceMatch term with replay rows must be active after warm-up");
    assertTrue(sawBackspace, "noise eta 0.1 must insert backspaces");
  }

  @Test
  void nprocTwoTrainsLikeOneProcessAndOnlyRankZeroWrites() throws Exception {
    Path data = TrainFixtures.preparedData(tmp);
    Path one = tmp.resolve("one");
    Path two = tmp.resolve("two");
    Path config = TrainFixtures.smConfig(tmp, data, "dp", one);
    TrainFixtures.Run a = cli("train", "--config", config.toString(), "--set", "max_steps=8", "--quiet");
    assertEquals(0, a.code(), a.err());
    // Two fresh JVMs under the native launcher; SequenceMatch with noise and replay from step 6.
    TrainFixtures.Run b = cli("train", "--config", config.toString(), "--set", "max_steps=8", "--set",
        "out_dir=" + two, "--nproc", "2", "--quiet");
    assertEquals(0, b.code(), b.err());
    List<JsonNode> la = TrainFixtures.trainLines(one);
    List<JsonNode> lb = TrainFixtures.trainLines(two);
    assertEquals(8, lb.size());
    for (int i = 0; i < la.size(); i++) {
      assertEquals(la.get(i).get("loss").asDouble(), lb.get(i).get("loss").asDouble(), 1e-4, "loss at step " + (i + 1));
      assertEquals(la.get(i).get("model_rows").asLong(), lb.get(i).get("model_rows").asLong());
    }
    assertTrue(Files.exists(two.resolve("loss.png")), "rank 0 draws the chart");
  }

  @Test
  void nprocThatDoesNotSplitTheBatchIsOneLineExit2() throws Exception {
    Path data = TrainFixtures.preparedData(tmp);
    Path config = TrainFixtures.smConfig(tmp, data, "split", tmp.resolve("split"));
    cli("train", "--config", config.toString(), "--nproc", "4")
        .assertBadInput("seqmatch train", "field 'batch_size' (6) must be divisible by --nproc 4");
  }

  @Test
  void resumesLatestAfterAnInterruptedRun() throws Exception {
    Path data = TrainFixtures.preparedData(tmp);
    Path out = tmp.resolve("run");
    Path config = TrainFixtures.smConfig(tmp, data, "resume", out);
    TrainConfig c = TrainConfig.load(config).withOverride("max_steps=6").withOverride("checkpoint_every=3");

    // The first run "crashes" after step 4: checkpoint step-3 is the latest, the log has 4 train lines.
    try (Trainer trainer = Trainer.create(c)) {
      TrainingListener crash = new TrainingListener() {
        @Override
        public void onStep(StepMetrics m) {
          if (m.step() == 4) {
            throw new IllegalStateException("simulated crash");
          }
        }
      };
      assertThrows(IllegalStateException.class, () -> TrainingLoop.run(trainer, List.of(crash)));
    }
    assertEquals(4, TrainFixtures.trainLines(out).size());
    assertEquals("step-0000003", Files.readString(out.resolve("checkpoints/latest")).strip());

    TrainFixtures.Run r = cli("train", "--config", config.toString(), "--set", "max_steps=6", "--set",
        "checkpoint_every=3", "--resume", "latest");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("resumed at step 3/6"), r.out());
    List<JsonNode> lines = TrainFixtures.trainLines(out);
    assertEquals(6, lines.size());
    for (int i = 0; i < 6; i++) {
      assertEquals(i + 1, lines.get(i).get("step").asInt());
    }

    // Uninterrupted reference: the same six losses, bit for bit (CPU).
    Path ref = tmp.resolve("ref");
    assertEquals(0, cli("train", "--config", config.toString(), "--set", "max_steps=6", "--set",
        "checkpoint_every=3", "--set", "out_dir=" + ref, "--quiet").code());
    List<JsonNode> expected = TrainFixtures.trainLines(ref);
    for (int i = 0; i < 6; i++) {
      assertEquals(expected.get(i).get("loss").asDouble(), lines.get(i).get("loss").asDouble(), 0.0,
          "loss at step " + (i + 1));
    }
  }

  @Test
  void writesALossChartAndAJsonSummary() throws Exception {
    Path data = TrainFixtures.preparedData(tmp);
    Path out = tmp.resolve("chart");
    Path config = TrainFixtures.smConfig(tmp, data, "chart", out);
    TrainFixtures.Run r = cli("train", "--config", config.toString(), "--set", "max_steps=8", "--set",
        "eval_every=4", "--initial-eval", "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode summary = new ObjectMapper().readTree(r.out());
    assertEquals(8, summary.get("steps").asInt());
    assertTrue(summary.get("initial_val_loss").asDouble() > summary.get("val_loss").asDouble(), r.out());
    assertTrue(summary.get("tokens_per_s").asDouble() > 0);
    assertTrue(r.err().contains("step 8/8"), "progress goes to stderr with --json: " + r.err());
    BufferedImage png = ImageIO.read(out.resolve("loss.png").toFile());
    assertNotNull(png, "loss.png must decode");
    assertEquals(960, png.getWidth());
    assertEquals(560, png.getHeight());
  }

  @Test
  void overridesReachTheNativeTrainer() throws Exception {
    Path data = TrainFixtures.preparedData(tmp);
    Path out = tmp.resolve("override");
    Path config = TrainFixtures.smConfig(tmp, data, "override", out);
    TrainFixtures.Run r = cli("train", "--config", config.toString(), "--set", "max_steps=3", "--set",
        "optim.lr=1e-3", "--set", "optim.warmup_steps=0", "--set", "objective.type=mle", "--quiet", "--no-chart");
    assertEquals(0, r.code(), r.err());
    List<JsonNode> lines = TrainFixtures.trainLines(out);
    assertEquals(3, lines.size());
    assertEquals(1e-3, lines.get(0).get("lr").asDouble(), 1e-12);
    assertEquals(0.0, lines.get(2).get("sm").asDouble());
    JsonNode resolved = new ObjectMapper().readTree(out.resolve("config.resolved.json").toFile());
    assertEquals("mle", resolved.at("/objective/type").asText());
    assertTrue(!Files.exists(out.resolve("loss.png")));
  }

  @Test
  void unknownConfigKeyIsOneLineExit2() throws Exception {
    Path data = TrainFixtures.preparedData(tmp);
    Path config = TrainFixtures.smConfig(tmp, data, "bad", tmp.resolve("bad"));
    TrainFixtures.Run r = cli("train", "--config", config.toString(), "--set", "optim.lrr=1e-3");
    assertEquals(2, r.code(), r.err());
    assertEquals("seqmatch train: config " + config + ": unknown field 'optim.lrr'", r.firstErrLine());
    assertEquals("Try 'seqmatch train --help'", r.err().lines().skip(1).findFirst().orElse(""));

    TrainFixtures.Run wrongType = cli("train", "--config", config.toString(), "--set", "max_steps=ten");
    assertEquals(2, wrongType.code());
    assertTrue(wrongType.firstErrLine().contains("field 'max_steps' has the wrong type"), wrongType.err());

    TrainFixtures.Run missing = cli("train", "--config", tmp.resolve("nope.json").toString());
    assertEquals(2, missing.code());
    assertEquals("seqmatch train: config " + tmp.resolve("nope.json") + ": cannot open file", missing.firstErrLine());
  }

  @Test
  void badOverridesGiveTheSameLineAndExit2FromBothFrontEnds() throws Exception {
    Path data = TrainFixtures.preparedData(tmp);
    Path config = TrainFixtures.smConfig(tmp, data, "overrides", tmp.resolve("overrides"));
    String[][] cases = {
        {"max_steps.x=1", "override 'max_steps.x=1': 'max_steps' is not a section (got 20)"},
        {"max_steps", "override 'max_steps': expected key=value"},
        {"optim..lr=1", "override 'optim..lr=1': empty key in 'optim..lr'"},
        {"optim.lrr=1", "config " + config + ": unknown field 'optim.lrr'"},
        {"max_steps=ten", "config " + config + ": field 'max_steps' has the wrong type (got \"ten\")"},
        {"optim.lr=[1,", "config " + config + ": field 'optim.lr' has the wrong type (got \"[1,\")"},
        {"optim=3", "config " + config + ": field 'optim' must be an object (got 3)"},
    };
    for (String[] c : cases) {
      TrainFixtures.Run j = cli("train", "--config", config.toString(), "--set", c[0], "--quiet");
      assertEquals(2, j.code(), c[0] + ": " + j.err());
      assertEquals("seqmatch train: " + c[1], j.firstErrLine(), c[0]);
      TrainFixtures.Run n = TrainFixtures.runNative("--config", config.toString(), "--set", c[0], "--quiet");
      assertEquals(2, n.code(), c[0] + ": " + n.out());
      assertEquals("seqmatch-train: " + c[1], n.out().lines().findFirst().orElse(""), c[0]);
    }
  }

  @Test
  void secondTrainingOnTheSameOutDirIsRefusedNamingTheHolder() throws Exception {
    Path data = TrainFixtures.preparedData(tmp);
    Path out = tmp.resolve("locked");
    Path config = TrainFixtures.smConfig(tmp, data, "locked", out);
    try (Trainer holder = Trainer.create(TrainConfig.load(config))) {
      String expected = "out_dir " + out + ": in use by another training (pid " + ProcessHandle.current().pid()
          + " on host ";
      TrainFixtures.Run j = cli("train", "--config", config.toString(), "--quiet");
      assertEquals(2, j.code(), j.err());
      assertTrue(j.firstErrLine().startsWith("seqmatch train: " + expected), j.err());
      TrainFixtures.Run n = TrainFixtures.runNative("--config", config.toString(), "--quiet");
      assertEquals(2, n.code(), n.out());
      assertTrue(n.out().startsWith("seqmatch-train: " + expected), n.out());
      assertEquals(0, holder.stepsDone());
    }
    assertEquals(0, cli("train", "--config", config.toString(), "--set", "max_steps=1", "--quiet", "--no-chart")
        .code());
  }

  @Test
  void resumeWithADifferentConfigIsRefusedUnlessAllowed() throws Exception {
    Path data = TrainFixtures.preparedData(tmp);
    Path out = tmp.resolve("changed");
    Path config = TrainFixtures.smConfig(tmp, data, "changed", out);
    assertEquals(0, cli("train", "--config", config.toString(), "--set", "max_steps=2", "--quiet", "--no-chart")
        .code());
    TrainFixtures.Run seed = cli("train", "--config", config.toString(), "--set", "max_steps=2", "--set", "seed=9",
        "--resume", "latest", "--quiet");
    assertEquals(2, seed.code(), seed.err());
    assertTrue(seed.firstErrLine().contains("was trained with a different config: seed 7 -> 9"), seed.err());
    TrainFixtures.Run more = cli("train", "--config", config.toString(), "--set", "max_steps=4", "--resume",
        "latest", "--quiet");
    assertEquals(2, more.code(), more.err());
    assertTrue(more.firstErrLine().contains("max_steps 2 -> 4. Hint: --allow-config-change max_steps"), more.err());
    TrainFixtures.Run nativeMore = TrainFixtures.runNative("--config", config.toString(), "--set", "max_steps=4",
        "--resume", "latest", "--quiet");
    assertEquals(2, nativeMore.code(), nativeMore.out());
    assertEquals(more.firstErrLine().replace("seqmatch train: ", "seqmatch-train: "),
        nativeMore.out().lines().findFirst().orElse(""));
    assertEquals(0, cli("train", "--config", config.toString(), "--set", "max_steps=4", "--resume", "latest",
        "--allow-config-change", "max_steps", "--quiet", "--no-chart").code());
    assertEquals(4, TrainFixtures.trainLines(out).size());
  }

  @Test
  void rawTextFromHuggingFaceInitGivesAGeneratableFinalModel() throws Exception {
    Path corpus = TrainFixtures.corpus(tmp);
    Path out = tmp.resolve("raw");
    Path config = tmp.resolve("raw.json");
    Files.writeString(config, "{\"model\": {\"init\": \"" + GenerateCommandTest.HF_TINY.toAbsolutePath() + "\"},"
        + " \"objective\": {\"type\": \"sequence_match\", \"warmup_bc_steps\": 1},"
        + " \"replay\": {\"sample_every\": 2, \"rollouts\": 2, \"model_rows\": 1, \"max_new_tokens\": 8},"
        + " \"noise\": {\"eta\": 0.1}, \"max_steps\": 3, \"batch_size\": 3, \"eval_every\": 0,"
        + " \"out_dir\": \"" + out + "\"}");
    TrainFixtures.Run r = cli("train", "--config", config.toString(), "--data-text", corpus.toString(),
        "--tokenizer", "byte", "--seq-len", "24", "--quiet");
    assertEquals(0, r.code(), r.err());
    JsonNode prepared = new ObjectMapper().readTree(out.resolve("data/prepare.json").toFile());
    assertEquals(259, prepared.get("vocab_size").asInt());
    JsonNode finalConfig = new ObjectMapper().readTree(out.resolve("final/config.json").toFile());
    assertEquals(300, finalConfig.at("/seqmatch/bkspc_token_id").asInt(finalConfig.path("bkspc_token_id").asInt()),
        finalConfig.toString());
    assertEquals("byte", finalConfig.at("/seqmatch/tokenizer/type").asText(), finalConfig.toString());

    TrainFixtures.Run g = cli("generate", "--checkpoint", out.resolve("final").toString(), "--prompt", "the cat",
        "--max-new-tokens", "4", "--json");
    assertEquals(0, g.code(), g.err());
    assertTrue(new ObjectMapper().readTree(g.out()).get("text").asText().startsWith("the cat"), g.out());

    // A second run with the same inputs reuses the prepared data.
    TrainFixtures.Run again = cli("train", "--config", config.toString(), "--data-text", corpus.toString(),
        "--tokenizer", "byte", "--seq-len", "24", "--set", "max_steps=4", "--resume", "latest",
        "--allow-config-change", "max_steps");
    assertEquals(0, again.code(), again.err());
    assertTrue(again.out().contains("prepare: reusing"), again.out());
  }

  @Test
  void huggingFaceTokenizerIsCopiedIntoCheckpoints() throws Exception {
    Path gpt2 = TrainFixtures.repoRoot().resolve("../shared/data/gpt2/tokenizer.json").normalize();
    assumeTrue(Files.isRegularFile(gpt2), "GPT-2 tokenizer not present at " + gpt2);
    Path corpus = TrainFixtures.corpus(tmp);
    Path out = tmp.resolve("hf");
    Path config = tmp.resolve("hf.json");
    Files.writeString(config, "{\"model\": {\"n_positions\": 32, \"n_embd\": 16, \"n_layer\": 1, \"n_head\": 2},"
        + " \"data\": {\"text\": [\"" + corpus + "\"], \"tokenizer\": \"" + gpt2 + "\", \"seq_len\": 16},"
        + " \"objective\": {\"type\": \"mle\"}, \"max_steps\": 2, \"batch_size\": 4, \"eval_every\": 0,"
        + " \"checkpoint_every\": 1, \"out_dir\": \"" + out + "\"}");
    TrainFixtures.Run r = cli("train", "--config", config.toString(), "--quiet", "--no-chart");
    assertEquals(0, r.code(), r.err());
    assertTrue(Files.isRegularFile(out.resolve("checkpoints/step-0000001/tokenizer.json")));
    assertTrue(Files.isRegularFile(out.resolve("final/tokenizer.json")));
    JsonNode finalConfig = new ObjectMapper().readTree(out.resolve("final/config.json").toFile());
    assertEquals(50259, finalConfig.get("vocab_size").asInt());
    TrainFixtures.Run g = cli("generate", "--checkpoint", out.resolve("final").toString(), "--prompt", "Hello world",
        "--max-new-tokens", "3", "--json");
    assertEquals(0, g.code(), g.err());
    assertTrue(new ObjectMapper().readTree(g.out()).get("text").asText().startsWith("Hello world"), g.out());
  }
}
