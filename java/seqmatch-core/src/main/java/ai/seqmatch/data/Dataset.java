/*
 * A tokenised training set with a deterministic train/validation split, built from text and JSONL files:
 * Dataset.builder(tokenizer, seqLen).addFile(path).optValidationFraction(0.1).build().
 * Tested by DatasetTest.
 */
package ai.seqmatch.data;

import ai.seqmatch.tokenize.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Train and validation examples. The split never cuts a row: with two or more text documents whole
 * documents are assigned (each split chunked from its own stream); with a single document (one text
 * file) its chunks are assigned by index; pairs are assigned row by row. Same files, fraction and seed
 * give the same split. Does not own the tokenizer.
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
      List<Row.Text> docs = new ArrayList<>();
      List<Row.Pair> pairs = new ArrayList<>();
      for (Path f : files) {
        for (Row r : reader.read(f)) {
          if (r instanceof Row.Text t) {
            docs.add(t);
          } else {
            pairs.add((Row.Pair) r);
          }
        }
      }
      Chunker chunker = new Chunker(tokenizer, seqLen);
      List<Example> train = new ArrayList<>();
      List<Example> val = new ArrayList<>();
      splitText(chunker, docs, train, val);
      boolean[] valPair = Shuffle.validationMask(pairs.size(), validationFraction, seed + 1);
      for (int i = 0; i < pairs.size(); i++) {
        Example e = chunker.pair(pairs.get(i), reader);
        if (e != null) {
          (valPair[i] ? val : train).add(e);
        }
      }
      return new Dataset(train, val, reader.skipped(), tokenizer.vocabSize());
    }

    private void splitText(Chunker chunker, List<Row.Text> docs, List<Example> train, List<Example> val) {
      if (docs.size() == 1) { // one stream: split its chunks by index
        List<Example> chunks = chunker.chunks(chunker.stream(docs));
        boolean[] isVal = Shuffle.validationMask(chunks.size(), validationFraction, seed);
        for (int i = 0; i < chunks.size(); i++) {
          (isVal[i] ? val : train).add(chunks.get(i));
        }
        return;
      }
      boolean[] isVal = Shuffle.validationMask(docs.size(), validationFraction, seed);
      List<Row.Text> trainDocs = new ArrayList<>();
      List<Row.Text> valDocs = new ArrayList<>();
      for (int i = 0; i < docs.size(); i++) {
        (isVal[i] ? valDocs : trainDocs).add(docs.get(i));
      }
      train.addAll(chunker.chunks(chunker.stream(trainDocs)));
      val.addAll(chunker.chunks(chunker.stream(valDocs)));
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
