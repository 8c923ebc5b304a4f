/* Bad inputs to the exporter and the ORT engine fail with one-line CheckpointException/InvalidInput messages. */
package ai.seqmatch.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.CheckpointException;
import ai.seqmatch.InvalidInputException;
import ai.seqmatch.sample.SamplingOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OrtBadInputTest {
  @TempDir Path dir;

  private static void oneLine(Exception e, String contains) {
    System.out.println(e.getMessage());
    assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
    assertTrue(e.getMessage().contains(contains), e.getMessage());
  }

  @Test
  void missingCheckpoint() {
    Exception e = assertThrows(CheckpointException.class,
        () -> OnnxExporter.builder(dir.resolve("nope"), dir.resolve("out")).build().export());
    oneLine(e, "not a directory");
  }

  @Test
  void checkpointWithoutWeights() throws IOException {
    Path ckpt = Files.createDirectories(dir.resolve("ckpt"));
    Files.writeString(ckpt.resolve("config.json"), "{\"vocab_size\": 10}");
    oneLine(assertThrows(CheckpointException.class,
        () -> OnnxExporter.builder(ckpt, dir.resolve("out")).build().export()), "missing model.safetensors");
  }

  @Test
  void nonOnnxDirectory() {
    oneLine(assertThrows(CheckpointException.class, () -> OrtModel.load(TestModels.hfGpt2Tiny())),
        "not a SeqMatch ONNX export");
    oneLine(assertThrows(CheckpointException.class, () -> OrtModel.load(dir.resolve("missing"))), "not a directory");
  }

  @Test
  void corruptModelFile() throws IOException {
    Path out = dir.resolve("onnx");
    OnnxExporter.builder(TestModels.hfGpt2Tiny(), out).optValidate(false).build().export();
    Files.write(out.resolve("model.onnx"), new byte[] {1, 2, 3});
    Exception e = assertThrows(RuntimeException.class, () -> OrtModel.load(out));
    oneLine(e, "ONNX Runtime cannot load it");
  }

  @Test
  void badPromptsAndCudaFallback() {
    Path out = dir.resolve("onnx2");
    OnnxExporter.builder(TestModels.hfGpt2Tiny(), out).build().export();
    // The CPU onnxruntime jar has no CUDA EP: a loud WARN, then the CPU, never a silent switch.
    try (OrtModel m = OrtModel.load(out, ExecutionProvider.CUDA, 1); OrtGenerator g = new OrtGenerator(m)) {
      assertEquals(ExecutionProvider.CPU, m.executionProvider());
      SamplingOptions o = SamplingOptions.greedy(4);
      oneLine(assertThrows(InvalidInputException.class, () -> g.generate(new long[0], o)), "is empty");
      oneLine(assertThrows(InvalidInputException.class, () -> g.generate(new long[] {300}, o)), "outside the vocabulary");
      oneLine(assertThrows(InvalidInputException.class, () -> g.generate(new long[64], o)), "context is 64");
      oneLine(assertThrows(InvalidInputException.class, () -> g.generate(List.of(new long[] {1}),
          o.toBuilder().optRowSeeds(1, 2).build())), "row_seeds");
      // A huge max_new_tokens once overflowed the buffer sizes ("onnx: buffer too large (got -32 elements)"):
      // the context ends the row instead.
      var r = g.generate(new long[] {1, 2}, SamplingOptions.greedy(Long.MAX_VALUE));
      assertEquals(64, r.tokens().length);
      assertEquals(ai.seqmatch.sample.FinishReason.LENGTH, r.finishReason());
    }
  }
}
