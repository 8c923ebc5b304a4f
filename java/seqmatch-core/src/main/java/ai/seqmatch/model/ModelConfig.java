/*
 * Architecture and special tokens of a GPT-2 family model; mirrors seqmatch::api::ModelSpec and
 * Hugging Face's GPT2Config field names. Immutable; built with ModelConfig.builder(vocabSize), whose
 * build() reports every problem at once. Tested by ModelConfigTest.
 */
package ai.seqmatch.model;

import java.util.ArrayList;
import java.util.List;

/** GPT-2 hyper-parameters and special-token ids (a token id of {@link #NO_TOKEN} means "none"). */
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

  private ModelConfig(Builder b) {
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
        .optBkspcTokenId(bkspcTokenId);
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
        && bkspcTokenId == c.bkspcTokenId;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(
        vocabSize, nPositions, nEmbd, nLayer, nHead, layerNormEpsilon,
        bosTokenId, eosTokenId, padTokenId, bkspcTokenId);
  }

  @Override
  public String toString() {
    return "ModelConfig{vocab_size=" + vocabSize + ", n_positions=" + nPositions + ", n_embd=" + nEmbd
        + ", n_layer=" + nLayer + ", n_head=" + nHead + ", layer_norm_epsilon=" + layerNormEpsilon
        + ", bos=" + bosTokenId + ", eos=" + eosTokenId + ", pad=" + padTokenId
        + ", bkspc=" + bkspcTokenId + "}";
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

    /** Validates and builds; throws IllegalArgumentException naming every invalid field. */
    public ModelConfig build() {
      List<String> problems = new ArrayList<>();
      positive(problems, "vocab_size", vocabSize);
      positive(problems, "n_positions", nPositions);
      positive(problems, "n_embd", nEmbd);
      positive(problems, "n_layer", nLayer);
      positive(problems, "n_head", nHead);
      if (nEmbd > 0 && nHead > 0 && nEmbd % nHead != 0) {
        problems.add("n_embd must be divisible by n_head (got n_embd=" + nEmbd + ", n_head=" + nHead + ")");
      }
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
