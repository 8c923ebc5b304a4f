/*
 * config.json <-> ModelConfig with Hugging Face's field names: GPT2Config (ours adds a "seqmatch"
 * object with bkspc_token_id) and LlamaConfig / Qwen2Config. Anything SeqMatch would compute
 * differently from transformers (another activation, sliding windows, MLP biases, other RoPE types) is
 * refused here with the field named, rather than silently run. Used by CausalLM for the Llama family
 * (the native core speaks this JSON) and by the ONNX exporter. Tested by HfConfigTest.
 */
package ai.seqmatch.model;

import ai.seqmatch.CheckpointException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads and writes config.json; errors are CheckpointExceptions naming the file and the field. */
public final class HfConfig {
  private static final ObjectMapper JSON = new ObjectMapper();

  private HfConfig() {}

  /** Reads {@code dir}/config.json. */
  public static ModelConfig read(Path dir) {
    Path file = dir.resolve("config.json");
    if (!Files.isRegularFile(file)) {
      throw new CheckpointException("checkpoint " + dir + ": missing config.json. Hint: pass a Hugging Face or "
          + "SeqMatch checkpoint directory");
    }
    JsonNode j;
    try {
      j = JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new CheckpointException("checkpoint " + file + ": not valid JSON ("
          + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + ")", e);
    }
    return parse(j, file.toString());
  }

  /** Parses a config.json object; {@code where} names it in errors. */
  public static ModelConfig parse(JsonNode c, String where) {
    if (c == null || !c.isObject()) {
      throw bad(where, "not a JSON object");
    }
    String type = c.path("model_type").asText("gpt2"); // our oldest checkpoints omit it: GPT-2
    Family family = Family.of(type);
    if (family == null) {
      throw bad(where, "unsupported model_type \"" + type + "\" (SeqMatch runs " + Family.supported() + ")");
    }
    long vocab = positive(where, c, "vocab_size", null);
    ModelConfig.Builder b = ModelConfig.builder(vocab).optFamily(family);
    if (family == Family.GPT2) {
      require(where, c, "activation_function", "gelu_new");
      require(where, c, "scale_attn_weights", true);
      require(where, c, "scale_attn_by_inverse_layer_idx", false);
      require(where, c, "reorder_and_upcast_attn", false);
      require(where, c, "tie_word_embeddings", true);
      long nEmbd = positive(where, c, "n_embd", null);
      JsonNode inner = c.path("n_inner");
      if (!inner.isMissingNode() && !inner.isNull() && inner.asLong() != 4 * nEmbd) {
        throw bad(where, "unsupported n_inner=" + inner + " (SeqMatch's GPT-2 supports " + 4 * nEmbd + ")");
      }
      b.optNPositions(positive(where, c, "n_positions", "n_ctx")).optNEmbd(nEmbd)
          .optNLayer(positive(where, c, "n_layer", null)).optNHead(positive(where, c, "n_head", null))
          .optLayerNormEpsilon(c.path("layer_norm_epsilon").asDouble(1e-5));
    } else {
      require(where, c, "hidden_act", "silu");
      require(where, c, "mlp_bias", false);
      require(where, c, "use_sliding_window", false);
      require(where, c, "pretraining_tp", 1L);
      long nHead = positive(where, c, "num_attention_heads", null);
      b.optNPositions(positive(where, c, "max_position_embeddings", null))
          .optNEmbd(positive(where, c, "hidden_size", null))
          .optNLayer(positive(where, c, "num_hidden_layers", null)).optNHead(nHead)
          .optIntermediateSize(positive(where, c, "intermediate_size", null))
          .optNKvHeads(c.hasNonNull("num_key_value_heads") ? positive(where, c, "num_key_value_heads", null) : nHead)
          .optHeadDim(c.hasNonNull("head_dim") ? positive(where, c, "head_dim", null) : 0)
          .optLayerNormEpsilon(number(where, c, "rms_norm_eps", 1e-6))
          .optRopeTheta(number(where, c, "rope_theta", 10000.0))
          .optRopeScaling(ropeScaling(where, c.path("rope_scaling")))
          .optTieWordEmbeddings(c.path("tie_word_embeddings").asBoolean(false));
      if (family == Family.LLAMA) {
        b.optAttentionBias(c.path("attention_bias").asBoolean(false));
      }
    }
    b.optBosTokenId(token(where, c, "bos_token_id")).optEosTokenId(token(where, c, "eos_token_id"))
        .optPadTokenId(token(where, c, "pad_token_id"))
        .optBkspcTokenId(token(where, c.path("seqmatch"), "bkspc_token_id"));
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw bad(where, e.getMessage());
    }
  }

  /**
   * The Hugging Face config.json fields of {@code c} (model_type, architectures, sizes, special ids);
   * the seqmatch object with bkspc_token_id when there is one.
   */
  public static ObjectNode toJson(ModelConfig c) {
    ObjectNode j = JSON.createObjectNode();
    j.put("model_type", c.family().modelType());
    j.putArray("architectures").add(switch (c.family()) {
      case GPT2 -> "GPT2LMHeadModel";
      case LLAMA -> "LlamaForCausalLM";
      case QWEN2 -> "Qwen2ForCausalLM";
    });
    j.put("vocab_size", c.vocabSize());
    if (c.family() == Family.GPT2) {
      j.put("n_positions", c.nPositions()).put("n_ctx", c.nPositions()).put("n_embd", c.nEmbd())
          .put("n_layer", c.nLayer()).put("n_head", c.nHead()).put("layer_norm_epsilon", c.layerNormEpsilon())
          .put("activation_function", "gelu_new").put("tie_word_embeddings", true);
    } else {
      j.put("max_position_embeddings", c.nPositions()).put("hidden_size", c.nEmbd())
          .put("num_hidden_layers", c.nLayer()).put("num_attention_heads", c.nHead())
          .put("num_key_value_heads", c.nKvHeads()).put("head_dim", c.headDim())
          .put("intermediate_size", c.intermediateSize()).put("hidden_act", "silu")
          .put("rms_norm_eps", c.layerNormEpsilon()).put("rope_theta", c.ropeTheta())
          .put("tie_word_embeddings", c.tieWordEmbeddings());
      if (c.family() == Family.LLAMA) {
        j.put("attention_bias", c.attentionBias()).put("mlp_bias", false);
      }
      RopeScaling r = c.ropeScaling();
      if (r == null) {
        j.putNull("rope_scaling");
      } else {
        ObjectNode rs = j.putObject("rope_scaling").put("rope_type", r.type()).put("factor", r.factor());
        if (r.type().equals("llama3")) {
          rs.put("low_freq_factor", r.lowFreqFactor()).put("high_freq_factor", r.highFreqFactor())
              .put("original_max_position_embeddings", r.originalMaxPositionEmbeddings());
        }
      }
    }
    putToken(j, "bos_token_id", c.bosTokenId());
    putToken(j, "eos_token_id", c.eosTokenId());
    putToken(j, "pad_token_id", c.padTokenId());
    if (c.bkspcTokenId() != ModelConfig.NO_TOKEN) {
      j.putObject("seqmatch").put("bkspc_token_id", c.bkspcTokenId());
    }
    return j;
  }

  private static RopeScaling ropeScaling(String where, JsonNode r) {
    if (r.isMissingNode() || r.isNull()) {
      return null;
    }
    if (!r.isObject()) {
      throw bad(where, "field 'rope_scaling' must be an object or null (got " + r + ")");
    }
    // transformers renamed "type" to "rope_type"; checkpoints carry either
    String type = r.hasNonNull("rope_type") ? r.path("rope_type").asText() : r.path("type").asText("");
    if (type.equals("default")) {
      return null;
    }
    if (!type.equals("linear") && !type.equals("llama3")) {
      throw bad(where, "unsupported rope_scaling type \"" + type + "\" (SeqMatch supports linear and llama3)");
    }
    double factor = number(where, r, "factor", Double.NaN);
    RopeScaling s = type.equals("linear") ? RopeScaling.linear(factor)
        : RopeScaling.llama3(factor, number(where, r, "low_freq_factor", Double.NaN),
            number(where, r, "high_freq_factor", Double.NaN),
            r.path("original_max_position_embeddings").asLong(-1));
    if (!s.problems().isEmpty()) {
      throw bad(where, String.join("; ", s.problems()));
    }
    return s;
  }

  private static void putToken(ObjectNode j, String key, long id) {
    if (id == ModelConfig.NO_TOKEN) {
      j.putNull(key);
    } else {
      j.put(key, id);
    }
  }

  private static void require(String where, JsonNode c, String key, Object supported) {
    JsonNode v = c.path(key);
    if (v.isMissingNode() || v.isNull()) {
      return;
    }
    boolean ok = supported instanceof Boolean b ? v.isBoolean() && v.asBoolean() == b
        : supported instanceof Long l ? v.isIntegralNumber() && v.asLong() == l
        : v.asText().equals(supported);
    if (!ok) {
      throw bad(where, "unsupported " + key + "=" + v + " (SeqMatch supports " + supported + ")");
    }
  }

  private static long positive(String where, JsonNode c, String key, String fallback) {
    JsonNode v = c.has(key) || fallback == null ? c.path(key) : c.path(fallback);
    if (v.isMissingNode()) {
      throw bad(where, "missing field '" + key + "'");
    }
    if (!v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() <= 0) {
      throw bad(where, "field '" + key + "' must be a positive integer (got " + v + ")");
    }
    return v.asLong();
  }

  private static double number(String where, JsonNode c, String key, double dflt) {
    JsonNode v = c.path(key);
    if (v.isMissingNode() || v.isNull()) {
      if (Double.isNaN(dflt)) {
        throw bad(where, "missing field '" + key + "'");
      }
      return dflt;
    }
    if (!v.isNumber()) {
      throw bad(where, "field '" + key + "' must be a number (got " + v + ")");
    }
    return v.asDouble();
  }

  /** A token id or -1; HF allows a list of eos ids, the first one ends generation (as natively). */
  private static long token(String where, JsonNode c, String key) {
    JsonNode v = c.path(key);
    if (v.isMissingNode() || v.isNull()) {
      return ModelConfig.NO_TOKEN;
    }
    JsonNode id = v.isArray() && !v.isEmpty() ? v.get(0) : v;
    if (!id.isIntegralNumber() || id.asLong() < 0) {
      throw bad(where, "field '" + key + "' must be a token id (got " + v + ")");
    }
    return id.asLong();
  }

  private static CheckpointException bad(String where, String why) {
    return new CheckpointException("checkpoint " + where + ": " + why);
  }
}
