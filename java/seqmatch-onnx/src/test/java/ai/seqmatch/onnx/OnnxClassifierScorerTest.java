/*
 * OnnxClassifierScorer against an independent computation: a tiny classifier built here (mean of per-byte
 * logit rows, so the class probability of any text is computable by hand) scores texts as the softmax
 * formula says; bad specs are errors naming the field.
 */
package ai.seqmatch.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.onnx.proto.ModelProto;
import ai.seqmatch.onnx.proto.OperatorSetIdProto;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxClassifierScorerTest {
  // Logit rows per byte: 'x' votes for class 1 ("pos"), 'y' for class 0 ("neg"), others are neutral.
  private static float[][] rows() {
    float[][] e = new float[256][2];
    e['x'] = new float[] {0f, 3f};
    e['y'] = new float[] {2f, 0f};
    return e;
  }

  /** logits = mean over the text's bytes of rows()[byte]: Gather + ReduceMean. */
  private static Path writeClassifier(Path dir) throws Exception {
    GraphBuilder g = new GraphBuilder("clf", false, null, null);
    g.input("input_ids", GraphBuilder.INT64, 1L, "T");
    float[] flat = new float[256 * 2];
    float[][] e = rows();
    for (int i = 0; i < 256; i++) {
      flat[2 * i] = e[i][0];
      flat[2 * i + 1] = e[i][1];
    }
    String table = g.weight("table", flat, false, 256, 2);
    String gathered = g.op("Gather", null, List.of(table, "input_ids"));
    g.op("ReduceMean", "logits", List.of(gathered), GraphBuilder.attrInts("axes", 1), GraphBuilder.attr("keepdims", 0L));
    g.output("logits", GraphBuilder.FLOAT, 1L, 2L);
    ModelProto m = ModelProto.newBuilder().setIrVersion(8).setProducerName("test")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)).setGraph(g.build()).build();
    Path file = dir.resolve("clf.onnx");
    try (OutputStream out = Files.newOutputStream(file)) {
      m.writeTo(out);
    }
    return file;
  }

  private static double expected(String text, int cls) {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    double[] mean = new double[2];
    for (byte x : b) {
      mean[0] += rows()[x & 0xFF][0] / (double) b.length;
      mean[1] += rows()[x & 0xFF][1] / (double) b.length;
    }
    return Math.exp(mean[cls]) / (Math.exp(mean[0]) + Math.exp(mean[1]));
  }

  private static ObjectNode spec(Path model, String cls) {
    ObjectNode s = new ObjectMapper().createObjectNode().put("name", "pos").put("scorer", "onnx")
        .put("model", model.toString()).put("class", cls).put("tokenizer", "byte");
    s.putArray("labels").add("neg").add("pos");
    return s;
  }

  @Test
  void scoresAreTheNamedClassProbability(@TempDir Path dir) throws Exception {
    Path model = writeClassifier(dir);
    List<String> texts = List.of("xxa", "yy", "abc", "xy", "x");
    try (OnnxClassifierScorer pos = OnnxClassifierScorer.fromSpec(spec(model, "pos"), Path.of(""));
        OnnxClassifierScorer neg = OnnxClassifierScorer.fromSpec(spec(model, "neg"), Path.of(""))) {
      double[] want = texts.stream().mapToDouble(t -> expected(t, 1)).toArray();
      assertArrayEquals(want, pos.score(texts), 1e-6);
      double[] wantNeg = texts.stream().mapToDouble(t -> expected(t, 0)).toArray();
      assertArrayEquals(wantNeg, neg.score(texts), 1e-6);
    }
  }

  @Test
  void badSpecsNameTheField(@TempDir Path dir) throws Exception {
    Path model = writeClassifier(dir);
    var e = assertThrows(InvalidInputException.class, () -> OnnxClassifierScorer.fromSpec(spec(model, "maybe"), Path.of("")));
    assertTrue(e.getMessage().startsWith("gdc.constraints[pos].class: 'maybe' is not one of the labels"), e.getMessage());
    e = assertThrows(InvalidInputException.class,
        () -> OnnxClassifierScorer.fromSpec(spec(dir.resolve("none.onnx"), "pos"), Path.of("")));
    assertTrue(e.getMessage().startsWith("gdc.constraints[pos].model: no such file"), e.getMessage());
    ObjectNode bad = spec(model, "pos").put("tokenizer", "missing.json");
    e = assertThrows(InvalidInputException.class, () -> OnnxClassifierScorer.fromSpec(bad, Path.of("")));
    assertTrue(e.getMessage().startsWith("gdc.constraints[pos].tokenizer: no such file"), e.getMessage());
  }
}
