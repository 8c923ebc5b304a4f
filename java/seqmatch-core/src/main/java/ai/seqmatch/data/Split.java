/*
 * The train/validation split, decided one unit at a time so that preparation can stream: unit k of a
 * kind (a text chunk, a JSONL text row, a pair) goes to validation when a seeded hash of (seed, kind, k)
 * falls below the fraction. Each unit is thus decided from its own position alone (no count of the whole
 * corpus is needed), the same inputs and seed give the same split, and about fraction of the units are
 * held out. Two rules keep a small corpus usable, as the old whole-corpus split did: if nothing went to
 * validation (fraction > 0) from two or more examples, the last training example goes there; if nothing
 * went to training, the last validation example goes there. Each side holds back its latest example for
 * that; nothing else is kept.
 * Tested by SplitTest.
 */
package ai.seqmatch.data;

import java.util.function.Consumer;

/** Routes examples to train or validation consumers. */
final class Split {
  /** The kinds of unit, each counted and hashed on its own. */
  enum Kind { TEXT_CHUNK, TEXT_ROW, PAIR }

  private final double fraction;
  private final long seed;
  private final Consumer<Example> train;
  private final Consumer<Example> validation;
  private Example heldTrain;
  private Example heldValidation;
  private long trainCount;
  private long validationCount;

  Split(double fraction, long seed, Consumer<Example> train, Consumer<Example> validation) {
    this.fraction = fraction;
    this.seed = seed;
    this.train = train;
    this.validation = validation;
  }

  /** Whether unit {@code k} (0-based) of {@code kind} belongs to validation. */
  boolean isValidation(Kind kind, long k) {
    long h = mix(mix(mix(seed) + kind.ordinal()) + k);
    return (h >>> 11) * 0x1.0p-53 < fraction;
  }

  /** Sends {@code e} to one side (the previous example held there is released). */
  void offer(Example e, boolean toValidation) {
    if (toValidation) {
      if (heldValidation != null) {
        validation.accept(heldValidation);
      }
      heldValidation = e;
      validationCount++;
    } else {
      if (heldTrain != null) {
        train.accept(heldTrain);
      }
      heldTrain = e;
      trainCount++;
    }
  }

  /** Applies the small-corpus rules and releases the held examples. */
  void finish() {
    if (fraction > 0 && validationCount == 0 && trainCount >= 2) {
      heldValidation = heldTrain;
      heldTrain = null;
    } else if (trainCount == 0 && validationCount >= 1) {
      heldTrain = heldValidation;
      heldValidation = null;
    }
    if (heldTrain != null) {
      train.accept(heldTrain);
    }
    if (heldValidation != null) {
      validation.accept(heldValidation);
    }
    heldTrain = null;
    heldValidation = null;
  }

  /** SplitMix64's finaliser: a fixed, well-mixed 64-bit hash (the same on every JVM). */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
