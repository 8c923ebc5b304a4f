/*
 * MAUVE's text features from an exported model through ONNX Runtime: each text is tokenised with the export's
 * own tokenizer, truncated to its first maxLength tokens (mauve-text: max_text_length 1024, truncation keeps
 * the start), and embedded as the final hidden state (after the final layer norm) at its last token, as
 * mauve-text does with gpt2-large. An empty text is embedded as the single <eos> token (mauve-text would fail
 * on it; generations can be empty). Tested by OrtTextFeaturesTest.
 */
package ai.seqmatch.onnx;

import ai.seqmatch.CheckpointException;
import ai.seqmatch.InvalidInputException;
import ai.seqmatch.eval.mauve.TextFeatures;
import ai.seqmatch.tokenize.Tokenizer;
import ai.seqmatch.tokenize.Tokenizers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/** An export directory's last-token hidden states; owns its OrtModel and tokenizer. */
public final class OrtTextFeatures implements TextFeatures {
  /** mauve-text's max_text_length. */
  public static final int DEFAULT_MAX_LENGTH = 1024;
  /** Rows per ONNX Runtime call; texts are sorted by length first so a batch pads little. */
  private static final int BATCH = 16;

  private final Path dir;
  private final OrtModel model;
  private final Tokenizer tokenizer;
  private final int maxLength;

  private OrtTextFeatures(Path dir, OrtModel model, Tokenizer tokenizer, int maxLength) {
    this.dir = dir;
    this.model = model;
    this.tokenizer = tokenizer;
    this.maxLength = maxLength;
  }

  /**
   * Opens {@code dir} (a `seqmatch export` directory with a tokenizer and a last_hidden_state output); texts
   * keep their first min(maxLength, n_positions) tokens.
   */
  public static OrtTextFeatures open(Path dir, int maxLength, int threads) {
    if (maxLength < 1) {
      throw new InvalidInputException("feature model: max length must be >= 1 (got " + maxLength + ")");
    }
    OrtModel model = OrtModel.load(dir, ExecutionProvider.CPU, threads);
    try {
      if (!model.hasHiddenStates()) {
        throw new CheckpointException("--feature-model " + dir + ": the export has no " + OrtModel.HIDDEN_OUTPUT
            + " output. Hint: re-export it with 'seqmatch export' (exports made before hidden-state outputs "
            + "lack it)");
      }
      if (model.info().eosTokenId() < 0) {
        throw new CheckpointException("--feature-model " + dir + ": the export has no eos_token_id (needed to "
            + "embed empty texts)");
      }
      Tokenizer tok = Tokenizers.load(dir).orElseThrow(() -> new CheckpointException("--feature-model " + dir
          + ": no tokenizer (no tokenizer.json, no \"tokenizer\" in " + OnnxModelInfo.FILE + "). Hint: export "
          + "a checkpoint that names its tokenizer"));
      int len = (int) Math.min(maxLength, model.info().nPositions());
      return new OrtTextFeatures(dir, model, tok, len);
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  /** The token ids embedded for {@code text}: its first maxLength tokens, or <eos> alone when it has none. */
  long[] tokens(String text) {
    long[] ids = tokenizer.encode(text);
    if (ids.length == 0) {
      return new long[] {model.info().eosTokenId()};
    }
    return ids.length > maxLength ? Arrays.copyOf(ids, maxLength) : ids;
  }

  @Override
  public double[][] features(List<String> texts) {
    List<long[]> rows = new ArrayList<>(texts.size());
    for (String t : texts) {
      rows.add(tokens(t));
    }
    Integer[] order = new Integer[rows.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingInt(i -> rows.get(i).length));
    double[][] out = new double[rows.size()][];
    for (int from = 0; from < order.length; from += BATCH) {
      List<long[]> batch = new ArrayList<>();
      int to = Math.min(order.length, from + BATCH);
      for (int i = from; i < to; i++) {
        batch.add(rows.get(order[i]));
      }
      float[][] h = model.lastHiddenStates(batch);
      for (int i = from; i < to; i++) {
        float[] f = h[i - from];
        double[] d = new double[f.length];
        for (int c = 0; c < f.length; c++) {
          d[c] = f[c];
        }
        out[order[i]] = d;
      }
    }
    return out;
  }

  @Override
  public int dimension() {
    return (int) model.info().nEmbd();
  }

  /** Tokens kept per text. */
  public int maxLength() {
    return maxLength;
  }

  @Override
  public String describe() {
    return "last-token final hidden state of " + dir + " (" + dimension() + " features, first " + maxLength
        + " tokens)";
  }

  @Override
  public void close() {
    try {
      tokenizer.close();
    } finally {
      model.close();
    }
  }
}
