/*
 * A checkpoint directory read without native code: config.json (ours or Hugging Face GPT-2's, the same
 * fields and checks as native/src/model/config.cpp) and model.safetensors through SafeTensors, with the
 * "transformer." prefix optional, lm_head.weight (tied) and the attn.bias buffers ignored.
 */
package ai.seqmatch.onnx;

import ai.seqmatch.CheckpointException;
import ai.seqmatch.io.SafeTensors;
import ai.seqmatch.io.TensorInfo;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** GPT-2 hyper-parameters and weights of a checkpoint; C = n_embd, V = vocab_size. */
final class SourceCheckpoint {
  final Path dir;
  final JsonNode config;
  final long vocabSize;
  final long nPositions;
  final long nEmbd;
  final long nLayer;
  final long nHead;
  final double layerNormEpsilon;
  final long bosTokenId;
  final long eosTokenId;
  final long padTokenId;
  final long bkspcTokenId;
  private final SafeTensors weights;
  private final String prefix;

  private SourceCheckpoint(Path dir, JsonNode config, SafeTensors weights) {
    this.dir = dir;
    this.config = config;
    Path file = dir.resolve("config.json");
    if (config.has("model_type")) {
      require(file, config, "model_type", "gpt2");
    }
    require(file, config, "activation_function", "gelu_new");
    require(file, config, "scale_attn_weights", true);
    require(file, config, "scale_attn_by_inverse_layer_idx", false);
    require(file, config, "reorder_and_upcast_attn", false);
    require(file, config, "tie_word_embeddings", true);
    vocabSize = positive(file, config, "vocab_size", null);
    nPositions = positive(file, config, "n_positions", "n_ctx");
    nEmbd = positive(file, config, "n_embd", null);
    nLayer = positive(file, config, "n_layer", null);
    nHead = positive(file, config, "n_head", null);
    if (nEmbd % nHead != 0) {
      throw bad(file, "n_embd must be a multiple of n_head (got n_embd=" + nEmbd + ", n_head=" + nHead + ")");
    }
    JsonNode inner = config.path("n_inner");
    if (!inner.isMissingNode() && !inner.isNull() && inner.asLong() != 4 * nEmbd) {
      throw bad(file, "unsupported n_inner=" + inner + " (SeqMatch's GPT-2 supports " + 4 * nEmbd + ")");
    }
    layerNormEpsilon = config.path("layer_norm_epsilon").asDouble(1e-5);
    bosTokenId = token(file, config, "bos_token_id");
    eosTokenId = token(file, config, "eos_token_id");
    padTokenId = token(file, config, "pad_token_id");
    bkspcTokenId = token(file, config.path("seqmatch"), "bkspc_token_id");
    for (long id : new long[] {bosTokenId, eosTokenId, padTokenId, bkspcTokenId}) {
      if (id >= vocabSize) {
        throw bad(file, "special token id " + id + " is outside the vocabulary (size " + vocabSize + ")");
      }
    }
    this.weights = weights;
    this.prefix = weights.names().contains("transformer.wte.weight") ? "transformer." : "";
    checkShape("wte.weight", vocabSize, nEmbd);
    checkShape("wpe.weight", nPositions, nEmbd);
  }

  /** Opens {@code dir}; a missing or malformed file is a CheckpointException naming it. */
  static SourceCheckpoint open(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new CheckpointException("checkpoint " + dir + ": not a directory. Hint: pass a directory holding "
          + "config.json and model.safetensors");
    }
    Path configFile = dir.resolve("config.json");
    Path weightsFile = dir.resolve("model.safetensors");
    for (Path f : new Path[] {configFile, weightsFile}) {
      if (!Files.isRegularFile(f)) {
        throw new CheckpointException("checkpoint " + dir + ": missing " + f.getFileName()
            + ". Hint: pass a directory holding config.json and model.safetensors");
      }
    }
    JsonNode config;
    try {
      config = new ObjectMapper().readTree(configFile.toFile());
    } catch (IOException e) {
      throw new CheckpointException("checkpoint " + configFile + ": not valid JSON ("
          + e.getMessage().lines().findFirst().orElse("") + ")", e);
    }
    if (config == null || !config.isObject()) {
      throw new CheckpointException("checkpoint " + configFile + ": not a JSON object");
    }
    try {
      return new SourceCheckpoint(dir, config, SafeTensors.open(weightsFile));
    } catch (IOException e) {
      throw new CheckpointException("checkpoint " + weightsFile + ": cannot read (" + e.getMessage() + ")", e);
    }
  }

  long headDim() {
    return nEmbd / nHead;
  }

  /** A float tensor by its GPT-2 name without the "transformer." prefix (e.g. "h.0.ln_1.weight"). */
  float[] tensor(String name, long... shape) {
    checkShape(name, shape);
    try {
      return weights.floats(prefix + name);
    } catch (IOException e) {
      throw new CheckpointException("checkpoint " + weights.file() + ": cannot read tensor '" + prefix + name
          + "' (" + e.getMessage() + ")", e);
    }
  }

  private void checkShape(String name, long... shape) {
    TensorInfo info = weights.info(prefix + name);
    if (!Arrays.equals(info.shape(), shape)) {
      throw new CheckpointException("checkpoint " + weights.file() + ": tensor '" + prefix + name
          + "' has the wrong shape (got " + Arrays.toString(info.shape()) + ", expected " + Arrays.toString(shape)
          + "). Hint: config.json does not describe these weights");
    }
  }

  private static void require(Path file, JsonNode c, String key, Object supported) {
    JsonNode v = c.path(key);
    if (v.isMissingNode() || v.isNull()) {
      return;
    }
    boolean ok = supported instanceof Boolean b ? v.isBoolean() && v.asBoolean() == b : v.asText().equals(supported);
    if (!ok) {
      throw bad(file, "unsupported " + key + "=" + v + " (SeqMatch's GPT-2 supports " + supported + ")");
    }
  }

  private static long positive(Path file, JsonNode c, String key, String fallback) {
    JsonNode v = c.has(key) || fallback == null ? c.path(key) : c.path(fallback);
    if (v.isMissingNode()) {
      throw bad(file, "missing field '" + key + "'");
    }
    if (!v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() <= 0) {
      throw bad(file, "field '" + key + "' must be a positive integer (got " + v + ")");
    }
    return v.asLong();
  }

  /** A token id or -1; HF allows a list of eos ids, the first one ends generation (as natively). */
  private static long token(Path file, JsonNode c, String key) {
    JsonNode v = c.path(key);
    if (v.isMissingNode() || v.isNull()) {
      return -1;
    }
    JsonNode id = v.isArray() && !v.isEmpty() ? v.get(0) : v;
    if (!id.isIntegralNumber() || id.asLong() < 0) {
      throw bad(file, "field '" + key + "' must be a token id (got " + v + ")");
    }
    return id.asLong();
  }

  private static CheckpointException bad(Path file, String why) {
    return new CheckpointException("checkpoint " + file + ": " + why);
  }
}
