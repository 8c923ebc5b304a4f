/*
 * StepEngines against the native sampler: RecomputeStepEngine and OrtStepEngine rows (joining a running
 * batch at different steps, some paused for a while) end in exactly the state, actions and finish reason
 * of the native Generator on the same prompt, greedy and seeded sampling, on the crafted <bkspc>-heavy
 * model. Run: mvn -B verify -Dseqmatch.native.skip -pl java/seqmatch-serving -am -Dtest=StepEngineTest
 */
package ai.seqmatch.serving.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.Device;
import ai.seqmatch.serving.TestModels;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.onnx.OrtModel;
import ai.seqmatch.sample.GenerationResult;
import ai.seqmatch.sample.Generator;
import ai.seqmatch.sample.SamplingOptions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class StepEngineTest {
  static final List<long[]> PROMPTS = List.of(new long[] {72}, new long[] {72, 101, 108, 108, 111},
      new long[] {1, 2, 3}, new long[] {200, 201, 202, 203, 204, 205, 206}, new long[] {32, 33});

  private static CausalLM model;
  private static OrtModel ort;

  @BeforeAll
  static void load() {
    model = CausalLM.load(TestModels.checkpoint(), Device.cpu());
    ort = OrtModel.load(TestModels.onnx());
  }

  @AfterAll
  static void close() {
    ort.close();
    model.close();
  }

  @Test
  void recomputeGreedyEqualsNative() {
    check(RecomputeStepEngine::new, true);
  }

  @Test
  void recomputeSampledEqualsNative() {
    check(RecomputeStepEngine::new, false);
  }

  @Test
  void ortGreedyEqualsNative() {
    check(m -> new OrtStepEngine(ort), true);
  }

  @Test
  void ortSampledEqualsNative() {
    check(m -> new OrtStepEngine(ort), false);
  }

  /** Row b joins at step 3·b; row 1 pauses for steps 5..9; every row must match its solo native run. */
  private void check(Function<CausalLM, StepEngine> make, boolean greedy) {
    int totalBackspaces = 0;
    try (StepEngine engine = make.apply(model); Generator gen = new Generator(model)) {
      Map<Row, Integer> rows = new HashMap<>();
      List<RowParams> params = new ArrayList<>();
      for (int b = 0; b < PROMPTS.size(); b++) {
        params.add(greedy ? RowParams.greedy(24) : RowParams.sampling(24, 1.0, 1000 + b));
      }
      Map<Integer, Row> done = new HashMap<>();
      for (int step = 0; step < 1000 && done.size() < PROMPTS.size(); step++) {
        if (step % 3 == 0 && step / 3 < PROMPTS.size()) {
          int b = step / 3;
          rows.put(engine.add(PROMPTS.get(b), params.get(b)), b);
        }
        for (Map.Entry<Row, Integer> e : rows.entrySet()) {
          if (e.getValue() == 1) {
            engine.setPaused(e.getKey(), step >= 5 && step < 10);
          }
        }
        for (StepEvent ev : engine.step()) {
          if (ev.finish() != null) {
            done.put(rows.get(ev.row()), ev.row());
          }
        }
      }
      assertEquals(0, engine.activeRows());
      for (int b = 0; b < PROMPTS.size(); b++) {
        RowParams p = params.get(b);
        SamplingOptions o = SamplingOptions.builder().optGreedy(greedy).optMaxNewTokens(24).optSeed(p.seed())
            .build();
        GenerationResult expected = gen.generate(PROMPTS.get(b), o);
        Row got = done.get(b);
        assertArrayEquals(expected.tokens(), got.tokens(), "row " + b + " state");
        assertEquals(expected.finishReason(), got.finishReason(), "row " + b + " finish");
        assertEquals(expected.actionCount(), got.actions(), "row " + b + " actions");
        assertEquals(expected.backspaces(), got.backspaces(), "row " + b + " backspaces");
        totalBackspaces += got.backspaces();
      }
    }
    assertTrue(totalBackspaces > 0, "the crafted model must exercise <bkspc>");
  }
}
