/*
 * A tokenised training set with a deterministic train/validation split, built from text and JSONL files:
 * Dataset.builder(tokenizer, seqLen).addFile(path).optValidationFraction(0.1).build().
 * Tested by DatasetTest.
 */
package ai.seqmatch.data;

import ai.seqmatch.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * Train and validation examples, in memory (for a corpus of any size, DataPreparer streams the same
 * examples to .smtok files). The split (Split, ExampleStream) never cuts a row: JSONL text rows are
 * assigned whole (each side chunked from its own stream), pairs row by row, and the chunks of plain-text
 * files one by one. Same files, fraction and seed give the same split. Does not own the tokenizer.
 */
public final class Dataset {
  private final List<Example> train;
  private final List<Example> validation;
  private final List<String> skipped;
  private final UnigramTable unigram;

  private Dataset(List<Example> train, List<Example> validation, List<String> skipped, int vocabSize) {
    this.train = List.copyOf(train);
    this.validation = List.copyOf(validation);
    this.skipped = List.copyOf(skipped);
    this.unigram = UnigramTable.of(train, vocabSize);
  }

  /** A builder; {@code seqLen} is the model's sequence length (tokens per example, at most). */
  public static Builder builder(Tokenizer tokenizer, int seqLen) {
    return new Builder(tokenizer, seqLen);
  }

  public List<Example> train() {
    return train;
  }

  public List<Example> validation() {
    return validation;
  }

  /** {@code file:line: reason} of every line or example left out under {@link BadLinePolicy#SKIP}. */
  public List<String> skipped() {
    return skipped;
  }

  /** Token counts over the training split's completion tokens. */
  public UnigramTable unigram() {
    return unigram;
  }

  /** Builder; {@link #build()} reads and tokenises the files. */
  public static final class Builder extends SourceOptions<Builder> {
    private final Tokenizer tokenizer;
    private final int seqLen;

    private Builder(Tokenizer tokenizer, int seqLen) {
      this.tokenizer = tokenizer;
      this.seqLen = seqLen;
    }

    @Override
    Builder self() {
      return this;
    }

    /**
     * Reads, tokenises, chunks and splits.
     *
     * @throws IllegalArgumentException listing every invalid setting
     * @throws ai.seqmatch.InvalidInputException for unreadable files, or bad lines under FAIL
     */
    public Dataset build() {
      validate();
      DataReader reader = new DataReader(policy);
      List<Example> train = new ArrayList<>();
      List<Example> val = new ArrayList<>();
      ExampleStream.run(files, tokenizer, seqLen, validationFraction, seed, reader, Progress.silent(), train::add,
          val::add);
      return new Dataset(train, val, reader.skipped(), tokenizer.vocabSize());
    }

    private void validate() {
      List<String> problems = new ArrayList<>();
      if (tokenizer == null) {
        problems.add("tokenizer is null");
      }
      if (seqLen < 2) {
        problems.add("seqLen must be >= 2 (got " + seqLen + ")");
      }
      validateSources(problems);
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException("dataset: invalid settings: " + String.join("; ", problems));
      }
    }
  }
}
