/*
 * Deterministic task data: N examples of a Task from a seed, as a list or as JSONL lines
 * {"prompt": ..., "completion": ...} (the format DataReader reads), written atomically (temp + rename).
 * Splits (split/writeSplits) are by distinct problem: test and validation hold distinct prompts drawn without
 * replacement from the task's own distribution (one pool, shuffled into the two, so both follow it alike), stratified by Task.stratum (for add-or-sub-in-base: base and
 * operand length), at most half of each finite stratum held out, so every test stratum keeps problems for
 * training; train is drawn from the remaining problems only, and a test stratum missing from train is an error.
 * Asking for more distinct held-out prompts than exist is an error naming the counts. Tested by TaskDatasetTest.
 */
package ai.seqmatch.tasks;

import ai.seqmatch.InvalidInputException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/** Sampling and writing task examples. */
public final class TaskDataset {
  /** Draws per wanted example before giving up on finding prompts not used by another split. */
  private static final int MAX_DRAWS_PER_EXAMPLE = 100;
  private static final ObjectMapper JSON = new ObjectMapper();

  private TaskDataset() {}

  /** Share of each finite stratum's distinct problems that test + validation may take; the rest is for train. */
  static final double MAX_HELD_OUT_SHARE = 0.5;

  /** The split files {@link #writeSplits} makes, in that directory. */
  public record Splits(Path train, Path validation, Path test) {}

  /** The three splits in memory: test and validation distinct and disjoint, train sharing no prompt with them. */
  public record Split(List<TaskExample> train, List<TaskExample> validation, List<TaskExample> test) {
    public Split {
      train = List.copyOf(train);
      validation = List.copyOf(validation);
      test = List.copyOf(test);
    }
  }

  /**
   * Splits {@code task} by distinct problem (see the file comment); the same arguments always give the same split.
   *
   * @throws InvalidInputException if more distinct held-out prompts are asked for than the task has, or a test
   *     stratum ends up without training examples
   */
  public static Split split(Task task, int nTrain, int nValidation, int nTest, long seed) {
    if (nTrain < 0 || nValidation < 0 || nTest < 0) {
      throw new InvalidInputException("task data: example counts must be >= 0 (got train " + nTrain
          + ", validation " + nValidation + ", test " + nTest + ")");
    }
    Map<String, Long> distinct = task.distinctProblems();
    Map<String, Long> cap = new HashMap<>();
    distinct.forEach((k, v) -> cap.put(k, (long) Math.floor(v * MAX_HELD_OUT_SHARE)));
    if (!distinct.isEmpty()) {
      long total = distinct.values().stream().mapToLong(Long::longValue).reduce(0, TaskDataset::saturatingAdd);
      long heldOut = cap.values().stream().mapToLong(Long::longValue).reduce(0, TaskDataset::saturatingAdd);
      if ((long) nTest + nValidation > heldOut) {
        throw new InvalidInputException("task data: asked for " + nTest + " test + " + nValidation
            + " validation distinct prompts, but " + task.describe() + " has " + total + " distinct problems and "
            + "at most " + heldOut + " may be held out (half of each stratum stays for training). Hint: ask for "
            + "fewer, or a larger task configuration");
      }
    }
    // One held-out pool, then a seeded shuffle into test and validation: both follow the same distribution
    // (drawing one after the other would leave validation the strata whose caps test had not reached).
    Set<String> heldOutPrompts = new HashSet<>();
    List<TaskExample> pool = new ArrayList<>(drawHeldOut(task, nTest + nValidation, new SplittableRandom(seed),
        heldOutPrompts, new HashMap<>(), cap, "held-out (test + validation)"));
    Collections.shuffle(pool, new java.util.Random(seed + 1));
    List<TaskExample> test = pool.subList(0, nTest);
    List<TaskExample> validation = pool.subList(nTest, pool.size());
    List<TaskExample> train = sample(task, nTrain, seed + 2, heldOutPrompts);
    Set<String> trained = new HashSet<>();
    train.forEach(e -> trained.add(task.stratum(e.prompt())));
    for (TaskExample e : test) {
      String stratum = task.stratum(e.prompt());
      if (!trained.contains(stratum)) {
        throw new InvalidInputException("task data: test stratum \"" + stratum + "\" has no training example among "
            + nTrain + ". Hint: ask for more training examples");
      }
    }
    return new Split(train, validation, test);
  }

  /**
   * {@code n} examples with distinct prompts, drawn without replacement from the task's distribution (an
   * evaluation set: no prompt counted twice); the same arguments always give the same list.
   *
   * @throws InvalidInputException if the task has fewer than {@code n} distinct problems
   */
  public static List<TaskExample> distinct(Task task, int n, long seed) {
    if (n < 0) {
      throw new InvalidInputException("task data: example count must be >= 0 (got " + n + ")");
    }
    Map<String, Long> counts = task.distinctProblems();
    long total = counts.values().stream().mapToLong(Long::longValue).reduce(0, TaskDataset::saturatingAdd);
    if (!counts.isEmpty() && n > total) {
      throw new InvalidInputException("task data: asked for " + n + " distinct prompts, but " + task.describe()
          + " has only " + total + " distinct problems. Hint: ask for fewer, or a larger task configuration");
    }
    return drawHeldOut(task, n, new SplittableRandom(seed), new HashSet<>(), new HashMap<>(), counts, "distinct");
  }

  /** {@code n} distinct prompts not yet held out, skipping draws of a stratum at its cap. */
  private static List<TaskExample> drawHeldOut(Task task, int n, SplittableRandom rng, Set<String> heldOut,
      Map<String, Long> perStratum, Map<String, Long> cap, String what) {
    List<TaskExample> out = new ArrayList<>(n);
    long draws = 0;
    while (out.size() < n) {
      if (++draws > (long) MAX_DRAWS_PER_EXAMPLE * Math.max(n, 1)) {
        throw new InvalidInputException("task data: " + task.describe() + " gave only " + out.size() + " of " + n
            + " distinct " + what + " prompts after " + (draws - 1) + " draws (" + heldOut.size()
            + " held out in all). Hint: ask for fewer held-out examples or a larger configuration");
      }
      TaskExample e = task.sample(rng);
      String stratum = task.stratum(e.prompt());
      if (heldOut.contains(e.prompt()) || perStratum.getOrDefault(stratum, 0L) >= cap.getOrDefault(stratum,
          Long.MAX_VALUE)) {
        continue;
      }
      heldOut.add(e.prompt());
      perStratum.merge(stratum, 1L, Long::sum);
      out.add(e);
    }
    return out;
  }

  private static long saturatingAdd(long a, long b) {
    long s = a + b;
    return ((a ^ s) & (b ^ s)) < 0 ? Long.MAX_VALUE : s;
  }

  /** {@code n} examples of {@code task}; the same (task configuration, n, seed) always gives the same list. */
  public static List<TaskExample> sample(Task task, int n, long seed) {
    return sample(task, n, seed, Set.of());
  }

  /** Like {@link #sample(Task, int, long)}, skipping examples whose prompt is in {@code excluded}. */
  public static List<TaskExample> sample(Task task, int n, long seed, Set<String> excluded) {
    if (n < 0) {
      throw new InvalidInputException("task data: example count must be >= 0 (got " + n + ")");
    }
    SplittableRandom rng = new SplittableRandom(seed);
    List<TaskExample> out = new ArrayList<>(n);
    long draws = 0;
    while (out.size() < n) {
      if (++draws > (long) MAX_DRAWS_PER_EXAMPLE * Math.max(n, 1)) {
        throw new InvalidInputException("task data: " + task.name() + " has too few distinct prompts (got "
            + out.size() + " of " + n + " after " + (draws - 1) + " draws). Hint: ask for fewer examples or a "
            + "larger configuration");
      }
      TaskExample e = task.sample(rng);
      if (!excluded.contains(e.prompt())) {
        out.add(e);
      }
    }
    return out;
  }

  /** The JSONL line (no newline) of one example. */
  public static String toJsonLine(TaskExample e) {
    ObjectNode node = JSON.createObjectNode();
    node.put("prompt", e.prompt());
    node.put("completion", e.completion());
    return node.toString();
  }

  /** Writes {@code n} examples from {@code seed} to {@code out} as JSONL; returns them. */
  public static List<TaskExample> write(Task task, int n, long seed, Path out) {
    List<TaskExample> examples = sample(task, n, seed);
    writeJsonl(examples, out);
    return examples;
  }

  /** Writes {@link #split}'s train.jsonl, validation.jsonl and test.jsonl under {@code dir}. */
  public static Splits writeSplits(Task task, Path dir, int nTrain, int nValidation, int nTest, long seed) {
    return writeSplits(split(task, nTrain, nValidation, nTest, seed), dir);
  }

  /** Writes a split's train.jsonl, validation.jsonl and test.jsonl under {@code dir}. */
  public static Splits writeSplits(Split split, Path dir) {
    Splits s = new Splits(dir.resolve("train.jsonl"), dir.resolve("validation.jsonl"), dir.resolve("test.jsonl"));
    writeJsonl(split.train(), s.train());
    writeJsonl(split.validation(), s.validation());
    writeJsonl(split.test(), s.test());
    return s;
  }

  /** Writes examples as JSONL atomically: a temp file in the same directory, then a rename. */
  public static void writeJsonl(List<TaskExample> examples, Path out) {
    Path dir = out.toAbsolutePath().getParent();
    try {
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, out.getFileName().toString(), ".tmp");
      try {
        try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
          for (TaskExample e : examples) {
            w.write(toJsonLine(e));
            w.write('\n');
          }
        }
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("task data: cannot write " + out + ": " + e.getMessage(), e);
    }
  }
}
