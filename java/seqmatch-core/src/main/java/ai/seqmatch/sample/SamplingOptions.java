/*
 * Decoding controls of Generator (DESIGN.md §3 "Generation"); mirrors seqmatch::api::SamplingParams.
 * Immutable; built with builder().optX(...).build(), which validates every field and names all the
 * bad ones in one IllegalArgumentException (field names as in the native params / CLI flags).
 */
package ai.seqmatch.sample;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** How to pick actions (tokens and {@code <bkspc>}) and when to stop. */
public final class SamplingOptions {
  private final long maxNewTokens;
  private final long maxActions;
  private final double temperature;
  private final long topK;
  private final double topP;
  private final boolean greedy;
  private final boolean allowBackspace;
  private final boolean noRetype;
  private final long seed;
  private final long[] rowSeeds;
  private final long[] stopIds;
  private final boolean logprobs;

  private SamplingOptions(Builder b) {
    maxNewTokens = b.maxNewTokens;
    maxActions = b.maxActions;
    temperature = b.temperature;
    topK = b.topK;
    topP = b.topP;
    greedy = b.greedy;
    allowBackspace = b.allowBackspace;
    noRetype = b.noRetype;
    seed = b.seed;
    rowSeeds = b.rowSeeds == null ? null : b.rowSeeds.clone();
    stopIds = b.stopIds.clone();
    logprobs = b.logprobs;
  }

  /**
   * Defaults: 64 new tokens, max_actions 4×, temperature 1, no top-k/top-p, sampling, backspace on,
   * no-retype off (greedy applies it), seed 0.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Shorthand for {@code builder().optGreedy(true).optMaxNewTokens(maxNewTokens).build()}. */
  public static SamplingOptions greedy(long maxNewTokens) {
    return builder().optGreedy(true).optMaxNewTokens(maxNewTokens).build();
  }

  /** Cap on generated tokens in the final state (after deletions). */
  public long maxNewTokens() {
    return maxNewTokens;
  }

  /** Cap on actions per row, {@code <bkspc>} included; 0 means 4 × maxNewTokens. */
  public long maxActions() {
    return maxActions;
  }

  public double temperature() {
    return temperature;
  }

  /** Keep the k most likely actions; 0 = off. */
  public long topK() {
    return topK;
  }

  /** Nucleus sampling mass; 1 = off. */
  public double topP() {
    return topP;
  }

  /** Argmax decoding; temperature, top-k, top-p and seeds are ignored. */
  public boolean greedy() {
    return greedy;
  }

  /** Whether {@code <bkspc>} may be chosen (only matters for models that have one). */
  public boolean allowBackspace() {
    return allowBackspace;
  }

  /**
   * Whether the no-retype rule applies (DESIGN.md §3 "Generation"): a token deleted by {@code <bkspc>} at a
   * state is banned at that state. Always true when greedy (argmax would retype it and loop); for sampling
   * only when set with {@link Builder#optNoRetype}, since it makes samples differ from the policy's.
   */
  public boolean noRetype() {
    return noRetype || greedy;
  }

  /** Row b draws its randomness from seed + b, unless {@link #rowSeeds()} are given. */
  public long seed() {
    return seed;
  }

  /** One seed per prompt, or null. A row's output depends only on its own seed and prompt. */
  public long[] rowSeeds() {
    return rowSeeds == null ? null : rowSeeds.clone();
  }

  /** Token ids that end a row once emitted, besides the model's {@code <eos>}. */
  public long[] stopIds() {
    return stopIds.clone();
  }

  /** Record log π(action | state) of every action in {@link GenerationResult#logprobs()}. */
  public boolean logprobs() {
    return logprobs;
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.maxNewTokens = maxNewTokens;
    b.maxActions = maxActions;
    b.temperature = temperature;
    b.topK = topK;
    b.topP = topP;
    b.greedy = greedy;
    b.allowBackspace = allowBackspace;
    b.noRetype = noRetype;
    b.seed = seed;
    b.rowSeeds = rowSeeds;
    b.stopIds = stopIds;
    b.logprobs = logprobs;
    return b;
  }

  @Override
  public String toString() {
    return "SamplingOptions{max_new_tokens=" + maxNewTokens + ", max_actions=" + maxActions + ", temperature="
        + temperature + ", top_k=" + topK + ", top_p=" + topP + ", greedy=" + greedy + ", allow_backspace="
        + allowBackspace + ", no_retype=" + noRetype() + ", seed=" + seed + ", row_seeds="
        + Arrays.toString(rowSeeds) + ", stop_ids="
        + Arrays.toString(stopIds) + ", logprobs=" + logprobs + "}";
  }

  /** Fluent builder; {@link #build()} validates everything and lists all problems. */
  public static final class Builder {
    private long maxNewTokens = 64;
    private long maxActions = 0;
    private double temperature = 1.0;
    private long topK = 0;
    private double topP = 1.0;
    private boolean greedy = false;
    private boolean allowBackspace = true;
    private boolean noRetype = false;
    private long seed = 0;
    private long[] rowSeeds;
    private long[] stopIds = new long[0];
    private boolean logprobs = false;

    private Builder() {}

    public Builder optMaxNewTokens(long maxNewTokens) {
      this.maxNewTokens = maxNewTokens;
      return this;
    }

    public Builder optMaxActions(long maxActions) {
      this.maxActions = maxActions;
      return this;
    }

    public Builder optTemperature(double temperature) {
      this.temperature = temperature;
      return this;
    }

    public Builder optTopK(long topK) {
      this.topK = topK;
      return this;
    }

    public Builder optTopP(double topP) {
      this.topP = topP;
      return this;
    }

    public Builder optGreedy(boolean greedy) {
      this.greedy = greedy;
      return this;
    }

    public Builder optAllowBackspace(boolean allowBackspace) {
      this.allowBackspace = allowBackspace;
      return this;
    }

    /** The no-retype rule for sampling (off by default; greedy always applies it). */
    public Builder optNoRetype(boolean noRetype) {
      this.noRetype = noRetype;
      return this;
    }

    public Builder optSeed(long seed) {
      this.seed = seed;
      return this;
    }

    /** One seed per prompt (null: seed + row index). */
    public Builder optRowSeeds(long... rowSeeds) {
      this.rowSeeds = rowSeeds == null ? null : rowSeeds.clone();
      return this;
    }

    public Builder optStopIds(long... stopIds) {
      this.stopIds = stopIds == null ? new long[0] : stopIds.clone();
      return this;
    }

    public Builder optLogprobs(boolean logprobs) {
      this.logprobs = logprobs;
      return this;
    }

    public SamplingOptions build() {
      List<String> problems = new ArrayList<>();
      if (maxNewTokens <= 0) {
        problems.add("max_new_tokens must be > 0 (got " + maxNewTokens + ")");
      }
      if (maxActions < 0) {
        problems.add("max_actions must be >= 0 (got " + maxActions + "; 0 means 4 x max_new_tokens)");
      }
      if (!greedy && !(temperature > 0 && Double.isFinite(temperature))) {
        problems.add("temperature must be finite and > 0 (got " + temperature + "). Hint: use greedy for 0");
      }
      if (topK < 0) {
        problems.add("top_k must be >= 0 (got " + topK + "; 0 = off)");
      }
      if (!(topP > 0 && topP <= 1)) {
        problems.add("top_p must be in (0, 1] (got " + topP + "; 1 = off)");
      }
      if (rowSeeds != null && rowSeeds.length == 0) {
        problems.add("row_seeds must have one seed per prompt (got none). Hint: leave it unset to use seed + row");
      }
      for (long id : stopIds) {
        if (id < 0) {
          problems.add("stop_ids must be token ids >= 0 (got " + id + ")");
          break;
        }
      }
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException("invalid sampling options: " + String.join("; ", problems));
      }
      return new SamplingOptions(this);
    }
  }
}
