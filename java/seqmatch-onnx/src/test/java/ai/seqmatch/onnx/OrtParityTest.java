/*
 * ONNX export parity: ORT logits == native CausalLM.forward logits (float32, 1e-4) on random ids, on a
 * packed backspace mask (DESIGN.md §3), across a KV-cache continuation, and against the Hugging Face
 * fixture; fp16 and external-data exports load and stay close.
 */
package ai.seqmatch.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.Device;
import ai.seqmatch.io.SafeTensors;
import ai.seqmatch.model.CausalLM;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OrtParityTest {
  // float32 on both sides; 1e-4 covers accumulation-order differences between libtorch's BLAS and
  // ORT's MLAS kernels (the observed max is printed).
  private static final float ATOL = 1e-4f;

  @TempDir static Path dir;
  private static CausalLM nativeModel;
  private static OrtModel ort;

  @BeforeAll
  static void export() {
    Path[] paths = TestModels.saveAndExport(TestModels.CONFIG, 3, dir);
    nativeModel = CausalLM.load(paths[0], Device.cpu());
    ort = OrtModel.load(paths[1]);
  }

  @AfterAll
  static void close() {
    ort.close();
    nativeModel.close();
  }

  @Test
  void causalLogitsMatchNative() {
    Random r = new Random(1);
    int B = 3;
    int T = 11;
    long[] ids = r.longs((long) B * T, 0, 24).toArray();
    float[] want = nativeModel.forward(ids, B, T);
    float[] got = ort.forward(ids, null, null, B, T);
    assertTrue(TestModels.maxDiff("causal logits", want, got, ATOL) <= ATOL);
  }

  /** DESIGN.md §3: `BOS The cat sat <bk> <bk> dog ran`, packed into one row with its stack mask. */
  @Test
  void packedBackspaceMaskMatchesNative() {
    long bk = TestModels.BKSPC;
    long[] actions = {0, 5, 6, 7, bk, bk, 8, 9, 10, bk, 11};
    int T = actions.length;
    TestModels.Packed p = TestModels.pack(actions, bk);
    float[] want = nativeModel.forward(p.ids(), p.pos(), p.mask(), 1, T);
    float[] got = ort.forward(p.ids(), p.pos(), p.mask(), 1, T);
    assertTrue(TestModels.maxDiff("packed logits", want, got, ATOL) <= ATOL);
  }

  /** A prefix, then the rest with the prefix's presents as past == one full native forward. */
  @Test
  void kvCacheContinuationMatchesFullForward() {
    Random r = new Random(2);
    int B = 2;
    int P = 6;
    int T = 5;
    int V = 24;
    long[] all = r.longs((long) B * (P + T), 0, 24).toArray();
    long[] prefix = new long[B * P];
    long[] rest = new long[B * T];
    for (int b = 0; b < B; b++) {
      System.arraycopy(all, b * (P + T), prefix, b * P, P);
      System.arraycopy(all, b * (P + T) + P, rest, b * T, T);
    }
    OrtModel.Step first = ort.forward(prefix, null, null, B, P, 0, null, null);
    OrtModel.Step second = ort.forward(rest, null, null, B, T, P, first.presentKey(), first.presentValue());
    float[] full = nativeModel.forward(all, B, P + T);
    float[] want = new float[B * T * V];
    for (int b = 0; b < B; b++) {
      System.arraycopy(full, (b * (P + T) + P) * V, want, b * T * V, T * V);
    }
    assertTrue(TestModels.maxDiff("continued logits", want, second.logits(), ATOL) <= ATOL);
    assertEquals(B * 4 * (P + T) * 8, second.presentKey()[0].length);
  }

  @Test
  void hfFixtureLogitsMatchTransformers() throws IOException {
    Path out = dir.resolve("hf-onnx");
    OnnxExporter.builder(TestModels.hfGpt2Tiny(), out).build().export();
    SafeTensors expected = SafeTensors.open(TestModels.hfGpt2Tiny().resolve("expected.safetensors"));
    long[] shape = expected.info("logits").shape();
    try (OrtModel m = OrtModel.load(out)) {
      float[] got = m.forward(expected.longs("input_ids"), null, null, (int) shape[0], (int) shape[1]);
      assertTrue(TestModels.maxDiff("hf logits", expected.floats("logits"), got, ATOL) <= ATOL);
    }
  }

  /** fp16 storage: half the file, logits within a loose 2e-2 (weights rounded to 11 bits). */
  @Test
  void fp16ExportIsCloseAndSmaller() throws IOException {
    Path out = dir.resolve("fp16");
    OnnxModelInfo info = OnnxExporter.builder(TestModels.hfGpt2Tiny(), out).optFp16(true).build().export();
    assertEquals("float16", info.dtype());
    Path fp32 = dir.resolve("fp32");
    OnnxExporter.builder(TestModels.hfGpt2Tiny(), fp32).build().export();
    long small = Files.size(out.resolve("model.onnx"));
    long big = Files.size(fp32.resolve("model.onnx"));
    System.out.println("model.onnx bytes: fp32 " + big + ", fp16 " + small);
    assertTrue(small < 0.6 * big, "fp16 export should be about half the size");
    SafeTensors expected = SafeTensors.open(TestModels.hfGpt2Tiny().resolve("expected.safetensors"));
    long[] shape = expected.info("logits").shape();
    try (OrtModel m = OrtModel.load(out)) {
      float[] got = m.forward(expected.longs("input_ids"), null, null, (int) shape[0], (int) shape[1]);
      assertTrue(TestModels.maxDiff("fp16 logits", expected.floats("logits"), got, 2e-2f) <= 2e-2f);
    }
  }

  @Test
  void externalDataExportLoads() {
    Path out = dir.resolve("external");
    OnnxModelInfo info = OnnxExporter.builder(TestModels.hfGpt2Tiny(), out)
        .optExternalData(OnnxExporter.ExternalData.ALWAYS).build().export();
    assertEquals("model.onnx.data", info.externalData());
    assertTrue(Files.isRegularFile(out.resolve("model.onnx.data")));
    Path inlineDir = dir.resolve("inline");
    OnnxExporter.builder(TestModels.hfGpt2Tiny(), inlineDir).optExternalData(OnnxExporter.ExternalData.NEVER)
        .build().export();
    long[] ids = {1, 2, 3, 4};
    try (OrtModel inline = OrtModel.load(inlineDir); OrtModel m = OrtModel.load(out)) {
      assertArrayEquals(inline.forward(ids, null, null, 1, 4), m.forward(ids, null, null, 1, 4));
    }
    assertTrue(OnnxModelInfo.read(out).externalData() != null);
  }
}
