/*
 * One pass over the input files that hands every example to train or validation as soon as it is
 * complete: rows are read (DataReader.forEach), tokenised, chunked (Chunker.Window) and split (Split)
 * incrementally, so memory is bounded by one plain-text piece, one JSONL line and one chunk per stream,
 * whatever the corpus size. Dataset collects the examples in lists; DataPreparer writes them to .smtok
 * files. Tested by DatasetTest, StreamingPrepareTest and PrepareCommandTest.
 */
package ai.seqmatch.data;

import ai.seqmatch.tokenize.Tokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * The split units: plain-text files are joined into one stream (each followed by EOS) whose chunks are
 * assigned one by one; a JSONL text row is assigned whole and joins the chunk stream of its side; a pair
 * row is one example.
 */
final class ExampleStream {
  private ExampleStream() {}

  /**
   * Streams {@code files} into {@code train} and {@code validation}.
   *
   * @param reader reads the files and applies the bad-line policy (its skipped lines are the caller's)
   * @param progress receives the bytes read
   * @throws ai.seqmatch.InvalidInputException for unreadable files, or bad lines under FAIL
   */
  static void run(List<Path> files, Tokenizer tokenizer, int seqLen, double fraction, long seed, DataReader reader,
      Progress progress, Consumer<Example> train, Consumer<Example> validation) {
    Chunker chunker = new Chunker(tokenizer, seqLen);
    Split split = new Split(fraction, seed, train, validation);
    long[] counts = new long[Split.Kind.values().length];
    Chunker.Window text = chunker.window(e -> split.offer(e, decide(split, counts, Split.Kind.TEXT_CHUNK)));
    Chunker.Window trainRows = chunker.window(e -> split.offer(e, false));
    Chunker.Window validationRows = chunker.window(e -> split.offer(e, true));
    DataReader.Visitor visitor = new DataReader.Visitor() {
      @Override
      public void row(Row row) {
        if (row instanceof Row.Text t) {
          boolean v = decide(split, counts, Split.Kind.TEXT_ROW);
          (v ? validationRows : trainRows).addDocument(tokenizer.encode(t.text()));
        } else {
          boolean v = decide(split, counts, Split.Kind.PAIR); // counted even if skipped: others keep their side
          Example e = chunker.pair((Row.Pair) row, reader);
          if (e != null) {
            split.offer(e, v);
          }
        }
      }

      @Override
      public void textPiece(String piece) {
        text.add(tokenizer.encode(piece));
      }

      @Override
      public void endOfText(String source) {
        text.endDocument();
      }
    };
    for (Path f : files) {
      reader.forEach(f, visitor, progress::advance);
    }
    split.finish();
  }

  private static boolean decide(Split split, long[] counts, Split.Kind kind) {
    return split.isValidation(kind, counts[kind.ordinal()]++);
  }
}
