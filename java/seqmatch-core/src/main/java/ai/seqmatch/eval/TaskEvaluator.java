/*
 * Exact task evaluation (DESIGN.md §3 "Evaluation without a large reference model"): generate a completion
 * for each test prompt (batched, greedy by default), decode the final state, and check it with the task's
 * exact checker. A row counts as correct only if it ENDED (finish reason eos or stop) and its text passes the
 * checker: a right answer that runs on, or is cut off by max_new_tokens, is wrong.
 * Metrics: accuracy with its 95% Wilson interval over the distinct prompts (accuracy_low, accuracy_high),
 * mean_new_tokens (final state, <eos> included), mean_completion_chars, backspace_rate,
 * actions_per_token (ActionStats); counts per finish reason and per task group ("rows[base 7]", "correct[base 7]").
 * Generations made elsewhere (seqmatch eval --generations) are scored by the same score(...). Tested by
 * TaskEvaluatorTest.
 */
package ai.seqmatch.eval;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.sample.FinishReason;
import ai.seqmatch.sample.GenerationResult;
import ai.seqmatch.sample.SamplingOptions;
import ai.seqmatch.tasks.Task;
import ai.seqmatch.tasks.TaskExample;
import ai.seqmatch.tasks.Verdict;
import ai.seqmatch.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/** Evaluates a generation engine on a task. Holds no resources of its own. */
public final class TaskEvaluator {
  private final GenerationEngine engine;
  private final Tokenizer tokenizer;
  private final Task task;
  private final SamplingOptions options;
  private final int batchSize;
  private final int examples;

  private TaskEvaluator(Builder b) {
    engine = b.engine;
    tokenizer = b.tokenizer;
    task = b.task;
    options = b.options != null ? b.options : SamplingOptions.greedy(defaultMaxNewTokens(task));
    batchSize = b.batchSize;
    examples = b.examples;
  }

  /** Room for the longest completion one character per token, plus {@code <eos>} and a little slack. */
  public static long defaultMaxNewTokens(Task task) {
    return task.maxCompletionLength() + 8L;
  }

  /** Required: the engine, the tokenizer of its model, and the task. */
  public static Builder builder(GenerationEngine engine, Tokenizer tokenizer, Task task) {
    return new Builder(engine, tokenizer, task);
  }

  /** The sampling options used (greedy with {@link #defaultMaxNewTokens} unless set). */
  public SamplingOptions options() {
    return options;
  }

  /** Generates for every example's prompt and checks the completions. */
  public EvalReport evaluate(List<TaskExample> tests) {
    return scores(tests).report();
  }

  /** Like {@link #evaluate}, keeping the per-prompt verdicts (for paired comparisons and per-group tables). */
  public TaskScores scores(List<TaskExample> tests) {
    if (tests.isEmpty()) {
      throw new InvalidInputException("task eval: need at least one test prompt (got 0)");
    }
    List<GenerationResult> results = Batches.generate(engine, tokenizer, tests.stream().map(TaskExample::prompt)
        .toList(), options, batchSize);
    return score(task, tokenizer, engine.name(), engine.bkspcTokenId(), tests, results, examples);
  }

  /**
   * Checks generated results against {@code tests} (same order): the one scoring path for in-JVM generation and
   * generations produced elsewhere.
   *
   * @param examples rows kept as examples in the report
   */
  public static TaskScores score(Task task, Tokenizer tokenizer, String engineName, long bkspc,
      List<TaskExample> tests, List<GenerationResult> results, int examples) {
    if (tests.size() != results.size()) {
      throw new InvalidInputException("task eval: " + tests.size() + " prompts but " + results.size()
          + " generations");
    }
    long correct = 0;
    long chars = 0;
    boolean[] right = new boolean[tests.size()];
    List<String> groups = new ArrayList<>(tests.size());
    Map<String, Long> finish = new LinkedHashMap<>();
    Map<String, long[]> perGroup = new TreeMap<>(TaskScores.GROUP_ORDER);
    List<EvalExample> shown = new ArrayList<>();
    for (int i = 0; i < tests.size(); i++) {
      TaskExample t = tests.get(i);
      GenerationResult r = results.get(i);
      String completion = Traces.completion(r, tokenizer);
      Verdict v = verdict(task, t.prompt(), completion, r.finishReason());
      right[i] = v.correct();
      correct += v.correct() ? 1 : 0;
      chars += completion.length();
      finish.merge("finish_" + r.finishReason().wireName(), 1L, Long::sum);
      String group = task.group(t.prompt());
      groups.add(group);
      long[] g = perGroup.computeIfAbsent(group, k -> new long[2]);
      g[0]++;
      g[1] += v.correct() ? 1 : 0;
      if (shown.size() < examples) {
        shown.add(new EvalExample(t.prompt(), t.completion(), completion,
            Traces.trace(r, tokenizer, bkspc), r.finishReason().wireName(), v.correct(), v.reason()));
      }
    }
    ActionStats stats = ActionStats.of(results);
    Interval accuracy = Wilson.of(correct, tests.size());
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("accuracy", accuracy.estimate());
    metrics.put("accuracy_low", accuracy.low());
    metrics.put("accuracy_high", accuracy.high());
    metrics.put("mean_new_tokens", (double) stats.tokens() / tests.size());
    metrics.put("mean_completion_chars", (double) chars / tests.size());
    metrics.put("backspace_rate", stats.backspaceRate());
    metrics.put("actions_per_token", stats.actionsPerToken());
    Map<String, Long> counts = new LinkedHashMap<>();
    counts.put("rows", (long) tests.size());
    counts.put("correct", correct);
    counts.put("actions", stats.actions());
    counts.put("backspaces", stats.backspaces());
    counts.putAll(finish);
    perGroup.forEach((k, g) -> {
      counts.put("rows[" + k + "]", g[0]);
      counts.put("correct[" + k + "]", g[1]);
    });
    EvalReport report = new EvalReport("task", engineName, metrics, counts, shown);
    return new TaskScores(right, groups, report);
  }

  /** The checker's verdict, after requiring that the row ended by itself. */
  private static Verdict verdict(Task task, String prompt, String completion, FinishReason reason) {
    if (reason != FinishReason.EOS && reason != FinishReason.STOP) {
      return Verdict.wrong("did not end (finish_reason " + reason.wireName() + ")");
    }
    return task.verdict(prompt, completion);
  }

  /** Fluent builder; {@link #build()} lists every bad value. */
  public static final class Builder {
    private final GenerationEngine engine;
    private final Tokenizer tokenizer;
    private final Task task;
    private SamplingOptions options;
    private int batchSize = 32;
    private int examples = 5;

    private Builder(GenerationEngine engine, Tokenizer tokenizer, Task task) {
      this.engine = Objects.requireNonNull(engine, "engine");
      this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
      this.task = Objects.requireNonNull(task, "task");
    }

    /** Sampling options (default: greedy, {@link #defaultMaxNewTokens}). */
    public Builder optOptions(SamplingOptions options) {
      this.options = options;
      return this;
    }

    /** Prompts per generate call (default 32). */
    public Builder optBatchSize(int batchSize) {
      this.batchSize = batchSize;
      return this;
    }

    /** Rows kept as examples in the report (default 5). */
    public Builder optExamples(int examples) {
      this.examples = examples;
      return this;
    }

    public TaskEvaluator build() {
      Batches.validate("task eval", batchSize, examples);
      return new TaskEvaluator(this);
    }
  }
}
