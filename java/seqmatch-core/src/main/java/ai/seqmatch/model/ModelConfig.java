/*
 * Architecture and special tokens of a decoder LM of any Family; the GPT-2 fields mirror
 * seqmatch::api::ModelSpec and GPT2Config, the Llama-family ones LlamaConfig/Qwen2Config (HfConfig maps
 * the names: n_embd = hidden_size, n_layer = num_hidden_layers, n_head = num_attention_heads,
 * n_positions = max_position_embeddings, layer_norm_epsilon = rms_norm_eps). Immutable; built with
 * ModelConfig.builder(vocabSize), GPT-2 unless optFamily says otherwise, whose build() reports every
 * problem at once. Tested by ModelConfigTest.
 */
package ai.seqmatch.model;

import java.util.ArrayList;
import java.util.List;

/** Hyper-parameters and special-token ids (a token id of {@link #NO_TOKEN} means "none"). */
public final class ModelConfig {
  /** Marks an absent special token, as -1 does in the native ModelSpec. */
  public static final long NO_TOKEN = -1;

  private final long vocabSize; // rows of wte, special tokens included
  private final long nPositions; // rows of wpe: the longest sequence the model can see
  private final long nEmbd; // C, the residual width
  private final long nLayer; // transformer blocks
  private final long nHead; // attention heads; nEmbd % nHead == 0
  private final double layerNormEpsilon;
  private final long bosTokenId;
  private final long eosTokenId;
  private final long padTokenId;
  private final long bkspcTokenId; // the SequenceMatch <bkspc> action
  private final Family family;
  private final long intermediateSize; // MLP width (GPT-2: 4·n_embd)
  private final long nKvHeads; // key/value heads (GQA); n_head % n_kv_heads == 0; GPT-2: n_head
  private final long headDim; // D; GPT-2: n_embd / n_head, Llama: may differ (config "head_dim")
  private final double ropeTheta; // Llama family only
  private final RopeScaling ropeScaling; // Llama family only; null = none
  private final boolean attentionBias; // Llama: q/k/v/o biases (qwen2 always has q/k/v biases)
  private final boolean tieWordEmbeddings; // lm_head shares embed_tokens; GPT-2 always

  private ModelConfig(Builder b) {
    family = b.family;
    intermediateSize = b.intermediateSize();
    nKvHeads = b.nKvHeads();
    headDim = b.headDim();
    ropeTheta = b.ropeTheta;
    ropeScaling = b.ropeScaling;
    attentionBias = b.attentionBias;
    tieWordEmbeddings = b.tieWordEmbeddings;
    vocabSize = b.vocabSize;
    nPositions = b.nPositions;
    nEmbd = b.nEmbd;
    nLayer = b.nLayer;
    nHead = b.nHead;
    layerNormEpsilon = b.layerNormEpsilon;
    bosTokenId = b.bosTokenId;
    eosTokenId = b.eosTokenId;
    padTokenId = b.padTokenId;
    bkspcTokenId = b.bkspcTokenId;
  }

  /** A builder with GPT-2 small's shape (1024 positions, 768 wide, 12 layers, 12 heads). */
  public static Builder builder(long vocabSize) {
    return new Builder(vocabSize);
  }

  /** A builder pre-filled with this config, for deriving variants. */
  public Builder toBuilder() {
    return new Builder(vocabSize)
        .optNPositions(nPositions)
        .optNEmbd(nEmbd)
        .optNLayer(nLayer)
        .optNHead(nHead)
        .optLayerNormEpsilon(layerNormEpsilon)
        .optBosTokenId(bosTokenId)
        .optEosTokenId(eosTokenId)
        .optPadTokenId(padTokenId)
        .optBkspcTokenId(bkspcTokenId)
        .optFamily(family)
        // GPT-2 derives these from n_embd and n_head: left unset, so a variant may change those
        .optIntermediateSize(family == Family.GPT2 ? 0 : intermediateSize)
        .optNKvHeads(family == Family.GPT2 ? 0 : nKvHeads)
        .optHeadDim(family == Family.GPT2 ? 0 : headDim)
        .optRopeTheta(ropeTheta)
        .optRopeScaling(ropeScaling)
        .optAttentionBias(attentionBias)
        .optTieWordEmbeddings(tieWordEmbeddings);
  }

  public Family family() {
    return family;
  }

  public long intermediateSize() {
    return intermediateSize;
  }

  public long nKvHeads() {
    return nKvHeads;
  }

  public long headDim() {
    return headDim;
  }

  public double ropeTheta() {
    return ropeTheta;
  }

  /** The RoPE scaling, or null for plain RoPE (and for GPT-2). */
  public RopeScaling ropeScaling() {
    return ropeScaling;
  }

  public boolean attentionBias() {
    return attentionBias;
  }

  /** q/k/v projections carry a bias: qwen2 always, llama with attention_bias, GPT-2's c_attn always. */
  public boolean qkvBias() {
    return family != Family.LLAMA || attentionBias;
  }

  /** The attention output projection carries a bias: GPT-2's c_proj always, llama with attention_bias. */
  public boolean oBias() {
    return family == Family.GPT2 || (family == Family.LLAMA && attentionBias);
  }

  public boolean tieWordEmbeddings() {
    return tieWordEmbeddings;
  }

  public long vocabSize() {
    return vocabSize;
  }

  public long nPositions() {
    return nPositions;
  }

  public long nEmbd() {
    return nEmbd;
  }

  public long nLayer() {
    return nLayer;
  }

  public long nHead() {
    return nHead;
  }

  public double layerNormEpsilon() {
    return layerNormEpsilon;
  }

  public long bosTokenId() {
    return bosTokenId;
  }

  public long eosTokenId() {
    return eosTokenId;
  }

  public long padTokenId() {
    return padTokenId;
  }

  public long bkspcTokenId() {
    return bkspcTokenId;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelConfig c
        && vocabSize == c.vocabSize
        && nPositions == c.nPositions
        && nEmbd == c.nEmbd
        && nLayer == c.nLayer
        && nHead == c.nHead
        && Double.compare(layerNormEpsilon, c.layerNormEpsilon) == 0
        && bosTokenId == c.bosTokenId
        && eosTokenId == c.eosTokenId
        && padTokenId == c.padTokenId
        && bkspcTokenId == c.bkspcTokenId
        && family == c.family
        && intermediateSize == c.intermediateSize
        && nKvHeads == c.nKvHeads
        && headDim == c.headDim
        && Double.compare(ropeTheta, c.ropeTheta) == 0
        && java.util.Objects.equals(ropeScaling, c.ropeScaling)
        && attentionBias == c.attentionBias
        && tieWordEmbeddings == c.tieWordEmbeddings;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(
        vocabSize, nPositions, nEmbd, nLayer, nHead, layerNormEpsilon,
        bosTokenId, eosTokenId, padTokenId, bkspcTokenId, family, intermediateSize, nKvHeads, headDim,
        ropeTheta, ropeScaling, attentionBias, tieWordEmbeddings);
  }

  @Override
  public String toString() {
    String llama = family == Family.GPT2 ? "" : ", intermediate_size=" + intermediateSize + ", n_kv_heads="
        + nKvHeads + ", head_dim=" + headDim + ", rope_theta=" + ropeTheta + ", rope_scaling=" + ropeScaling
        + ", attention_bias=" + attentionBias + ", tie_word_embeddings=" + tieWordEmbeddings;
    return "ModelConfig{model_type=" + family.modelType() + ", vocab_size=" + vocabSize + ", n_positions=" + nPositions + ", n_embd=" + nEmbd
        + ", n_layer=" + nLayer + ", n_head=" + nHead + ", layer_norm_epsilon=" + layerNormEpsilon
        + ", bos=" + bosTokenId + ", eos=" + eosTokenId + ", pad=" + padTokenId
        + ", bkspc=" + bkspcTokenId + llama + "}";
  }

  /** Fluent builder; {@link #build()} validates everything and lists all problems. */
  public static final class Builder {
    private final long vocabSize;
    private long nPositions = 1024;
    private long nEmbd = 768;
    private long nLayer = 12;
    private long nHead = 12;
    private double layerNormEpsilon = 1e-5;
    private long bosTokenId = NO_TOKEN;
    private long eosTokenId = NO_TOKEN;
    private long padTokenId = NO_TOKEN;
    private long bkspcTokenId = NO_TOKEN;
    private Family family = Family.GPT2;
    private long intermediateSize; // 0: the family default (GPT-2 4·n_embd; required for Llama)
    private long nKvHeads; // 0: n_head
    private long headDim; // 0: n_embd / n_head
    private double ropeTheta = 10000.0;
    private RopeScaling ropeScaling;
    private boolean attentionBias;
    private boolean tieWordEmbeddings = true;

    private Builder(long vocabSize) {
      this.vocabSize = vocabSize;
    }

    public Builder optNPositions(long nPositions) {
      this.nPositions = nPositions;
      return this;
    }

    public Builder optNEmbd(long nEmbd) {
      this.nEmbd = nEmbd;
      return this;
    }

    public Builder optNLayer(long nLayer) {
      this.nLayer = nLayer;
      return this;
    }

    public Builder optNHead(long nHead) {
      this.nHead = nHead;
      return this;
    }

    public Builder optLayerNormEpsilon(double layerNormEpsilon) {
      this.layerNormEpsilon = layerNormEpsilon;
      return this;
    }

    public Builder optBosTokenId(long id) {
      this.bosTokenId = id;
      return this;
    }

    public Builder optEosTokenId(long id) {
      this.eosTokenId = id;
      return this;
    }

    public Builder optPadTokenId(long id) {
      this.padTokenId = id;
      return this;
    }

    public Builder optBkspcTokenId(long id) {
      this.bkspcTokenId = id;
      return this;
    }

    /** GPT2 (default), LLAMA or QWEN2. */
    public Builder optFamily(Family family) {
      this.family = family;
      return this;
    }

    public Builder optIntermediateSize(long intermediateSize) {
      this.intermediateSize = intermediateSize;
      return this;
    }

    public Builder optNKvHeads(long nKvHeads) {
      this.nKvHeads = nKvHeads;
      return this;
    }

    public Builder optHeadDim(long headDim) {
      this.headDim = headDim;
      return this;
    }

    public Builder optRopeTheta(double ropeTheta) {
      this.ropeTheta = ropeTheta;
      return this;
    }

    public Builder optRopeScaling(RopeScaling ropeScaling) {
      this.ropeScaling = ropeScaling;
      return this;
    }

    public Builder optAttentionBias(boolean attentionBias) {
      this.attentionBias = attentionBias;
      return this;
    }

    public Builder optTieWordEmbeddings(boolean tieWordEmbeddings) {
      this.tieWordEmbeddings = tieWordEmbeddings;
      return this;
    }

    /** Validates and builds; throws IllegalArgumentException naming every invalid field. */
    public ModelConfig build() {
      List<String> problems = new ArrayList<>();
      if (family == null) {
        throw new IllegalArgumentException("invalid model config: model_type is required (" + Family.supported()
            + ")");
      }
      long nKvHeads = nKvHeads();
      long headDim = headDim();
      long intermediateSize = intermediateSize();
      if (family == Family.GPT2) {
        gpt2Only(problems);
      } else {
        positive(problems, "intermediate_size", intermediateSize);
        positive(problems, "num_key_value_heads", nKvHeads);
        positive(problems, "head_dim", headDim);
        if (nHead > 0 && nKvHeads > 0 && nHead % nKvHeads != 0) {
          problems.add("num_attention_heads must be a multiple of num_key_value_heads (got " + nHead + ", "
              + nKvHeads + ")");
        }
        if (headDim > 0 && headDim % 2 != 0) {
          problems.add("head_dim must be even for RoPE (got " + headDim + ")");
        }
        if (!(ropeTheta > 0) || Double.isInfinite(ropeTheta)) {
          problems.add("rope_theta must be finite and > 0 (got " + ropeTheta + ")");
        }
        if (ropeScaling != null) {
          problems.addAll(ropeScaling.problems());
        }
        if (family == Family.QWEN2 && attentionBias) {
          problems.add("attention_bias is a llama field (qwen2 always has q/k/v biases and no o_proj bias)");
        }
      }
      positive(problems, "vocab_size", vocabSize);
      positive(problems, "n_positions", nPositions);
      positive(problems, "n_embd", nEmbd);
      positive(problems, "n_layer", nLayer);
      positive(problems, "n_head", nHead);
      if (!(layerNormEpsilon > 0) || Double.isInfinite(layerNormEpsilon)) {
        problems.add("layer_norm_epsilon must be finite and > 0 (got " + layerNormEpsilon + ")");
      }
      tokenId(problems, "bos_token_id", bosTokenId);
      tokenId(problems, "eos_token_id", eosTokenId);
      tokenId(problems, "pad_token_id", padTokenId);
      tokenId(problems, "bkspc_token_id", bkspcTokenId);
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException("invalid model config: " + String.join("; ", problems));
      }
      return new ModelConfig(this);
    }

    // The unset (0) sizes resolved to their defaults; the builder itself keeps 0 so it can be reused.
    private long nKvHeads() {
      return nKvHeads != 0 ? nKvHeads : nHead;
    }

    private long headDim() {
      return headDim != 0 || nHead <= 0 ? headDim : nEmbd / nHead;
    }

    private long intermediateSize() {
      return intermediateSize != 0 || family != Family.GPT2 ? intermediateSize : 4 * nEmbd;
    }

    /** GPT-2 has none of the Llama-family knobs. */
    private void gpt2Only(List<String> problems) {
      long nKvHeads = nKvHeads();
      long headDim = headDim();
      long intermediateSize = intermediateSize();
      if (nEmbd > 0 && nHead > 0 && nEmbd % nHead != 0) {
        problems.add("n_embd must be divisible by n_head (got n_embd=" + nEmbd + ", n_head=" + nHead + ")");
      }
      if (nKvHeads != nHead || (nHead > 0 && headDim != nEmbd / nHead) || intermediateSize != 4 * nEmbd) {
        problems.add("gpt2 has n_kv_heads = n_head, head_dim = n_embd / n_head and a 4·n_embd MLP (got n_kv_heads="
            + nKvHeads + ", head_dim=" + headDim + ", intermediate_size=" + intermediateSize + ")");
      }
      if (ropeScaling != null || attentionBias || !tieWordEmbeddings) {
        problems.add("gpt2 has no rope_scaling, no attention_bias flag and a tied lm_head");
      }
    }

    private static void positive(List<String> problems, String name, long value) {
      if (value <= 0) {
        problems.add(name + " must be > 0 (got " + value + ")");
      }
    }

    private void tokenId(List<String> problems, String name, long id) {
      if (id != NO_TOKEN && (id < 0 || id >= vocabSize)) {
        problems.add(name + " must be -1 or in [0, vocab_size) (got " + id + ", vocab_size=" + vocabSize + ")");
      }
    }
  }
}
