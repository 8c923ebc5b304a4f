/*
 * MAUVE against a fixed reference: the reference texts are embedded once (or read as precomputed features
 * from a .npy file), then each set of generations is embedded with the same TextFeatures and scored with
 * Mauve.compute (P = generations, Q = reference, mauve-text's defaults). Used by `seqmatch eval
 * --mauve-reference` (through TextEvaluator) and `seqmatch experiment text`. Tested by EvalMauveTest.
 */
package ai.seqmatch.eval.mauve;

import ai.seqmatch.InvalidInputException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reference features Q and the featuriser for P; does not own the featuriser. */
public final class MauveReference {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private final TextFeatures features;
  private final double[][] q;
  private final String source;
  private final long seed;

  private MauveReference(TextFeatures features, double[][] q, String source, long seed) {
    this.features = features;
    this.q = q;
    this.source = source;
    this.seed = seed;
  }

  /** Reference texts embedded with {@code features}; k-means seeded by {@code seed}. */
  public static MauveReference ofTexts(TextFeatures features, List<String> texts, String source, long seed) {
    if (texts.isEmpty()) {
      throw new InvalidInputException("MAUVE reference " + source + " holds no texts");
    }
    return new MauveReference(features, features.features(texts), source, seed);
  }

  /**
   * A reference file: .npy = precomputed features (points x features, e.g. from `seqmatch mauve`'s inputs),
   * .jsonl = one text per row (its "completion", else its "text"), anything else = one text per
   * non-empty line. Missing, unreadable, empty files and a feature count other than the featuriser's are
   * one-line InvalidInputExceptions naming the file.
   */
  public static MauveReference read(Path file, TextFeatures features, long seed) {
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputException("--mauve-reference: no such file " + file);
    }
    if (file.toString().endsWith(".npy")) {
      double[][] q = Npy.read(file);
      if (q[0].length != features.dimension()) {
        throw new InvalidInputException("--mauve-reference: " + file + " has " + q[0].length + " features per "
            + "point, but the feature model gives " + features.dimension() + " (" + features.describe() + ")");
      }
      return new MauveReference(features, q, file.toString(), seed);
    }
    List<String> texts = new ArrayList<>();
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new InvalidInputException("--mauve-reference: cannot read " + file + ": " + e.getMessage(), e);
    }
    boolean jsonl = file.toString().endsWith(".jsonl");
    for (int i = 0; i < lines.size(); i++) {
      if (!lines.get(i).isBlank()) {
        texts.add(jsonl ? jsonText(file, i + 1, lines.get(i)) : lines.get(i));
      }
    }
    if (texts.isEmpty()) {
      throw new InvalidInputException("--mauve-reference: " + file + " holds no texts. Hint: one reference "
          + "text per line, or JSONL with \"text\" or \"completion\" fields");
    }
    return ofTexts(features, texts, file.toString(), seed);
  }

  /**
   * A .jsonl row's text: "completion" if present, else "text" (either may be empty: a model's continuation
   * can be; DataReader, made for training data, rejects empty fields).
   */
  private static String jsonText(Path file, int line, String json) {
    JsonNode j;
    try {
      j = MAPPER.readTree(json);
    } catch (IOException e) {
      throw new InvalidInputException("--mauve-reference: " + file + ":" + line + ": not valid JSON");
    }
    JsonNode t = j != null && j.has("completion") ? j.get("completion") : j == null ? null : j.get("text");
    if (t == null || !t.isTextual()) {
      throw new InvalidInputException("--mauve-reference: " + file + ":" + line + ": needs a string field "
          + "\"completion\" or \"text\"");
    }
    return t.asText();
  }

  /** MAUVE of {@code generations} (P) against the reference (Q). */
  public Mauve.Result score(List<String> generations) {
    if (generations.isEmpty()) {
      throw new InvalidInputException("MAUVE: no generations to score");
    }
    double[][] p = features.features(generations);
    int k = Mauve.defaultClusters(p.length, q.length);
    return Mauve.compute(p, q, Math.min(k, p.length + q.length), seed);
  }

  /** Reference points. */
  public int size() {
    return q.length;
  }

  public String source() {
    return source;
  }

  public String featuresDescription() {
    return features.describe();
  }
}
