/*
 * A constraint scorer from a user-supplied text classifier exported to ONNX: score(x) = softmax(logits)[c], the
 * probability of one named class (e.g. "positive" of a sentiment model), for distribution matching (objective
 * gdc++ / dpg, constraint scorer "onnx"). Contract of the model: input "input_ids" int64 [1, T] (and, when the
 * graph declares it, "attention_mask" int64 [1, T] of ones); first output the class logits, [1, C] or [C]. Texts
 * are encoded with the classifier's own tokenizer and cut to max_length tokens (the first ones). Tested by
 * OnnxClassifierScorerTest.
 */
package ai.seqmatch.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.seqmatch.InvalidInputException;
import ai.seqmatch.score.Scorer;
import ai.seqmatch.tokenize.ByteTokenizer;
import ai.seqmatch.tokenize.HfTokenizer;
import ai.seqmatch.tokenize.Tokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Probability of one class under an ONNX classifier; close() releases the session and the tokenizer. */
public final class OnnxClassifierScorer implements Scorer {
  private final OrtSession session;
  private final Tokenizer tokenizer;
  private final int classIndex;
  private final int numClasses; // -1 when no labels were given
  private final int maxLength;
  private final boolean attentionMask;

  private OnnxClassifierScorer(OrtSession session, Tokenizer tokenizer, int classIndex, int numClasses, int maxLength,
      boolean attentionMask) {
    this.session = session;
    this.tokenizer = tokenizer;
    this.classIndex = classIndex;
    this.numClasses = numClasses;
    this.maxLength = maxLength;
    this.attentionMask = attentionMask;
  }

  /**
   * A scorer from a "gdc.constraints" entry: {"scorer": "onnx", "model": "clf.onnx", "class": "positive",
   * "labels": ["negative", "positive"], "tokenizer": "tokenizer.json" | "byte", "max_length": 512}. Paths are
   * relative to {@code baseDir}. Without labels, "class" is the output index. Errors name the field:
   * "gdc.constraints[name].model: ...".
   *
   * @throws InvalidInputException for a missing file, an unknown class or a model without "input_ids"
   */
  public static OnnxClassifierScorer fromSpec(JsonNode spec, Path baseDir) {
    String at = "gdc.constraints[" + spec.path("name").asText() + "]";
    Path model = baseDir.resolve(spec.path("model").asText());
    if (!Files.isRegularFile(model)) {
      throw new InvalidInputException(at + ".model: no such file " + model);
    }
    List<String> labels = new ArrayList<>();
    spec.path("labels").forEach(l -> labels.add(l.asText()));
    String cls = spec.path("class").asText();
    int index = labels.indexOf(cls);
    if (labels.isEmpty()) {
      try {
        index = Integer.parseInt(cls);
      } catch (NumberFormatException e) {
        index = -1;
      }
    }
    if (index < 0) {
      throw new InvalidInputException(at + ".class: '" + cls + "' is not " + (labels.isEmpty()
          ? "an output index (give \"labels\" to name the classes)" : "one of the labels " + labels));
    }
    String tok = spec.path("tokenizer").asText("byte");
    Tokenizer tokenizer;
    if (tok.equals("byte")) {
      tokenizer = new ByteTokenizer();
    } else {
      Path file = baseDir.resolve(tok);
      if (!Files.isRegularFile(file)) {
        throw new InvalidInputException(at + ".tokenizer: no such file " + file + " (expected \"byte\" or a tokenizer.json)");
      }
      tokenizer = HfTokenizer.load(file);
    }
    int maxLength = spec.path("max_length").asInt(512);
    if (maxLength < 1) {
      throw new InvalidInputException(at + ".max_length: must be >= 1 (got " + maxLength + ")");
    }
    return create(model, index, labels.isEmpty() ? -1 : labels.size(), tokenizer, maxLength);
  }

  /**
   * A scorer of output {@code classIndex} of the classifier at {@code model}; {@code numClasses} (-1 = not
   * checked) must match its output. Takes ownership of {@code tokenizer}.
   */
  public static OnnxClassifierScorer create(Path model, int classIndex, int numClasses, Tokenizer tokenizer,
      int maxLength) {
    try {
      OrtSession s = OrtEnvironment.getEnvironment().createSession(model.toAbsolutePath().toString(),
          new OrtSession.SessionOptions());
      if (!s.getInputNames().contains("input_ids")) {
        List<String> names = new ArrayList<>(s.getInputNames());
        s.close();
        throw new InvalidInputException("onnx classifier " + model + ": no input named input_ids (inputs: " + names + ")");
      }
      return new OnnxClassifierScorer(s, tokenizer, classIndex, numClasses, maxLength,
          s.getInputNames().contains("attention_mask"));
    } catch (OrtException e) {
      throw new InvalidInputException("onnx classifier " + model + ": ONNX Runtime cannot load it (" + e.getMessage() + ")");
    }
  }

  @Override
  public double[] score(List<String> texts) {
    double[] out = new double[texts.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = scoreOne(texts.get(i));
    }
    return out;
  }

  private double scoreOne(String text) {
    long[] ids = tokenizer.encode(text);
    if (ids.length == 0) {
      // An empty sample still gets a score: the classifier sees its start token (or id 0) alone.
      ids = new long[] {Math.max(0, tokenizer.promptStartToken())};
    }
    ids = Arrays.copyOf(ids, Math.min(ids.length, maxLength));
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    long[] shape = {1, ids.length};
    Map<String, OnnxTensor> inputs = new HashMap<>();
    try {
      inputs.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
      if (attentionMask) {
        long[] ones = new long[ids.length];
        Arrays.fill(ones, 1);
        inputs.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(ones), shape));
      }
      try (OrtSession.Result r = session.run(inputs)) {
        Object v = r.get(0).getValue();
        float[] logits = v instanceof float[][] m ? m[0] : v instanceof float[] f ? f : null;
        if (logits == null || classIndex >= logits.length || (numClasses >= 0 && logits.length != numClasses)) {
          throw new InvalidInputException("onnx classifier: its first output must be float logits [1, C] with C = "
              + (numClasses >= 0 ? numClasses : "more than " + classIndex) + " (got " + describe(v) + ")");
        }
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
          max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
          sum += Math.exp(l - max);
        }
        return Math.exp(logits[classIndex] - max) / sum;
      }
    } catch (OrtException e) {
      throw new IllegalStateException("onnx classifier: run failed (" + e.getMessage() + ")", e);
    } finally {
      inputs.values().forEach(OnnxTensor::close);
    }
  }

  private static String describe(Object v) {
    if (v instanceof float[][] m) {
      return "float[" + m.length + "][" + (m.length > 0 ? m[0].length : 0) + "]";
    }
    return v instanceof float[] f ? "float[" + f.length + "]" : v.getClass().getSimpleName();
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    } finally {
      tokenizer.close();
    }
  }
}
