/*
 * One optimizer update as the native trainer reports it (the "train" object of trainer_step's JSON and
 * the kind "train" lines of <out_dir>/metrics.jsonl). Loss terms follow DESIGN.md §3; times in seconds.
 */
package ai.seqmatch.train;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Metrics of one update.
 *
 * @param step updates done after this one (1-based)
 * @param lr learning rate used
 * @param loss the optimised loss
 * @param bc behaviour cloning (MLE on augmented data) term
 * @param sm SequenceMatch loss (0 during BC warm-up and for other objectives)
 * @param smPhi the −E_D[w·φ(r)] term
 * @param smV the ½(E_D + E_M)[w·(V − V')] term
 * @param smR2 the c·½(E_D + E_M)[w·r²] term
 * @param meanR mean r over the batch
 * @param meanV mean V over the batch
 * @param emoDemd EMO's DEMD term (EMO only)
 * @param gradNorm gradient norm before clipping
 * @param dataRows data trajectories in the batch
 * @param modelRows replay-buffer trajectories in the batch
 * @param tokens data tokens in the batch
 * @param actions actions (tokens + backspaces) over all rows
 * @param backspaceRate share of actions that are {@code <bkspc>}
 * @param tForward forward time
 * @param tBackward backward time
 * @param tOptim optimizer time
 * @param tRollout replay-buffer rollout time (0 on steps without sampling)
 * @param tTotal the whole step
 * @param tokensPerS tokens / tTotal
 */
public record StepMetrics(long step, double lr, double loss, double bc, double sm, double smPhi, double smV,
    double smR2, double meanR, double meanV, double emoDemd, double gradNorm, long dataRows, long modelRows,
    long tokens, long actions, double backspaceRate, double tForward, double tBackward, double tOptim,
    double tRollout, double tTotal, double tokensPerS) {

  /** Parses a "train" object (missing numbers read as 0, JSON null as NaN). */
  public static StepMetrics fromJson(JsonNode j) {
    return new StepMetrics(j.path("step").asLong(), d(j, "lr"), d(j, "loss"), d(j, "bc"), d(j, "sm"),
        d(j, "sm_phi"), d(j, "sm_v"), d(j, "sm_r2"), d(j, "mean_r"), d(j, "mean_v"), d(j, "emo_demd"),
        d(j, "grad_norm"), j.path("data_rows").asLong(), j.path("model_rows").asLong(), j.path("tokens").asLong(),
        j.path("actions").asLong(), d(j, "backspace_rate"), d(j, "t_forward"), d(j, "t_backward"),
        d(j, "t_optim"), d(j, "t_rollout"), d(j, "t_total"), d(j, "tokens_per_s"));
  }

  static double d(JsonNode j, String field) {
    JsonNode v = j.path(field);
    return v.isNull() ? Double.NaN : v.asDouble(0);
  }
}
