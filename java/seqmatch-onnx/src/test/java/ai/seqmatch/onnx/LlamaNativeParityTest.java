/*
 * ONNX export against the native core's own Llama implementation (an independent C++ forward), on
 * configurations the fixtures do not cover: head_dim differing from hidden/heads, llama attention_bias,
 * llama3 and linear RoPE scaling with positions past original_max_position_embeddings, GQA 6/2, and a
 * tied qwen2 with <bkspc>. Each is created and saved by CausalLM (HF names), exported, and compared:
 * causal logits and a packed backspace row (1e-4, float32 both sides).
 */
package ai.seqmatch.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.Device;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.model.Family;
import ai.seqmatch.model.ModelConfig;
import ai.seqmatch.model.RopeScaling;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class LlamaNativeParityTest {
  private static final float ATOL = 1e-4f;

  @TempDir Path dir;

  static Stream<ModelConfig> configs() {
    ModelConfig.Builder llama = ModelConfig.builder(97).optFamily(Family.LLAMA).optNPositions(96).optNEmbd(48)
        .optNLayer(2).optNHead(6).optNKvHeads(2).optIntermediateSize(80).optEosTokenId(95).optBkspcTokenId(96)
        .optTieWordEmbeddings(false);
    return Stream.of(
        llama.optHeadDim(12).optAttentionBias(true).optRopeScaling(RopeScaling.llama3(4, 1, 4, 32)).build(),
        llama.optHeadDim(0).optAttentionBias(false).optRopeTheta(500000).optRopeScaling(RopeScaling.linear(2))
            .build(),
        ModelConfig.builder(97).optFamily(Family.QWEN2).optNPositions(96).optNEmbd(32).optNLayer(2).optNHead(4)
            .optNKvHeads(1).optIntermediateSize(64).optRopeTheta(1e6).optTieWordEmbeddings(true)
            .optEosTokenId(95).optBkspcTokenId(96).build());
  }

  @ParameterizedTest
  @MethodSource("configs")
  void exportMatchesNative(ModelConfig config) {
    Path ckpt = dir.resolve("ckpt");
    try (CausalLM m = CausalLM.create(config, 11, Device.cpu())) {
      m.save(ckpt);
    }
    Path onnx = dir.resolve("onnx");
    OnnxExporter.builder(ckpt, onnx).build().export();
    try (CausalLM nat = CausalLM.load(ckpt, Device.cpu()); OrtModel ort = OrtModel.load(onnx)) {
      assertEquals(config, nat.config());
      assertEquals(config.nKvHeads(), ort.info().nKvHeads());
      assertEquals(config.headDim(), ort.info().headDim());
      Random r = new Random(3);
      int B = 2;
      int T = 90; // past original_max_position_embeddings (32): every RoPE band is exercised
      long[] ids = r.longs((long) B * T, 0, 95).toArray();
      float[] want = nat.forward(ids, B, T);
      float[] got = ort.forward(ids, null, null, B, T);
      assertTrue(TestModels.maxDiff(config.family() + " causal", want, got, ATOL) <= ATOL);
      long bk = config.bkspcTokenId();
      TestModels.Packed p = TestModels.pack(new long[] {1, 5, 6, 7, bk, bk, 8, 9, 10, bk, 11, 12}, bk);
      int n = p.ids().length;
      float[] packedNative = nat.forward(p.ids(), p.pos(), p.mask(), 1, n);
      float[] packedOrt = ort.forward(p.ids(), p.pos(), p.mask(), 1, n);
      assertTrue(TestModels.maxDiff(config.family() + " packed", packedNative, packedOrt, ATOL) <= ATOL);
    }
  }
}
