/*
 * MAUVE's text features from an export: the last_hidden_state output at each row's last token, checked against
 * the native model (h·wteᵀ in float64 == native logits at that position, so h is the state after the final
 * layer norm), padding invariance of the batched call, truncation to the first tokens, empty text = <eos>, and
 * a clear error for an export without the output.
 */
package ai.seqmatch.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.CheckpointException;
import ai.seqmatch.Device;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.model.ModelConfig;
import ai.seqmatch.onnx.proto.GraphProto;
import ai.seqmatch.onnx.proto.ModelProto;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OrtTextFeaturesTest {
  @TempDir Path dir;

  @Test
  void lastHiddenStateTimesWteIsTheNativeLogitsAndPaddingChangesNothing() {
    Path[] paths = TestModels.saveAndExport(TestModels.CONFIG, 5, dir);
    int V = (int) TestModels.CONFIG.vocabSize();
    int C = (int) TestModels.CONFIG.nEmbd();
    float[] wte = SourceCheckpoint.open(paths[0]).tensor("wte.weight", V, C);
    Random r = new Random(2);
    List<long[]> rows = new ArrayList<>();
    for (int len : new int[] {3, 12, 7, 1}) {
      long[] ids = new long[len];
      for (int i = 0; i < len; i++) {
        ids[i] = r.nextInt(22);
      }
      rows.add(ids);
    }
    try (CausalLM nativeModel = CausalLM.load(paths[0], Device.cpu()); OrtModel ort = OrtModel.load(paths[1])) {
      assertTrue(ort.hasHiddenStates());
      float[][] batched = ort.lastHiddenStates(rows);
      for (int b = 0; b < rows.size(); b++) {
        long[] ids = rows.get(b);
        int T = ids.length;
        float[] logits = nativeModel.forward(ids, 1, T);
        float[] want = new float[V];
        System.arraycopy(logits, (T - 1) * V, want, 0, V);
        float[] got = new float[V];
        for (int v = 0; v < V; v++) {
          double s = 0;
          for (int c = 0; c < C; c++) {
            s += (double) batched[b][c] * wte[v * C + c];
          }
          got[v] = (float) s;
        }
        assertTrue(TestModels.maxDiff("row " + b + " h·wteᵀ", want, got, 1e-4f) <= 1e-4f);
        float[] alone = ort.lastHiddenStates(List.of(ids))[0];
        assertTrue(TestModels.maxDiff("row " + b + " alone vs padded", alone, batched[b], 1e-5f) <= 1e-5f);
      }
    }
  }

  /** A byte-level model (eos 256) whose config names its tokenizer, exported. */
  private Path byteExport() throws Exception {
    Path ckpt = dir.resolve("byte-ckpt");
    ModelConfig config = ModelConfig.builder(259).optNPositions(64).optNEmbd(16).optNLayer(1).optNHead(2)
        .optEosTokenId(256).optPadTokenId(257).optBkspcTokenId(258).build();
    try (CausalLM m = CausalLM.create(config, 7, Device.cpu())) {
      m.save(ckpt);
    }
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode c = (ObjectNode) mapper.readTree(ckpt.resolve("config.json").toFile());
    c.putObject("seqmatch").putObject("tokenizer").put("type", "byte");
    Files.writeString(ckpt.resolve("config.json"), c.toString());
    Path onnx = dir.resolve("byte-onnx");
    OnnxExporter.builder(ckpt, onnx).build().export();
    return onnx;
  }

  @Test
  void textsAreTruncatedToTheirFirstTokensAndEmptyIsEos() throws Exception {
    Path onnx = byteExport();
    try (OrtTextFeatures f = OrtTextFeatures.open(onnx, 10, 1)) {
      assertEquals(16, f.dimension());
      assertEquals(10, f.maxLength());
      assertArrayEquals(new long[] {104, 105}, f.tokens("hi"));
      assertArrayEquals(new long[] {256}, f.tokens(""));
      double[][] x = f.features(List.of("abcdefghijKLMNOPQRSTUVWXYZ", "abcdefghij", "", "xyz"));
      assertArrayEquals(x[1], x[0], 0.0, "only the first 10 tokens are read");
      assertEquals(16, x[2].length);
      assertTrue(!java.util.Arrays.equals(x[1], x[3]));
      assertTrue(f.describe().contains("first 10 tokens"), f.describe());
    }
    try (OrtTextFeatures f = OrtTextFeatures.open(onnx, 1024, 1)) {
      assertEquals(64, f.maxLength(), "capped at n_positions");
    }
  }

  @Test
  void exportWithoutTheHiddenOutputIsAClearError() throws Exception {
    Path onnx = byteExport();
    Path model = onnx.resolve("model.onnx");
    ModelProto m = ModelProto.parseFrom(Files.readAllBytes(model));
    GraphProto.Builder g = m.getGraph().toBuilder();
    for (int i = g.getOutputCount() - 1; i >= 0; i--) {
      if (g.getOutput(i).getName().equals(OrtModel.HIDDEN_OUTPUT)) {
        g.removeOutput(i);
      }
    }
    Files.write(model, m.toBuilder().setGraph(g).build().toByteArray());
    CheckpointException e = assertThrows(CheckpointException.class, () -> OrtTextFeatures.open(onnx, 16, 1));
    assertTrue(e.getMessage().contains("has no last_hidden_state output") && !e.getMessage().contains("\n"),
        e.getMessage());
  }
}
