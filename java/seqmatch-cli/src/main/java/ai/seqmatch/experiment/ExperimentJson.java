/*
 * JSON forms of experiment results for the commands' --json output.
 */
package ai.seqmatch.experiment;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** Static JSON builders. */
public final class ExperimentJson {
  private ExperimentJson() {}

  /** One object per run: method, eta, noise, metrics, paths. */
  public static ArrayNode runs(List<RunResult> runs) {
    ArrayNode a = JsonNodeFactory.instance.arrayNode();
    for (RunResult r : runs) {
      ObjectNode j = a.addObject();
      j.put("method", r.spec().method().label()).put("eta", r.spec().eta())
          .put("noise", r.spec().eta() == 0 ? null : r.spec().noise().wireName()).put("seed", r.spec().seed())
          .put("variant", r.spec().variant().describe());
      number(j, "accuracy", r.accuracy());
      number(j, "accuracy_low", r.report().metric("accuracy_low"));
      number(j, "accuracy_high", r.report().metric("accuracy_high"));
      number(j, "sampled_accuracy", r.sampledAccuracy().estimate());
      number(j, "sampled_accuracy_low", r.sampledAccuracy().low());
      number(j, "sampled_accuracy_high", r.sampledAccuracy().high());
      number(j, "validation_accuracy", r.validationAccuracy());
      number(j, "backspace_rate", r.report().metric("backspace_rate"));
      number(j, "actions_per_token", r.report().metric("actions_per_token"));
      number(j, "val_loss", r.valLoss());
      ObjectNode finish = j.putObject("finish_reasons");
      r.report().counts().forEach((k, v) -> {
        if (k.startsWith("finish_")) {
          finish.put(k.substring("finish_".length()), v);
        }
      });
      j.put("train_seconds", r.trainSeconds()).put("out_dir", r.outDir().toString())
          .put("final_model", r.finalModel().toString());
    }
    return a;
  }

  static void number(ObjectNode j, String field, double v) {
    if (Double.isFinite(v)) {
      j.put(field, v);
    } else {
      j.putNull(field);
    }
  }
}
