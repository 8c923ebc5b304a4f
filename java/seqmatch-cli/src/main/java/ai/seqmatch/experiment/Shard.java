/*
 * One part of an experiment's run list, so that several processes or machines share the work of one grid in
 * one output directory: shard i of n trains the runs whose index % n == i. Finished runs are files
 * (runs/<run>/result.json), so a final invocation without a shard reuses them all and writes the report.
 */
package ai.seqmatch.experiment;

import ai.seqmatch.InvalidInputException;

/** Shard {@code index} of {@code count}. */
public record Shard(int index, int count) {
  /** Every run. */
  public static final Shard ALL = new Shard(0, 1);

  public Shard {
    if (count < 1 || index < 0 || index >= count) {
      throw new InvalidInputException("--shard needs I/N with 0 <= I < N (got " + index + "/" + count + ")");
    }
  }

  /** Parses "I/N". */
  public static Shard parse(String text) {
    String[] parts = text.split("/", -1);
    try {
      if (parts.length == 2) {
        return new Shard(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()));
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new InvalidInputException("--shard needs I/N, e.g. 0/2 (got '" + text + "')");
  }

  /** Whether run {@code i} of the list is this shard's. */
  public boolean owns(int i) {
    return i % count == index;
  }

  public boolean isAll() {
    return count == 1;
  }
}
