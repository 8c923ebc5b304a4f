/* The --sm-* options shared by `seqmatch quickstart` and `seqmatch experiment arithmetic`. */
package ai.seqmatch.experiment;

import picocli.CommandLine.Option;

/** picocli mixin: the SequenceMatch-χ² knobs of a method comparison. */
public final class SequenceMatchMixin {
  @Option(names = "--sm-lambda", defaultValue = "0.5",
      description = "SequenceMatch: weight λ of the SM term against BC, in (0, 1] (default: ${DEFAULT-VALUE}).")
  double lambda;

  @Option(names = "--sm-alpha", defaultValue = "4",
      description = "SequenceMatch: χ²-mixture α; the r² coefficient is 1/(4α) (default: ${DEFAULT-VALUE}).")
  double alpha;

  @Option(names = "--sm-terminal", defaultValue = "learned",
      description = "SequenceMatch: value of the state after <eos>: learned or zero (DESIGN.md) "
          + "(default: ${DEFAULT-VALUE}).")
  String terminal;

  /** The settings, validated (InvalidInputException names the option). */
  public SequenceMatchSettings settings() {
    return new SequenceMatchSettings(lambda, alpha, terminal);
  }
}
