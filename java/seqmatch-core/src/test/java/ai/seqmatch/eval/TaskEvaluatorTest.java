/*
 * TaskEvaluator with a scripted engine (exact accuracy, backspace stats, the "must end" rule, batching) and
 * end to end with a tiny random native model (plumbing only: its accuracy is about 0).
 */
package ai.seqmatch.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.Device;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.model.ModelConfig;
import ai.seqmatch.sample.FinishReason;
import ai.seqmatch.sample.GenerationResult;
import ai.seqmatch.sample.SamplingOptions;
import ai.seqmatch.tasks.AddOrSubInBase;
import ai.seqmatch.tasks.Task;
import ai.seqmatch.tasks.TaskDataset;
import ai.seqmatch.tasks.TaskExample;
import ai.seqmatch.tokenize.ByteTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class TaskEvaluatorTest {
  private final ByteTokenizer tok = new ByteTokenizer();
  private final Task task = AddOrSubInBase.builder().build();

  /** Answers by row index mod 4: right; a wrong digit, ⌫, then right; right but no <eos>; wrong. */
  private final class Scripted implements GenerationEngine {
    final Map<String, String> answers;
    final List<Integer> batchSizes = new ArrayList<>();
    int row;

    Scripted(List<TaskExample> examples) {
      answers = examples.stream().collect(Collectors.toMap(TaskExample::prompt, TaskExample::completion, (a, b) -> a));
    }

    @Override
    public String name() {
      return "scripted";
    }

    @Override
    public long bkspcTokenId() {
      return ByteTokenizer.BKSPC;
    }

    @Override
    public List<GenerationResult> generate(List<long[]> prompts, SamplingOptions options) {
      batchSizes.add(prompts.size());
      List<GenerationResult> out = new ArrayList<>();
      for (long[] p : prompts) {
        String answer = answers.get(tok.decode(p, true)); // prompts start with <eos>, as in training
        List<Long> actions = new ArrayList<>();
        int kind = row++ % 4;
        if (kind == 1) {
          actions.add((long) (answer.charAt(0) == '1' ? '0' : '1'));
          actions.add((long) ByteTokenizer.BKSPC);
        }
        String text = kind == 3 ? answer + "0" : answer;
        for (long id : tok.encode(text)) {
          actions.add(id);
        }
        if (kind != 2) {
          actions.add((long) ByteTokenizer.EOS);
        }
        long[] gen = tok.encode(text);
        long[] tokens = Arrays.copyOf(p, p.length + gen.length + (kind != 2 ? 1 : 0));
        System.arraycopy(gen, 0, tokens, p.length, gen.length);
        if (kind != 2) {
          tokens[tokens.length - 1] = ByteTokenizer.EOS;
        }
        out.add(new GenerationResult(tokens, p.length, actions.stream().mapToLong(Long::longValue).toArray(), null,
            kind == 2 ? FinishReason.MAX_NEW_TOKENS : FinishReason.EOS, kind == 1 ? 1 : 0));
      }
      return out;
    }

    @Override
    public void close() {}
  }

  @Test
  void scriptedAnswersGiveExactAccuracyAndStats() {
    List<TaskExample> tests = TaskDataset.sample(task, 10, 3);
    Scripted engine = new Scripted(tests);
    EvalReport r = TaskEvaluator.builder(engine, tok, task).optBatchSize(4).optExamples(4).build().evaluate(tests);
    assertEquals(List.of(4, 4, 2), engine.batchSizes);
    // rows 0, 4, 8 right; 1, 5, 9 right after a backspace; 2, 6 no <eos>; 3, 7 wrong
    assertEquals(0.6, r.metric("accuracy"), 1e-12);
    assertEquals(6L, r.counts().get("correct"));
    assertEquals(Wilson.of(6, 10).low(), r.metric("accuracy_low"), 1e-12);
    assertEquals(Wilson.of(6, 10).high(), r.metric("accuracy_high"), 1e-12);
    long groupRows = 0;
    long groupCorrect = 0;
    for (var e : r.counts().entrySet()) {
      groupRows += e.getKey().startsWith("rows[base ") ? e.getValue() : 0;
      groupCorrect += e.getKey().startsWith("correct[base ") ? e.getValue() : 0;
    }
    assertEquals(10, groupRows); // every row in exactly one base
    assertEquals(6, groupCorrect);
    TaskScores scores = TaskEvaluator.builder(new Scripted(tests), tok, task).optBatchSize(4).build().scores(tests);
    assertEquals(List.of(true, true, false, false, true, true, false, false, true, true),
        java.util.stream.IntStream.range(0, 10).mapToObj(i -> scores.correct()[i]).toList());
    assertEquals(2L, r.counts().get("finish_max_new_tokens"));
    assertEquals(3L, r.counts().get("backspaces"));
    assertEquals((double) r.counts().get("backspaces") / r.counts().get("actions"), r.metric("backspace_rate"), 1e-12);
    EvalExample second = r.examples().get(1);
    assertTrue(second.correct());
    assertTrue(second.trace().contains("\u232b"), second.trace());
    assertEquals(tests.get(1).completion(), second.completion());
    assertEquals("did not end (finish_reason max_new_tokens)", r.examples().get(2).reason());
    assertFalse(r.examples().get(3).correct());
    assertTrue(r.examples().get(3).reason().startsWith("wrong value"), r.examples().get(3).reason());
    JsonNode j = r.toJson();
    assertEquals("task", j.get("kind").asText());
    assertEquals(0.6, j.get("metrics").get("accuracy").asDouble(), 1e-12);
    assertEquals(4, j.get("examples").size());
  }

  @Test
  void tinyRandomModelEndToEnd() {
    ModelConfig config = ModelConfig.builder(259).optNPositions(64).optNEmbd(32).optNLayer(1).optNHead(2)
        .optEosTokenId(ByteTokenizer.EOS).optPadTokenId(ByteTokenizer.PAD).optBkspcTokenId(ByteTokenizer.BKSPC).build();
    try (CausalLM model = CausalLM.create(config, 5, Device.cpu());
        GenerationEngine engine = GenerationEngine.open(model)) {
      List<TaskExample> tests = TaskDataset.sample(task, 7, 11);
      TaskEvaluator ev = TaskEvaluator.builder(engine, tok, task).optBatchSize(3).build();
      assertTrue(ev.options().greedy());
      EvalReport r = ev.evaluate(tests);
      assertEquals(7L, r.counts().get("rows"));
      double acc = r.metric("accuracy");
      assertTrue(acc >= 0 && acc <= 1);
      assertEquals(5, r.examples().size());
      assertEquals("native", r.engine());
      assertTrue(r.metric("actions_per_token") >= 1.0);
      // greedy decoding does not depend on the batch size
      EvalReport again = TaskEvaluator.builder(engine, tok, task).optBatchSize(7).build().evaluate(tests);
      assertEquals(r.toJson(), again.toJson());

      EvalReport text = TextEvaluator.builder(engine, tok).optOptions(SamplingOptions.builder().optMaxNewTokens(12)
          .optSeed(1).build()).optBatchSize(2).build().evaluate(List.of("a", "bb", "ccc", ""));
      assertEquals(4L, text.counts().get("rows"));
      for (String k : List.of("distinct_1", "distinct_2", "distinct_3", "seq_rep_4", "self_bleu_4", "zipf",
          "mean_new_tokens", "backspace_rate", "actions_per_token")) {
        assertTrue(text.metrics().containsKey(k), k);
      }

      ModelPerplexity.Result ppl = ModelPerplexity.evaluate(model, List.of(tok.encode("hello"), tok.encode("x".repeat(150))), 1000);
      assertEquals(155, ppl.tokens());
      assertTrue(ppl.perplexity() > 1 && ppl.perplexity() < 1000, "ppl " + ppl.perplexity());
    }
  }

  @Test
  void sampledAccuracyAveragesSeedsPerPromptAndGroupsSortByBase() {
    EvalReport none = new EvalReport("task", "x", Map.of(), Map.of(), List.of());
    TaskScores a = new TaskScores(new boolean[] {true, false, true}, List.of("base 10", "base 2", "base 2"), none);
    TaskScores b = new TaskScores(new boolean[] {true, true, false}, List.of("base 10", "base 2", "base 2"), none);
    Interval m = TaskScores.meanOverSeeds(List.of(a, b), 1);
    assertEquals((1 + 0.5 + 0.5) / 3, m.estimate(), 1e-12);
    assertTrue(m.low() <= m.estimate() && m.estimate() <= m.high());
    assertEquals(List.of("base 2", "base 10"), List.copyOf(a.perGroup().keySet()));
    assertEquals(Wilson.of(1, 2), a.perGroup().get("base 2"));
  }
}
