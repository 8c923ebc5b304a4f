/*
 * Token frequencies of the training split, for "unigram" noise augmentation (DESIGN.md §3): noise tokens
 * drawn with the data's own token frequencies. Counts only completion tokens, the ones the model is
 * trained to produce, so BOS/prompt tokens do not skew the noise. Tested by DatasetTest.
 */
package ai.seqmatch.data;

import java.util.Arrays;
import java.util.List;

/** Per-id counts over a tokenizer's whole vocabulary (appended specials included). */
public final class UnigramTable {
  private final long[] counts;
  private final long total;

  public UnigramTable(long[] counts) {
    this.counts = counts.clone();
    this.total = Arrays.stream(counts).sum();
  }

  /** Counts the completion tokens of {@code examples}; ids must be below {@code vocabSize}. */
  public static UnigramTable of(List<Example> examples, int vocabSize) {
    long[] counts = new long[vocabSize];
    for (Example e : examples) {
      for (long id : e.completion()) {
        counts[(int) id]++;
      }
    }
    return new UnigramTable(counts);
  }

  public long[] counts() {
    return counts.clone();
  }

  public long count(long id) {
    return counts[(int) id];
  }

  public long total() {
    return total;
  }

  /** counts / total (all zeros when nothing was counted). */
  public double[] probabilities() {
    double[] p = new double[counts.length];
    for (int i = 0; i < p.length && total > 0; i++) {
      p[i] = (double) counts[i] / total;
    }
    return p;
  }
}
