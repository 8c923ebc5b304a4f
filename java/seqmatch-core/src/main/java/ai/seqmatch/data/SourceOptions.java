/*
 * The input options shared by Dataset.Builder and DataPreparer.Builder (DataPreparer hands them on to a
 * Dataset): files, validation share, split seed and bad-line policy, with one validation.
 */
package ai.seqmatch.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Fluent input options; {@code B} is the concrete builder, returned by every setter. */
public abstract class SourceOptions<B extends SourceOptions<B>> {
  final List<Path> files = new ArrayList<>();
  double validationFraction = 0.1;
  long seed = 0;
  BadLinePolicy policy = BadLinePolicy.SKIP;

  SourceOptions() {}

  abstract B self();

  /** A plain-text file (one document) or a {@code .jsonl} file. */
  public B addFile(Path file) {
    files.add(file);
    return self();
  }

  /** Share of rows (or of chunks, for a single document) held out for validation; default 0.1. */
  public B optValidationFraction(double fraction) {
    this.validationFraction = fraction;
    return self();
  }

  /** Seed of the split; default 0. */
  public B optSeed(long seed) {
    this.seed = seed;
    return self();
  }

  /** What to do with bad lines and too-long prompts; default {@link BadLinePolicy#SKIP}. */
  public B optBadLinePolicy(BadLinePolicy policy) {
    this.policy = policy;
    return self();
  }

  /** Adds a description of each invalid option to {@code problems}. */
  void validateSources(List<String> problems) {
    if (!(validationFraction >= 0 && validationFraction < 1)) {
      problems.add("validationFraction must be in [0, 1) (got " + validationFraction + ")");
    }
    if (files.isEmpty()) {
      problems.add("no data files (call addFile)");
    }
    if (policy == null) {
      problems.add("badLinePolicy is null");
    }
  }
}
