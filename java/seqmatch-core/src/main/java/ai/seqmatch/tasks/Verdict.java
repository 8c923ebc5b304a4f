/* The outcome of checking one generated completion against a task's exact validity rule. */
package ai.seqmatch.tasks;

import java.util.Objects;

/**
 * Whether a completion is correct, and why not.
 *
 * @param correct true if the completion is exactly right (or valid, for tasks with many right answers)
 * @param reason "ok", or a short phrase naming the first problem found
 */
public record Verdict(boolean correct, String reason) {
  private static final Verdict OK = new Verdict(true, "ok");

  public Verdict {
    Objects.requireNonNull(reason, "reason");
  }

  public static Verdict ok() {
    return OK;
  }

  public static Verdict wrong(String reason) {
    return new Verdict(false, reason);
  }
}
