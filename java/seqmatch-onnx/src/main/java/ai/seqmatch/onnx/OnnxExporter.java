/*
 * Checkpoint directory (ours or a Hugging Face GPT-2 / Llama / Qwen2 one) -> ONNX export directory, in
 * pure Java: model.onnx (opset 17, KV-cache I/O, see DecoderIo and OnnxModelInfo for the contract; the
 * family's graph is Gpt2OnnxGraph or LlamaOnnxGraph),
 * model.onnx.data when the weights pass protobuf's 2 GiB limit, seqmatch-onnx.json, and the source's
 * config.json + tokenizer file so Tokenizers.load(exportDir) finds the same tokenizer. Files are written
 * under temporary names and renamed; the export is then loaded in ONNX Runtime and run on a tiny input.
 * Tested by OnnxExportTest.
 */
package ai.seqmatch.onnx;

import ai.seqmatch.CheckpointException;
import ai.seqmatch.SeqMatchException;
import ai.seqmatch.onnx.proto.ModelProto;
import ai.seqmatch.onnx.proto.OperatorSetIdProto;
import ai.seqmatch.onnx.proto.StringStringEntryProto;
import ai.seqmatch.model.Family;
import ai.seqmatch.model.ModelConfig;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Exports one checkpoint; build with {@code OnnxExporter.builder(checkpoint, out)}. */
public final class OnnxExporter {
  /** When the weights go to an external data file. */
  public enum ExternalData {
    /** Only when model.onnx would pass protobuf's 2 GiB message limit. */
    AUTO,
    ALWAYS,
    NEVER
  }

  static final String MODEL_FILE = "model.onnx";
  static final String DATA_FILE = "model.onnx.data";
  /** Below protobuf's 2 GiB hard limit, with room for the graph itself. */
  static final long INLINE_LIMIT_BYTES = 1_900_000_000L;
  private static final int IR_VERSION = 8; // opset 17 needs IR >= 8

  private final Path checkpoint;
  private final Path out;
  private final boolean fp16;
  private final ExternalData externalData;
  private final boolean validate;

  private OnnxExporter(Builder b) {
    checkpoint = b.checkpoint;
    out = b.out;
    fp16 = b.fp16;
    externalData = b.externalData;
    validate = b.validate;
  }

  /** An exporter of {@code checkpoint} (a directory with config.json + model.safetensors) into {@code out}. */
  public static Builder builder(Path checkpoint, Path out) {
    return new Builder(checkpoint, out);
  }

  /** Writes the export; returns its metadata. Bad input is a CheckpointException naming the file. */
  public OnnxModelInfo export() {
    SourceCheckpoint ckpt = SourceCheckpoint.open(checkpoint);
    try {
      Files.createDirectories(out);
      boolean external = switch (externalData) {
        case ALWAYS -> true;
        case NEVER -> false;
        case AUTO -> weightBytes(ckpt) > INLINE_LIMIT_BYTES;
      };
      if (!external && weightBytes(ckpt) > INLINE_LIMIT_BYTES) {
        throw new CheckpointException("export " + checkpoint + ": weights too large for one model.onnx (about "
            + weightBytes(ckpt) + " bytes, limit " + INLINE_LIMIT_BYTES + "). Hint: allow external data");
      }
      Path dataTmp = out.resolve(DATA_FILE + ".tmp");
      ModelProto model;
      if (external) {
        try (OutputStream data = new BufferedOutputStream(Files.newOutputStream(dataTmp), 1 << 20)) {
          model = model(ckpt, data);
        }
      } else {
        model = model(ckpt, null);
      }
      Path modelTmp = out.resolve(MODEL_FILE + ".tmp");
      try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(modelTmp), 1 << 20)) {
        model.writeTo(os);
      }
      if (external) {
        Files.move(dataTmp, out.resolve(DATA_FILE), StandardCopyOption.REPLACE_EXISTING,
            StandardCopyOption.ATOMIC_MOVE);
      } else {
        Files.deleteIfExists(out.resolve(DATA_FILE)); // a stale one from an earlier export
      }
      Files.move(modelTmp, out.resolve(MODEL_FILE), StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
      JsonNode tokenizer = copyTokenizer(ckpt);
      ModelConfig c = ckpt.model;
      OnnxModelInfo info = new OnnxModelInfo(c.family().modelType(), c.nLayer(), c.nHead(), c.nKvHeads(),
          c.headDim(), c.nEmbd(), c.vocabSize(), c.nPositions(), c.bosTokenId(), c.eosTokenId(), c.padTokenId(),
          c.bkspcTokenId(),
          fp16 ? "float16" : "float32", Gpt2OnnxGraph.OPSET, MODEL_FILE, external ? DATA_FILE : null, tokenizer);
      info.write(out);
      if (validate) {
        validate(info);
      }
      return info;
    } catch (IOException e) {
      throw new SeqMatchException("export " + checkpoint + " -> " + out + ": I/O failed (" + e.getMessage() + ")", e);
    }
  }

  private ModelProto model(SourceCheckpoint ckpt, OutputStream external) throws IOException {
    String family = ckpt.model.family().modelType();
    GraphBuilder g = new GraphBuilder("seqmatch_" + family, fp16, external, DATA_FILE);
    if (ckpt.model.family() == Family.GPT2) {
      Gpt2OnnxGraph.build(ckpt, g);
    } else {
      LlamaOnnxGraph.build(ckpt, g);
    }
    return ModelProto.newBuilder().setIrVersion(IR_VERSION).setProducerName("seqmatch")
        .setProducerVersion(version()).setDomain("ai.seqmatch").setModelVersion(1)
        .setDocString(family + " with KV-cache I/O exported by SeqMatch from " + ckpt.dir.getFileName())
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(Gpt2OnnxGraph.OPSET))
        .addMetadataProps(StringStringEntryProto.newBuilder().setKey("seqmatch.bkspc_token_id")
            .setValue(Long.toString(ckpt.model.bkspcTokenId())))
        .setGraph(g.build()).build();
  }

  /** Bytes of all weights as float32 (the inline limit is checked before any float16 halving). */
  static long weightBytes(SourceCheckpoint ckpt) {
    ModelConfig m = ckpt.model;
    if (m.family() != Family.GPT2) {
      return 4 * LlamaOnnxGraph.parameters(m);
    }
    long C = m.nEmbd();
    long matrices = m.vocabSize() * C + m.nPositions() * C + m.nLayer() * 12 * C * C;
    long small = m.nLayer() * 13 * C + 2 * C;
    return 4 * (matrices + small);
  }

  /** Files of a Hugging Face directory kept with the export: bos/eos names, chat template, generation defaults. */
  private static final String[] SIDE_FILES = {"tokenizer_config.json", "special_tokens_map.json",
      "generation_config.json"};

  /**
   * Copies config.json, the tokenizer file it names (or a tokenizer.json beside it) and the side files
   * present; returns the spec.
   */
  private JsonNode copyTokenizer(SourceCheckpoint ckpt) throws IOException {
    copy(ckpt.dir.resolve("config.json"), out.resolve("config.json"));
    for (String side : SIDE_FILES) {
      if (Files.isRegularFile(ckpt.dir.resolve(side))) {
        copy(ckpt.dir.resolve(side), out.resolve(side));
      }
    }
    JsonNode spec = ckpt.config.path("seqmatch").path("tokenizer");
    String file = spec.isObject() && "hf".equals(spec.path("type").asText()) ? spec.path("file").asText("")
        : spec.isMissingNode() ? "tokenizer.json" : "";
    if (!file.isEmpty() && Files.isRegularFile(ckpt.dir.resolve(file))) {
      Path target = out.resolve(file).normalize();
      if (!target.startsWith(out.normalize())) {
        throw new CheckpointException("export " + ckpt.dir.resolve("config.json") + ": tokenizer file escapes "
            + "the checkpoint (got \"" + file + "\"). Hint: name a file inside the checkpoint directory");
      }
      Files.createDirectories(target.getParent());
      copy(ckpt.dir.resolve(file), target);
    }
    return spec.isObject() ? spec : null;
  }

  private static void copy(Path from, Path to) throws IOException {
    Path tmp = to.resolveSibling(to.getFileName() + ".tmp");
    Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING);
    Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Loads the export in ONNX Runtime (CPU) and runs a 1-token forward: the file is usable, logits finite. */
  private void validate(OnnxModelInfo info) {
    try (OrtModel m = OrtModel.load(out, ExecutionProvider.CPU, 1)) {
      float[] logits = m.forward(new long[] {0}, new long[] {0}, null, 1, 1);
      for (float f : logits) {
        if (!Float.isFinite(f)) {
          throw new SeqMatchException("export " + out + ": validation forward gave non-finite logits. Hint: the "
              + "checkpoint's weights may be corrupt");
        }
      }
      if (logits.length != info.vocabSize()) {
        throw new SeqMatchException("export " + out + ": validation forward gave " + logits.length
            + " logits (expected " + info.vocabSize() + ")");
      }
    }
  }

  private static String version() {
    String v = OnnxExporter.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  /** Options of an export; {@link #build()} validates them. */
  public static final class Builder {
    private final Path checkpoint;
    private final Path out;
    private boolean fp16;
    private ExternalData externalData = ExternalData.AUTO;
    private boolean validate = true;

    private Builder(Path checkpoint, Path out) {
      this.checkpoint = checkpoint;
      this.out = out;
    }

    /** Store the large matrices as float16 (half the file; compute and graph I/O stay float32). */
    public Builder optFp16(boolean fp16) {
      this.fp16 = fp16;
      return this;
    }

    public Builder optExternalData(ExternalData externalData) {
      this.externalData = externalData;
      return this;
    }

    /** Load and run the export in ONNX Runtime before returning (default true). */
    public Builder optValidate(boolean validate) {
      this.validate = validate;
      return this;
    }

    public OnnxExporter build() {
      java.util.List<String> problems = new java.util.ArrayList<>();
      if (checkpoint == null) {
        problems.add("checkpoint directory is required");
      }
      if (out == null) {
        problems.add("output directory is required");
      }
      if (externalData == null) {
        problems.add("external data mode is required (AUTO, ALWAYS or NEVER)");
      }
      if (checkpoint != null && out != null && checkpoint.toAbsolutePath().normalize()
          .equals(out.toAbsolutePath().normalize())) {
        problems.add("output directory must differ from the checkpoint (got " + out + " for both)");
      }
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException("invalid export options: " + String.join("; ", problems));
      }
      return new OnnxExporter(this);
    }
  }

}
