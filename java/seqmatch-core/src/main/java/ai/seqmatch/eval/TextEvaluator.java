/*
 * Reference-free evaluation of open-ended generations: generate a continuation for each prompt (batched,
 * greedy by default) and compute, over the completions, distinct-1/2/3, seq-rep-4, self-BLEU-4 (first
 * selfBleuCap rows), the Zipf coefficient (TextMetrics, Bleu), mean_new_tokens, backspace_rate and
 * actions_per_token (ActionStats). Units choose model tokens or words. With a MauveReference, also MAUVE and
 * the frontier integral of the completions (the continuations, without their prompts) against its reference
 * texts. Tested by TextEvaluatorTest and EvalMauveTest.
 */
package ai.seqmatch.eval;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.eval.mauve.Mauve;
import ai.seqmatch.eval.mauve.MauveReference;
import ai.seqmatch.sample.GenerationResult;
import ai.seqmatch.sample.SamplingOptions;
import ai.seqmatch.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Evaluates a generation engine's open-ended continuations. Holds no resources of its own. */
public final class TextEvaluator {
  private final GenerationEngine engine;
  private final Tokenizer tokenizer;
  private final SamplingOptions options;
  private final Units units;
  private final int batchSize;
  private final int selfBleuCap;
  private final int examples;
  private final MauveReference mauve;

  private TextEvaluator(Builder b) {
    engine = b.engine;
    tokenizer = b.tokenizer;
    options = b.options;
    units = b.units;
    batchSize = b.batchSize;
    selfBleuCap = b.selfBleuCap;
    examples = b.examples;
    mauve = b.mauve;
  }

  /** Required: the engine and the tokenizer of its model. */
  public static Builder builder(GenerationEngine engine, Tokenizer tokenizer) {
    return new Builder(engine, tokenizer);
  }

  public EvalReport evaluate(List<String> prompts) {
    if (prompts.isEmpty()) {
      throw new InvalidInputException("text eval: need at least one prompt (got 0)");
    }
    List<GenerationResult> results = Batches.generate(engine, tokenizer, prompts, options, batchSize);
    List<long[]> seqs = units.sequences(results, tokenizer);
    ActionStats stats = ActionStats.of(results);
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("distinct_1", TextMetrics.distinctN(seqs, 1));
    metrics.put("distinct_2", TextMetrics.distinctN(seqs, 2));
    metrics.put("distinct_3", TextMetrics.distinctN(seqs, 3));
    metrics.put("seq_rep_4", TextMetrics.seqRepN(seqs, 4));
    metrics.put("self_bleu_4", Bleu.selfBleu(seqs, 4, selfBleuCap));
    metrics.put("zipf", TextMetrics.zipfCoefficient(seqs));
    metrics.put("mean_new_tokens", (double) stats.tokens() / prompts.size());
    metrics.put("backspace_rate", stats.backspaceRate());
    metrics.put("actions_per_token", stats.actionsPerToken());
    Map<String, Long> counts = new LinkedHashMap<>();
    if (mauve != null) {
      Mauve.Result m = mauve.score(results.stream().map(r -> Traces.completion(r, tokenizer)).toList());
      metrics.put("mauve", m.mauve());
      metrics.put("frontier_integral", m.frontierIntegral());
      counts.put("mauve_clusters", (long) m.clusters());
      counts.put("mauve_reference_texts", (long) mauve.size());
    }
    counts.put("rows", (long) prompts.size());
    counts.put("units", seqs.stream().mapToLong(s -> s.length).sum());
    counts.put("actions", stats.actions());
    counts.put("backspaces", stats.backspaces());
    for (GenerationResult r : results) {
      counts.merge("finish_" + r.finishReason().wireName(), 1L, Long::sum);
    }
    List<EvalExample> shown = new ArrayList<>();
    for (int i = 0; i < Math.min(examples, results.size()); i++) {
      GenerationResult r = results.get(i);
      shown.add(new EvalExample(prompts.get(i), null, Traces.completion(r, tokenizer),
          Traces.trace(r, tokenizer, engine.bkspcTokenId()), r.finishReason().wireName(), null, null));
    }
    return new EvalReport("text", engine.name(), metrics, counts, shown);
  }

  /** Fluent builder; {@link #build()} lists every bad value. */
  public static final class Builder {
    private final GenerationEngine engine;
    private final Tokenizer tokenizer;
    private SamplingOptions options = SamplingOptions.greedy(64);
    private Units units = Units.TOKENS;
    private int batchSize = 32;
    private int selfBleuCap = 200;
    private int examples = 3;
    private MauveReference mauve;

    private Builder(GenerationEngine engine, Tokenizer tokenizer) {
      this.engine = Objects.requireNonNull(engine, "engine");
      this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
    }

    /** Sampling options (default: greedy, 64 new tokens). */
    public Builder optOptions(SamplingOptions options) {
      this.options = Objects.requireNonNull(options, "options");
      return this;
    }

    /** Units of the n-gram and Zipf metrics (default tokens). */
    public Builder optUnits(Units units) {
      this.units = Objects.requireNonNull(units, "units");
      return this;
    }

    public Builder optBatchSize(int batchSize) {
      this.batchSize = batchSize;
      return this;
    }

    /** Self-BLEU uses the first {@code cap} completions (cost grows with cap²; default 200). */
    public Builder optSelfBleuCap(int cap) {
      this.selfBleuCap = cap;
      return this;
    }

    /** Also MAUVE of the completions against this reference (default: none). */
    public Builder optMauve(MauveReference mauve) {
      this.mauve = mauve;
      return this;
    }

    public Builder optExamples(int examples) {
      this.examples = examples;
      return this;
    }

    public TextEvaluator build() {
      Batches.validate("text eval", batchSize, examples);
      if (selfBleuCap < 2) {
        throw new IllegalArgumentException("text eval: self-BLEU cap must be >= 2 (got " + selfBleuCap + ")");
      }
      return new TextEvaluator(this);
    }
  }
}
