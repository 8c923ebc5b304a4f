/*
 * One decode step with per-row isolation (docs/RELIABILITY.md "Per-request isolation"): StepEngine.step()
 * for every runnable row; if it throws, the rows whose state it left unchanged are stepped again one at a
 * time (the others paused), so a row whose forward or action choice fails (non-finite logits, say) fails
 * alone and the rest keep their actions. A row the failed step had already advanced cannot be retried
 * (its event was lost), so it fails too, and so does a row that takes no action when stepped alone (the
 * engine removed it as the one that failed). Retrying changes no output: an action depends only on the row's
 * state and (seed, action index), not on the batch (up to float rounding of a batched forward).
 */
package ai.seqmatch.serving;

import ai.seqmatch.serving.engine.Row;
import ai.seqmatch.serving.engine.StepEngine;
import ai.seqmatch.serving.engine.StepEvent;
import java.util.ArrayList;
import java.util.List;

/**
 * What one step produced.
 *
 * @param events the actions taken, in the engine's row order per attempt
 * @param failed the sessions whose row could not step, with why; their rows are still in the engine
 */
record StepOutcome(List<StepEvent> events, List<Failed> failed) {
  private static final System.Logger LOG = System.getLogger(StepOutcome.class.getName());

  /** A session whose row failed this step. */
  record Failed(Session session, RuntimeException cause) {}

  /** Steps every runnable row of {@code running}; scheduler thread only. */
  static StepOutcome run(StepEngine engine, List<Session> running) {
    List<Session> stepping = new ArrayList<>();
    List<Long> actionsBefore = new ArrayList<>();
    for (Session s : running) {
      Row r = s.row();
      if (r != null && r.finishReason() == null && !r.isPaused()) {
        stepping.add(s);
        actionsBefore.add(r.actions());
      }
    }
    try {
      return new StepOutcome(engine.step(), List.of());
    } catch (RuntimeException e) {
      return isolate(engine, stepping, actionsBefore, e);
    }
  }

  private static StepOutcome isolate(StepEngine engine, List<Session> stepping, List<Long> actionsBefore,
      RuntimeException first) {
    List<Failed> failed = new ArrayList<>();
    List<Session> retry = new ArrayList<>();
    for (int i = 0; i < stepping.size(); i++) {
      Row r = stepping.get(i).row();
      boolean untouched = r.actions() == actionsBefore.get(i) && r.finishReason() == null;
      if (untouched && stepping.size() > 1) {
        retry.add(stepping.get(i));
      } else { // advanced without its event, or alone in the step: nothing to isolate
        failed.add(new Failed(stepping.get(i), first));
      }
    }
    List<StepEvent> events = new ArrayList<>();
    if (!retry.isEmpty()) {
      LOG.log(System.Logger.Level.WARNING, "scheduler: a decode step of " + stepping.size() + " rows failed ("
          + Scheduler.describe(first) + "); stepping " + retry.size() + " of them one at a time");
    }
    for (Session s : retry) {
      engine.setPaused(s.row(), true);
    }
    try {
      for (Session s : retry) {
        engine.setPaused(s.row(), false);
        try {
          List<StepEvent> own = engine.step();
          events.addAll(own);
          if (own.stream().noneMatch(e -> e.row() == s.row())) { // the engine dropped the row that failed
            failed.add(new Failed(s, first));
          }
        } catch (RuntimeException e) {
          failed.add(new Failed(s, e));
        }
        engine.setPaused(s.row(), true);
      }
    } finally {
      for (Session s : retry) {
        engine.setPaused(s.row(), false);
      }
    }
    return new StepOutcome(events, failed);
  }
}
