/*
 * seqmatch-onnx.json: what the generator needs to know about an exported model.onnx (shapes, special
 * ids, dtype, tokenizer spec) without parsing the graph. Written by OnnxExporter, read by OrtModel.
 */
package ai.seqmatch.onnx;

import ai.seqmatch.CheckpointException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An exported model's contract. The KV cache of every family is n_kv_heads × head_dim per position
 * and layer (GPT-2: n_kv_heads = n_head).
 *
 * @param modelType the source's config.json model_type (gpt2, llama, qwen2)
 * @param dtype "float32" or "float16": storage of the large weights (graph I/O is always float32)
 * @param externalData the weights file next to model.onnx, or null when they are inside it
 * @param tokenizer the checkpoint's {@code seqmatch.tokenizer} spec, or null
 */
public record OnnxModelInfo(
    String modelType, long nLayer, long nHead, long nKvHeads, long headDim, long nEmbd, long vocabSize, long nPositions, long bosTokenId, long eosTokenId,
    long padTokenId, long bkspcTokenId, String dtype, int opset, String modelFile, String externalData,
    JsonNode tokenizer) {
  /** The metadata file's name inside an export directory. */
  public static final String FILE = "seqmatch-onnx.json";
  static final int FORMAT_VERSION = 1;

  /** Reads {@code dir}/seqmatch-onnx.json; a directory that is not an export is a CheckpointException. */
  public static OnnxModelInfo read(Path dir) {
    Path file = dir.resolve(FILE);
    if (!Files.isDirectory(dir)) {
      throw new CheckpointException("onnx model " + dir + ": not a directory. Hint: pass the --out directory "
          + "of 'seqmatch export'");
    }
    if (!Files.isRegularFile(file)) {
      throw new CheckpointException("onnx model " + dir + ": no " + FILE + " (not a SeqMatch ONNX export). "
          + "Hint: run 'seqmatch export --checkpoint CKPT --out " + dir + "' first");
    }
    JsonNode j;
    try {
      j = new ObjectMapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new CheckpointException("onnx model " + file + ": not valid JSON", e);
    }
    if (j == null || j.path("format_version").asInt(-1) != FORMAT_VERSION) {
      throw new CheckpointException("onnx model " + file + ": unsupported format_version (got "
          + (j == null ? "nothing" : j.path("format_version")) + ", expected " + FORMAT_VERSION + ")");
    }
    // Exports made before the Llama family carry no model_type, n_kv_heads or n_embd: GPT-2's values.
    long nHead = j.path("n_head").asLong();
    OnnxModelInfo info = new OnnxModelInfo(j.path("model_type").asText("gpt2"), j.path("n_layer").asLong(), nHead,
        j.path("n_kv_heads").asLong(nHead), j.path("head_dim").asLong(),
        j.path("n_embd").asLong(nHead * j.path("head_dim").asLong()), j.path("vocab_size").asLong(), j.path("n_positions").asLong(),
        j.path("bos_token_id").asLong(-1), j.path("eos_token_id").asLong(-1), j.path("pad_token_id").asLong(-1),
        j.path("bkspc_token_id").asLong(-1), j.path("dtype").asText(), j.path("opset").asInt(),
        j.path("model_file").asText("model.onnx"), j.path("external_data").isTextual()
            ? j.path("external_data").asText() : null, j.path("tokenizer").isObject() ? j.path("tokenizer") : null);
    if (info.nLayer <= 0 || info.nHead <= 0 || info.nKvHeads <= 0 || info.headDim <= 0 || info.nEmbd <= 0
        || info.vocabSize <= 0 || info.nPositions <= 0 || info.nHead % info.nKvHeads != 0) {
      throw new CheckpointException("onnx model " + file + ": n_layer, n_head, n_kv_heads, head_dim, n_embd, "
          + "vocab_size and n_positions must be positive, n_head a multiple of n_kv_heads (got " + info + ")");
    }
    Path model = dir.resolve(info.modelFile);
    if (!Files.isRegularFile(model)) {
      throw new CheckpointException("onnx model " + dir + ": missing " + info.modelFile + " (named by " + FILE
          + "). Hint: re-run 'seqmatch export'");
    }
    return info;
  }

  void write(Path dir) throws IOException {
    ObjectMapper m = new ObjectMapper();
    ObjectNode j = m.createObjectNode();
    j.put("format_version", FORMAT_VERSION);
    j.put("model_type", modelType);
    j.put("model_file", modelFile);
    if (externalData == null) {
      j.putNull("external_data");
    } else {
      j.put("external_data", externalData);
    }
    j.put("opset", opset);
    j.put("dtype", dtype);
    j.put("n_layer", nLayer);
    j.put("n_head", nHead);
    j.put("head_dim", headDim);
    j.put("n_kv_heads", nKvHeads);
    j.put("n_embd", nEmbd);
    j.put("vocab_size", vocabSize);
    j.put("n_positions", nPositions);
    j.put("bos_token_id", bosTokenId);
    j.put("eos_token_id", eosTokenId);
    j.put("pad_token_id", padTokenId);
    j.put("bkspc_token_id", bkspcTokenId);
    if (tokenizer == null) {
      j.putNull("tokenizer");
    } else {
      j.set("tokenizer", tokenizer);
    }
    ObjectNode io = j.putObject("io");
    io.put("input_ids", "int64 [batch, seq]");
    io.put("position_ids", "int64 [batch, seq]");
    io.put("attention_mask", "bool [batch, seq, past+seq]: true = may attend (past slots first)");
    io.put("past_key_i / past_value_i", "float32 [batch, n_kv_heads, past, head_dim], i = 0..n_layer-1");
    io.put("logits", "float32 [batch, seq, vocab_size]");
    io.put("last_hidden_state", "float32 [batch, seq, n_embd]: after the final layer norm");
    io.put("present_key_i / present_value_i",
        "float32 [batch, n_kv_heads, past+seq, head_dim] = concat(past, new)");
    Files.writeString(dir.resolve(FILE), m.writerWithDefaultPrettyPrinter().writeValueAsString(j) + "\n");
  }
}
