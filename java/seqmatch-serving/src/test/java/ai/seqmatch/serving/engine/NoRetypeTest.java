/*
 * The no-retype rule (DESIGN.md §3 "Generation") and total sampling across every engine: the native
 * Generator, the ONNX Runtime OrtGenerator, and the server's RecomputeStepEngine and OrtStepEngine. On a
 * crafted model where <bkspc> is the argmax after any generated token, greedy decoding must end (not at
 * max_actions) and never type a token at a state where it was deleted, checked by an independent replay
 * keyed by the full state with a clean full forward per state; all engines must take the same actions,
 * greedy and seeded sampling with the rule on. Extreme temperatures never choose a masked <bkspc>, and a
 * NaN model fails with ModelOutputException naming the row while the other rows of a step engine go on.
 * Run: mvn -B verify -Dseqmatch.native.skip -pl java/seqmatch-serving -Dtest=NoRetypeTest
 */
package ai.seqmatch.serving.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.Device;
import ai.seqmatch.ModelOutputException;
import ai.seqmatch.serving.TestModels;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.onnx.OrtGenerator;
import ai.seqmatch.onnx.OrtModel;
import ai.seqmatch.sample.FinishReason;
import ai.seqmatch.sample.GenerationResult;
import ai.seqmatch.sample.Generator;
import ai.seqmatch.sample.SamplingOptions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class NoRetypeTest {
  static final long BKSPC = 258;
  static final long EOS = 256;
  static final List<long[]> PROMPTS = StepEngineTest.PROMPTS;
  static final int MAX_NEW = 6;
  static final int MAX_ACTIONS = 2000; // far above what the rule needs: reaching it means a loop

  private static CausalLM model;
  private static OrtModel ort;

  @BeforeAll
  static void load() {
    model = CausalLM.load(TestModels.loopingCheckpoint(), Device.cpu());
    ort = OrtModel.load(TestModels.loopingOnnx());
  }

  @AfterAll
  static void close() {
    ort.close();
    model.close();
  }

  @Test
  void greedyEndsWithoutRetypingAndEveryEngineAgrees() {
    SamplingOptions o = SamplingOptions.builder().optGreedy(true).optMaxNewTokens(MAX_NEW)
        .optMaxActions(MAX_ACTIONS).build();
    List<long[]> actions = sameActionsFromEveryEngine(o, null);
    for (int b = 0; b < PROMPTS.size(); b++) {
      replay(PROMPTS.get(b), actions.get(b), true);
      assertTrue(actions.get(b).length < MAX_ACTIONS, "row " + b + " looped to max_actions");
      assertTrue(count(actions.get(b), BKSPC) > 0, "row " + b + ": the crafted model must delete");
    }
  }

  @Test
  void withoutTheRuleTheCraftedModelLoops() {
    // Sampling at a low temperature is greedy up to ties but, without the rule, the policy's own choice:
    // it retypes the deleted token and ends at max_actions. This is what the rule fixes.
    SamplingOptions o = SamplingOptions.builder().optTemperature(1e-4).optMaxNewTokens(MAX_NEW).optMaxActions(40)
        .build();
    try (Generator gen = new Generator(model)) {
      for (GenerationResult r : gen.generate(PROMPTS, o)) {
        assertEquals(FinishReason.MAX_ACTIONS, r.finishReason());
        assertTrue(retypes(r.tokens(), r.promptLength(), r.actions()));
      }
    }
  }

  @Test
  void seededSamplingWithTheRuleAgreesAcrossEngines() {
    for (long seed : new long[] {3, 4}) {
      SamplingOptions o = SamplingOptions.builder().optNoRetype(true).optSeed(seed).optMaxNewTokens(MAX_NEW)
          .optMaxActions(MAX_ACTIONS).build();
      List<long[]> actions = sameActionsFromEveryEngine(o, seed);
      for (int b = 0; b < PROMPTS.size(); b++) {
        replay(PROMPTS.get(b), actions.get(b), false);
      }
    }
  }

  @Test
  void extremeTemperaturesNeverChooseAMaskedBackspace() {
    try (Generator gen = new Generator(model); OrtGenerator og = new OrtGenerator(ort)) {
      for (double t : new double[] {1e-45, 1e-38, 1e39, Float.MAX_VALUE, Double.MAX_VALUE}) {
        for (boolean allow : new boolean[] {true, false}) {
          SamplingOptions o = SamplingOptions.builder().optTemperature(t).optAllowBackspace(allow)
              .optMaxNewTokens(MAX_NEW).build();
          List<List<GenerationResult>> all = List.of(gen.generate(PROMPTS, o), og.generate(PROMPTS, o));
          for (List<GenerationResult> results : all) {
            for (GenerationResult r : results) {
              int depth = 0;
              for (long a : r.actions()) {
                assertFalse(a == BKSPC && (!allow || depth == 0), "T=" + t + " chose a masked <bkspc>");
                depth += a == BKSPC ? -1 : 1;
              }
            }
          }
        }
      }
    }
  }

  @Test
  void aNanModelFailsItsRowsWithAClearError() {
    try (CausalLM nan = CausalLM.load(TestModels.nanCheckpoint(), Device.cpu());
        OrtModel nanOrt = OrtModel.load(TestModels.nanOnnx());
        Generator gen = new Generator(nan);
        OrtGenerator og = new OrtGenerator(nanOrt)) {
      for (boolean greedy : new boolean[] {true, false}) {
        for (boolean allow : new boolean[] {true, false}) {
          SamplingOptions o = SamplingOptions.builder().optGreedy(greedy).optAllowBackspace(allow)
              .optMaxNewTokens(MAX_NEW).build();
          for (ModelOutputException e : List.of(
              assertThrows(ModelOutputException.class, () -> gen.generate(PROMPTS, o)),
              assertThrows(ModelOutputException.class, () -> og.generate(PROMPTS, o)))) {
            assertTrue(e.getMessage().startsWith("generate: row 0: the model's logits are not finite (NaN)"),
                e.getMessage());
            assertEquals(0, e.row());
          }
        }
      }
      // A step engine fails the NaN model's row alone.
      try (StepEngine engine = new RecomputeStepEngine(nan)) {
        Row r = engine.add(PROMPTS.get(0), RowParams.greedy(MAX_NEW));
        ModelOutputException e = assertThrows(ModelOutputException.class, engine::step);
        assertEquals(r.id(), e.row());
        assertEquals(0, engine.activeRows(), "the failed row must leave the batch");
      }
    }
    // ... while rows of a healthy model beside it keep going (a row is failed before any row is stepped).
    try (StepEngine engine = new RecomputeStepEngine(model)) {
      Row healthy = engine.add(PROMPTS.get(1), RowParams.greedy(MAX_NEW));
      Row broken = engine.add(PROMPTS.get(2), RowParams.greedy(MAX_NEW));
      java.util.Arrays.fill(broken.logits, Float.NaN);
      ModelOutputException e = assertThrows(ModelOutputException.class, engine::step);
      assertEquals(broken.id(), e.row());
      assertEquals(0, healthy.actions(), "no row is stepped by a failed step");
      while (engine.activeRows() > 0) {
        engine.step();
      }
      assertNotEquals(null, healthy.finishReason());
    }
  }

  /**
   * Runs {@code o} on every engine and asserts the same actions per row; returns them. Step engines get
   * the same per-row parameters (greedy, or seed + b with the rule on).
   */
  private static List<long[]> sameActionsFromEveryEngine(SamplingOptions o, Long seed) {
    List<long[]> nativeActions = new ArrayList<>();
    try (Generator gen = new Generator(model); OrtGenerator og = new OrtGenerator(ort)) {
      List<GenerationResult> n = gen.generate(PROMPTS, o);
      List<GenerationResult> x = og.generate(PROMPTS, o);
      for (int b = 0; b < PROMPTS.size(); b++) {
        nativeActions.add(n.get(b).actions());
        assertArrayEquals(n.get(b).actions(), x.get(b).actions(), "OrtGenerator row " + b);
        assertNotEquals(FinishReason.MAX_ACTIONS, n.get(b).finishReason(), "row " + b);
      }
    }
    for (StepEngine engine : List.of(new RecomputeStepEngine(model), new OrtStepEngine(ort))) {
      try (engine) {
        Map<Row, List<Long>> trace = new LinkedHashMap<>();
        for (int b = 0; b < PROMPTS.size(); b++) {
          RowParams p = seed == null ? new RowParams(MAX_NEW, MAX_ACTIONS, true, 1, 0, 1, 0, null, true, true)
              : new RowParams(MAX_NEW, MAX_ACTIONS, false, 1, 0, 1, seed + b, null, true, true);
          trace.put(engine.add(PROMPTS.get(b), p), new ArrayList<>());
        }
        while (engine.activeRows() > 0) {
          for (StepEvent e : engine.step()) {
            trace.get(e.row()).add(e.backspace() ? BKSPC : e.token());
          }
        }
        int b = 0;
        for (List<Long> t : trace.values()) {
          assertArrayEquals(nativeActions.get(b), t.stream().mapToLong(Long::longValue).toArray(),
              engine.getClass().getSimpleName() + " row " + b);
          b++;
        }
      }
    }
    return nativeActions;
  }

  /**
   * Independent replay of the rule, keyed by the full state (not by depth as the engines keep it): no
   * token is typed where it was deleted before; with {@code greedy}, every action is the argmax of a clean
   * full forward on that state over the allowed actions.
   */
  private static void replay(long[] prompt, long[] actions, boolean greedy) {
    Map<List<Long>, Set<Long>> deleted = new HashMap<>();
    List<Long> state = new ArrayList<>();
    for (long t : prompt) {
      state.add(t);
    }
    for (long a : actions) {
      Set<Long> banned = deleted.computeIfAbsent(List.copyOf(state), k -> new HashSet<>());
      if (greedy) {
        long[] ids = state.stream().mapToLong(Long::longValue).toArray();
        float[] all = model.forward(ids, 1, ids.length);
        int V = all.length / ids.length;
        int best = -1;
        for (int v = 0; v < V; v++) {
          boolean masked = v == BKSPC && state.size() == prompt.length || banned.contains((long) v);
          if (!masked && (best < 0 || all[(ids.length - 1) * V + v] > all[(ids.length - 1) * V + best])) {
            best = v;
          }
        }
        assertEquals(best, a, "greedy action at a state of " + state.size() + " tokens");
      }
      if (a == BKSPC) {
        assertTrue(state.size() > prompt.length, "the prompt was deleted");
        long removed = state.remove(state.size() - 1);
        deleted.computeIfAbsent(List.copyOf(state), k -> new HashSet<>()).add(removed);
      } else {
        assertFalse(banned.contains(a), "token " + a + " retyped at a state where it was deleted");
        state.add(a);
      }
    }
  }

  private static boolean retypes(long[] tokens, int promptLength, long[] actions) {
    Map<List<Long>, Set<Long>> deleted = new HashMap<>();
    List<Long> state = new ArrayList<>();
    for (int i = 0; i < promptLength; i++) {
      state.add(tokens[i]);
    }
    for (long a : actions) {
      if (a == BKSPC) {
        long removed = state.remove(state.size() - 1);
        deleted.computeIfAbsent(List.copyOf(state), k -> new HashSet<>()).add(removed);
      } else {
        if (deleted.getOrDefault(state, Set.of()).contains(a)) {
          return true;
        }
        state.add(a);
      }
    }
    return false;
  }

  private static int count(long[] xs, long x) {
    int n = 0;
    for (long v : xs) {
      n += v == x ? 1 : 0;
    }
    return n;
  }
}
