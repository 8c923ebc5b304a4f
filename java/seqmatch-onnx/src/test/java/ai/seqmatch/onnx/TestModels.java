/* Shared inputs of the ONNX tests: small random checkpoints saved by the native core, exported once. */
package ai.seqmatch.onnx;

import ai.seqmatch.Device;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.model.ModelConfig;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;

final class TestModels {
  private TestModels() {}

  // V = 24: ids 0..21 ordinary, 22 = <eos>, 23 = <bkspc> (as GeneratorTest): <bkspc> is likely enough
  // under a near-uniform random model to be chosen.
  static final long EOS = 22;
  static final long BKSPC = 23;
  static final ModelConfig CONFIG = ModelConfig.builder(24).optNPositions(48).optNEmbd(32).optNLayer(2)
      .optNHead(4).optEosTokenId(EOS).optBkspcTokenId(BKSPC).build();

  /** The HF GPT-2 fixture of seqmatch-core's tests (path set by Surefire). */
  static Path hfGpt2Tiny() {
    return Path.of(System.getProperty("seqmatch.fixtures", "../seqmatch-core/src/test/resources/fixtures"))
        .resolve("hf-gpt2-tiny");
  }

  /** A Hugging Face fixture directory of seqmatch-core's tests: hf-gpt2-tiny, llama-tiny-a, qwen2-tiny. */
  static Path fixture(String name) {
    return Path.of(System.getProperty("seqmatch.fixtures", "../seqmatch-core/src/test/resources/fixtures"))
        .resolve(name);
  }

  /** Saves a freshly initialised model to {@code dir}/ckpt and exports it to {@code dir}/onnx. */
  static Path[] saveAndExport(ModelConfig config, long seed, Path dir) {
    Path ckpt = dir.resolve("ckpt");
    try (CausalLM m = CausalLM.create(config, seed, Device.cpu())) {
      m.save(ckpt);
    }
    Path onnx = dir.resolve("onnx");
    OnnxExporter.builder(ckpt, onnx).build().export();
    return new Path[] {ckpt, onnx};
  }

  /**
   * DESIGN.md §3's single-pass packing of {@code actions} ({@code bk} = <bkspc>): ids, positions, the
   * [T, T] stack mask, and each row's state (the token ids it represents).
   */
  record Packed(long[] ids, long[] pos, boolean[] mask, List<long[]> states) {}

  static Packed pack(long[] actions, long bk) {
    int T = actions.length;
    long[] ids = new long[T];
    long[] pos = new long[T];
    boolean[] mask = new boolean[T * T];
    List<long[]> states = new ArrayList<>();
    Deque<Integer> stack = new ArrayDeque<>();
    for (int t = 0; t < T; t++) {
      if (actions[t] == bk) {
        stack.pop();
        int prev = stack.pop();
        ids[t] = ids[prev];
        pos[t] = pos[prev];
      } else {
        ids[t] = actions[t];
        pos[t] = stack.size();
      }
      stack.push(t);
      List<Integer> rows = new ArrayList<>(stack);
      Collections.reverse(rows); // bottom of the stack first
      long[] state = new long[rows.size()];
      for (int i = 0; i < rows.size(); i++) {
        state[i] = ids[rows.get(i)];
        mask[t * T + rows.get(i)] = true;
      }
      states.add(state);
    }
    return new Packed(ids, pos, mask, states);
  }

  /** Max |a - b| over finite entries of a, printing the first 5 pairs and up to 10 mismatches over atol. */
  static float maxDiff(String what, float[] want, float[] got, float atol) {
    if (want.length != got.length) {
      throw new AssertionError(what + ": lengths differ (want " + want.length + ", got " + got.length + ")");
    }
    float max = 0;
    int mismatches = 0;
    for (int i = 0; i < want.length; i++) {
      if (!Float.isFinite(want[i])) {
        continue;
      }
      float d = Math.abs(want[i] - got[i]);
      if (i < 5) {
        System.out.printf("%s[%d]: want %.6f got %.6f%n", what, i, want[i], got[i]);
      }
      if (d > atol && ++mismatches <= 10) {
        System.out.printf("MISMATCH %s[%d]: want %.6f got %.6f%n", what, i, want[i], got[i]);
      }
      max = Math.max(max, d);
    }
    System.out.println(what + ": max abs diff " + max);
    return max;
  }
}
