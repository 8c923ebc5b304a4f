/*
 * A checkpoint directory read without native code: config.json through HfConfig (GPT-2 or the Llama
 * family, the same fields and checks as the native loader) and the weights through CheckpointWeights
 * (model.safetensors or shards, F32/F16/BF16). GPT-2's "transformer." prefix is optional; its
 * lm_head.weight (tied) and attn.bias buffers are ignored.
 */
package ai.seqmatch.onnx;

import ai.seqmatch.CheckpointException;
import ai.seqmatch.io.CheckpointWeights;
import ai.seqmatch.io.TensorInfo;
import ai.seqmatch.model.Family;
import ai.seqmatch.model.HfConfig;
import ai.seqmatch.model.ModelConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Hyper-parameters (model) and weights of a checkpoint. */
final class SourceCheckpoint {
  final Path dir;
  final JsonNode config; // the raw config.json, for the tokenizer spec
  final ModelConfig model;
  private final CheckpointWeights weights;
  private final String prefix;

  private SourceCheckpoint(Path dir, JsonNode config, ModelConfig model, CheckpointWeights weights) {
    this.dir = dir;
    this.config = config;
    this.model = model;
    this.weights = weights;
    if (model.family() == Family.GPT2) {
      this.prefix = weights.names().contains("transformer.wte.weight") ? "transformer." : "";
      checkShape("wte.weight", model.vocabSize(), model.nEmbd());
      checkShape("wpe.weight", model.nPositions(), model.nEmbd());
    } else {
      this.prefix = "";
      checkShape("model.embed_tokens.weight", model.vocabSize(), model.nEmbd());
    }
  }

  /** Opens {@code dir}; a missing or malformed file is a CheckpointException naming it. */
  static SourceCheckpoint open(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new CheckpointException("checkpoint " + dir + ": not a directory. Hint: pass a directory holding "
          + "config.json and model.safetensors");
    }
    Path configFile = dir.resolve("config.json");
    if (!Files.isRegularFile(configFile)) {
      throw new CheckpointException("checkpoint " + dir + ": missing config.json. Hint: pass a directory holding "
          + "config.json and model.safetensors");
    }
    JsonNode config;
    try {
      config = new ObjectMapper().readTree(configFile.toFile());
    } catch (IOException e) {
      throw new CheckpointException("checkpoint " + configFile + ": not valid JSON ("
          + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + ")", e);
    }
    CheckpointWeights weights = CheckpointWeights.open(dir); // a missing weights file is named first
    ModelConfig model = HfConfig.parse(config, configFile.toString());
    return new SourceCheckpoint(dir, config, model, weights);
  }

  boolean has(String name) {
    return weights.names().contains(prefix + name);
  }

  /** A float tensor by its checkpoint name (GPT-2: without "transformer."), checked against {@code shape}. */
  float[] tensor(String name, long... shape) {
    checkShape(name, shape);
    return weights.floats(prefix + name);
  }

  private void checkShape(String name, long... shape) {
    TensorInfo info = weights.info(prefix + name);
    if (!Arrays.equals(info.shape(), shape)) {
      throw new CheckpointException("checkpoint " + weights.file(prefix + name) + ": tensor '" + prefix + name
          + "' has the wrong shape (got " + Arrays.toString(info.shape()) + ", expected " + Arrays.toString(shape)
          + "). Hint: config.json does not describe these weights");
    }
  }
}
