/*
 * Test fixtures: a tiny GPT-2 over the built-in byte tokenizer (V = 259: bytes, <eos> 256, <pad> 257,
 * <bkspc> 258) whose weights are crafted so that <bkspc> is common: ln_f.bias = c and wte[<bkspc>] =
 * alpha·c/|c|², which adds about alpha = ln(258/3) to the <bkspc> logit in every state (about 1 action in
 * 4 under temperature 1, and greedy alternates token / <bkspc>). Written once per JVM as a checkpoint
 * (config.json names the byte tokenizer) and as its ONNX export. Two variants for the no-retype rule and
 * total sampling: looping (alpha = 30: <bkspc> is the argmax after any generated token, so greedy without
 * the rule types, deletes and retypes forever) and NaN (ln_f.bias[0] = NaN: every logit is NaN).
 */
package ai.seqmatch.serving;

import ai.seqmatch.Device;
import ai.seqmatch.io.DType;
import ai.seqmatch.io.SafeTensors;
import ai.seqmatch.io.TensorInfo;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.model.ModelConfig;
import ai.seqmatch.onnx.OnnxExporter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

public final class TestModels {
  public static final long EOS = 256;
  public static final long BKSPC = 258;
  public static final ModelConfig CONFIG = ModelConfig.builder(259).optNPositions(96).optNEmbd(32).optNLayer(2)
      .optNHead(4).optEosTokenId(EOS).optPadTokenId(257).optBkspcTokenId(BKSPC).build();

  private static final double ALPHA = Math.log(258.0 / 3.0);
  private static final double LOOPING_ALPHA = 30;

  private static Path checkpoint;
  private static Path onnx;
  private static Path loopingCheckpoint;
  private static Path loopingOnnx;
  private static Path nanCheckpoint;
  private static Path nanOnnx;

  private TestModels() {}

  /** seqmatch-core's test resources: fixtures/ (HF checkpoints) and tokenizers/ (Llama/Qwen-style). */
  public static final Path CORE_RESOURCES = Path.of("../seqmatch-core/src/test/resources");

  /**
   * The llama-tiny-a fixture with the Llama-style test tokenizer (tokenizer.json + tokenizer_config.json,
   * chat template included) and, when {@code bkspc} >= 0, that id declared <bkspc>; exported to
   * {@code dir}/NAME-onnx, which is returned.
   */
  public static Path llamaExport(Path dir, String name, long bkspc) throws IOException {
    Path fixture = CORE_RESOURCES.resolve("fixtures/llama-tiny-a");
    Path ckpt = dir.resolve(name);
    Files.createDirectories(ckpt);
    Files.copy(fixture.resolve("model.safetensors"), ckpt.resolve("model.safetensors"));
    for (String f : new String[] {"tokenizer.json", "tokenizer_config.json"}) {
      Files.copy(CORE_RESOURCES.resolve("tokenizers/llama-spbpe").resolve(f), ckpt.resolve(f));
    }
    ObjectMapper json = new ObjectMapper();
    ObjectNode config = (ObjectNode) json.readTree(fixture.resolve("config.json").toFile());
    if (bkspc >= 0) {
      config.putObject("seqmatch").put("bkspc_token_id", bkspc);
    }
    Files.writeString(ckpt.resolve("config.json"), json.writeValueAsString(config));
    Path onnx = dir.resolve(name + "-onnx");
    OnnxExporter.builder(ckpt, onnx).build().export();
    return onnx;
  }

  /** The crafted checkpoint directory (created on first use under target/). */
  public static synchronized Path checkpoint() {
    if (checkpoint == null) {
      checkpoint = build(ALPHA, false);
    }
    return checkpoint;
  }

  /** The ONNX export of {@link #checkpoint()}. */
  public static synchronized Path onnx() {
    if (onnx == null) {
      onnx = export(checkpoint(), true);
    }
    return onnx;
  }

  /** The looping variant: <bkspc> is the argmax in every state where it is allowed. */
  public static synchronized Path loopingCheckpoint() {
    if (loopingCheckpoint == null) {
      loopingCheckpoint = build(LOOPING_ALPHA, false);
    }
    return loopingCheckpoint;
  }

  public static synchronized Path loopingOnnx() {
    if (loopingOnnx == null) {
      loopingOnnx = export(loopingCheckpoint(), true);
    }
    return loopingOnnx;
  }

  /** The NaN variant: a checkpoint whose logits are all NaN. */
  public static synchronized Path nanCheckpoint() {
    if (nanCheckpoint == null) {
      nanCheckpoint = build(ALPHA, true);
    }
    return nanCheckpoint;
  }

  public static synchronized Path nanOnnx() {
    if (nanOnnx == null) {
      nanOnnx = export(nanCheckpoint(), false); // the exporter's own check would refuse it
    }
    return nanOnnx;
  }

  private static Path build(double alpha, boolean nan) {
    try {
      Path dir = Files.createTempDirectory(workDir(), "ckpt-");
      try (CausalLM m = CausalLM.create(CONFIG, 11, Device.cpu())) {
        m.save(dir);
      }
      craft(dir.resolve("model.safetensors"), alpha, nan);
      nameByteTokenizer(dir.resolve("config.json"));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path export(Path checkpoint, boolean validate) {
    try {
      Path out = Files.createTempDirectory(workDir(), "onnx-");
      OnnxExporter.builder(checkpoint, out).optValidate(validate).build().export();
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Path workDir() throws IOException {
    Path d = Path.of(System.getProperty("seqmatch.test.work.dir", "target")).resolve("test-work");
    Files.createDirectories(d);
    return d;
  }

  private static void craft(Path file, double alpha, boolean nan) throws IOException {
    SafeTensors st = SafeTensors.open(file);
    String wte = name(st, "wte.weight");
    String bias = name(st, "ln_f.bias");
    int C = (int) CONFIG.nEmbd();
    float[] c = new float[C];
    Random rnd = new Random(5);
    double norm2 = 0;
    for (int i = 0; i < C; i++) {
      c[i] = (float) rnd.nextGaussian();
      norm2 += c[i] * c[i];
    }
    if (nan) {
      c[0] = Float.NaN;
    }
    float[] row = new float[C];
    for (int i = 0; i < C; i++) {
      row[i] = (float) (alpha * c[i] / norm2);
    }
    long dataStart = dataStart(file);
    write(file, dataStart + st.info(bias).begin(), c);
    write(file, dataStart + st.info(wte).begin() + BKSPC * C * 4, row);
    if (st.names().contains("lm_head.weight")) { // an untied head carries the logits
      write(file, dataStart + st.info("lm_head.weight").begin() + BKSPC * C * 4, row);
    }
  }

  /** Where a safetensors file's data begins: after the 8-byte header length and the JSON header. */
  private static long dataStart(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      ch.read(len, 0);
      return 8 + len.flip().getLong();
    }
  }

  private static String name(SafeTensors st, String suffix) {
    for (String n : st.names()) {
      if (n.equals(suffix) || n.endsWith("." + suffix)) {
        TensorInfo info = st.info(n);
        if (info.dtype() != DType.F32) {
          throw new IllegalStateException("fixture expects F32 tensors (got " + info + ")");
        }
        return n;
      }
    }
    throw new IllegalStateException("fixture: no tensor named *" + suffix + " in " + st.names());
  }

  private static void write(Path file, long at, float[] values) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    b.flip();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      while (b.hasRemaining()) {
        ch.write(b, at + b.position());
      }
    }
  }

  private static void nameByteTokenizer(Path config) throws IOException {
    ObjectMapper m = new ObjectMapper();
    ObjectNode root = (ObjectNode) m.readTree(config.toFile());
    ObjectNode sm = root.has("seqmatch") ? (ObjectNode) root.get("seqmatch") : root.putObject("seqmatch");
    sm.putObject("tokenizer").put("type", "byte");
    Files.writeString(config, m.writerWithDefaultPrettyPrinter().writeValueAsString(root));
  }
}
