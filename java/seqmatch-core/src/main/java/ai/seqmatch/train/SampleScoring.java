/*
 * The Java half of a distribution-matching step (objective gdc++ / dpg): before each native step it draws the
 * step's samples (api.h trainer_gdc_draw), decodes them with the run's tokenizer, scores the constraints the
 * native core cannot (onnx, external: a Scorer) and, for tokenizers other than the built-in byte one, hands
 * over the texts for the native word / regex scorers. The native step then trains on exactly these samples.
 * Tested by SampleScoringTest.
 */
package ai.seqmatch.train;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.NativeErrors;
import ai.seqmatch.nativ.SeqmatchNative;
import ai.seqmatch.score.Scorer;
import ai.seqmatch.tokenize.ByteTokenizer;
import ai.seqmatch.tokenize.Tokenizer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Scores one trainer's samples each step; holds (does not own) the scorers and the tokenizer. */
final class SampleScoring {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Tokenizer tokenizer;
  private final Map<String, Scorer> scorers; // constraint name -> scorer, for every non-native constraint
  private final boolean sendTexts;

  private SampleScoring(Tokenizer tokenizer, Map<String, Scorer> scorers, boolean sendTexts) {
    this.tokenizer = tokenizer;
    this.scorers = scorers;
    this.sendTexts = sendTexts;
  }

  /**
   * Checks that every onnx / external constraint of the trainer's config has a scorer and that no scorer
   * names an unknown or native constraint.
   *
   * @throws InvalidInputException naming the constraint
   */
  static SampleScoring create(SeqmatchNative.Trainer handle, Tokenizer tokenizer, Map<String, Scorer> scorers) {
    JsonNode constraints = parse(NativeErrors.call(() -> SeqmatchNative.trainer_gdc_constraints(handle)));
    Map<String, Scorer> needed = new LinkedHashMap<>();
    List<String> known = new ArrayList<>();
    for (JsonNode c : constraints) {
      String name = c.path("name").asText();
      String kind = c.path("scorer").asText();
      known.add(name);
      boolean nativeKind = kind.equals("word") || kind.equals("regex");
      if (nativeKind && scorers.containsKey(name)) {
        throw new InvalidInputException("gdc: constraint '" + name + "' is a " + kind
            + " constraint, scored natively: remove its Scorer");
      }
      if (!nativeKind) {
        Scorer s = scorers.get(name);
        if (s == null) {
          throw new InvalidInputException("gdc: constraint '" + name + "' (scorer " + kind + ") has no Scorer. Hint: "
              + (kind.equals("external") ? "register one with Trainer.setScorers" : "seqmatch train builds onnx ones"));
        }
        needed.put(name, s);
      }
    }
    for (String name : scorers.keySet()) {
      if (!known.contains(name)) {
        throw new InvalidInputException("gdc: a Scorer is registered for '" + name
            + "', which is not a constraint of this config (constraints: " + known + ")");
      }
    }
    return new SampleScoring(tokenizer, needed, !(tokenizer instanceof ByteTokenizer));
  }

  /** Draws the next step's samples and hands over their scores (and texts). */
  void prepare(SeqmatchNative.Trainer handle) {
    if (scorers.isEmpty() && !sendTexts) {
      return; // the native core scores everything itself
    }
    int n = Math.toIntExact(NativeErrors.callLong(() -> SeqmatchNative.trainer_gdc_draw(handle)));
    List<String> texts = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      final int row = i;
      long[] ids = new long[Math.toIntExact(NativeErrors.callLong(() -> SeqmatchNative.trainer_gdc_sample_size(handle, row)))];
      NativeErrors.run(() -> SeqmatchNative.trainer_gdc_sample(handle, row, ids));
      texts.add(tokenizer.decode(ids, true));
    }
    for (Map.Entry<String, Scorer> e : scorers.entrySet()) {
      double[] scores = e.getValue().score(texts);
      if (scores.length != n) {
        throw new IllegalStateException("gdc: Scorer for '" + e.getKey() + "' returned " + scores.length
            + " scores for " + n + " texts");
      }
      NativeErrors.run(() -> SeqmatchNative.trainer_gdc_set_scores(handle, e.getKey(), scores, scores.length));
    }
    if (sendTexts) {
      try {
        String json = JSON.writeValueAsString(texts);
        NativeErrors.run(() -> SeqmatchNative.trainer_gdc_set_texts(handle, json));
      } catch (JsonProcessingException ex) {
        throw new IllegalStateException(ex);
      }
    }
  }

  private static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("trainer: native returned invalid JSON: " + json, e);
    }
  }
}
