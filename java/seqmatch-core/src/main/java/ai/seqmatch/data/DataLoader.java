/*
 * Endless, deterministic, shuffled batches over a list of Examples with an exact, resumable position:
 * save state() with a checkpoint, restore() it in a fresh loader, and the next batches are the same.
 * Tested by DataLoaderTest.
 */
package ai.seqmatch.data;

import ai.seqmatch.InvalidInputException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Yields batches of {@code batchSize} examples, epoch after epoch, each epoch in a fresh order drawn from
 * (seed, epoch). An epoch's last incomplete batch is dropped so every batch has the same shape. Not
 * thread-safe.
 */
public final class DataLoader implements Iterator<List<Example>> {
  private final List<Example> examples;
  private final int batchSize;
  private long seed;
  private int epoch;
  private int index;
  private int[] order;

  /**
   * @throws IllegalArgumentException if batchSize is not in [1, examples.size()]
   */
  public DataLoader(List<Example> examples, int batchSize, long seed) {
    if (batchSize < 1 || batchSize > examples.size()) {
      throw new IllegalArgumentException("data loader: batchSize out of range (got " + batchSize
          + ", expected 1.." + examples.size() + " = the number of examples)");
    }
    this.examples = List.copyOf(examples);
    this.batchSize = batchSize;
    this.seed = seed;
    this.order = orderOf(0);
  }

  /** Always true: the loader cycles through epochs. */
  @Override
  public boolean hasNext() {
    return true;
  }

  @Override
  public List<Example> next() {
    if (index + batchSize > examples.size()) {
      epoch++;
      index = 0;
      order = orderOf(epoch);
    }
    List<Example> batch = new ArrayList<>(batchSize);
    for (int i = 0; i < batchSize; i++) {
      batch.add(examples.get(order[index + i]));
    }
    index += batchSize;
    return batch;
  }

  /** Full batches per epoch. */
  public int batchesPerEpoch() {
    return examples.size() / batchSize;
  }

  public LoaderState state() {
    return new LoaderState(seed, epoch, index, examples.size());
  }

  /**
   * Moves to {@code state}, taken from a loader over the same examples.
   *
   * @throws InvalidInputException if the state belongs to other data or is out of range
   */
  public void restore(LoaderState state) {
    if (state.size() != examples.size()) {
      throw new InvalidInputException("data loader: cannot restore state: dataset size differs (got "
          + state.size() + ", expected " + examples.size() + "). Hint: resume with the same files, seqLen and split");
    }
    if (state.epoch() < 0 || state.index() < 0 || state.index() > examples.size()) {
      throw new InvalidInputException("data loader: cannot restore state: position out of range (got epoch "
          + state.epoch() + ", index " + state.index() + ", expected epoch >= 0, index 0.." + examples.size() + ")");
    }
    seed = state.seed();
    epoch = state.epoch();
    index = state.index();
    order = orderOf(epoch);
  }

  private int[] orderOf(int e) {
    // Mix so that nearby seeds and epochs give unrelated orders (java.util.Random scrambles only lightly).
    return Shuffle.permutation(examples.size(), seed * 0x9E3779B97F4A7C15L + e * 0xBF58476D1CE4E5B9L);
  }
}
