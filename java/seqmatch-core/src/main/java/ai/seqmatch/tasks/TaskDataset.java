/*
 * Deterministic task data: N examples of a Task from a seed, as a list or as JSONL lines
 * {"prompt": ..., "completion": ...} (the format DataReader reads), written atomically (temp + rename).
 * Splits are drawn so that no prompt of the test split appears in validation or train, nor one of validation
 * in train. Tested by TaskDatasetTest.
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
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/** Sampling and writing task examples. */
public final class TaskDataset {
  /** Draws per wanted example before giving up on finding prompts not used by another split. */
  private static final int MAX_DRAWS_PER_EXAMPLE = 100;
  private static final ObjectMapper JSON = new ObjectMapper();

  private TaskDataset() {}

  /** The split files {@link #writeSplits} makes, in that directory. */
  public record Splits(Path train, Path validation, Path test) {}

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

  /**
   * Writes train.jsonl, validation.jsonl and test.jsonl under {@code dir}. Test is drawn first (seed), then
   * validation (seed + 1) without test prompts, then train (seed + 2) without either.
   */
  public static Splits writeSplits(Task task, Path dir, int nTrain, int nValidation, int nTest, long seed) {
    List<TaskExample> test = sample(task, nTest, seed);
    Set<String> used = new HashSet<>();
    test.forEach(e -> used.add(e.prompt()));
    List<TaskExample> validation = sample(task, nValidation, seed + 1, used);
    validation.forEach(e -> used.add(e.prompt()));
    List<TaskExample> train = sample(task, nTrain, seed + 2, used);
    Splits s = new Splits(dir.resolve("train.jsonl"), dir.resolve("validation.jsonl"), dir.resolve("test.jsonl"));
    writeJsonl(train, s.train());
    writeJsonl(validation, s.validation());
    writeJsonl(test, s.test());
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
