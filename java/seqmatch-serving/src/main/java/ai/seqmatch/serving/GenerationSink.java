/*
 * A front end's side of one request: where a Session writes its events. Called only from the scheduler
 * thread (a single writer). isReady() is the transport's flow control: while it is false, events wait in
 * the session's bounded buffer and the row is paused once that fills (Session). A front end whose client
 * goes away calls Scheduler.cancel(session), which frees the row before the next step.
 */
package ai.seqmatch.serving;

public interface GenerationSink {
  /** Whether the transport can take an event now without buffering without bound. */
  boolean isReady();

  /** One event; a non-streaming request gets only the Finished one. */
  void onEvent(GenerationEvent event);

  /**
   * After the events of one drain: a transport that buffers writes sends them now (one flush per step
   * and stream rather than one per event).
   */
  default void flush() {}

  /** After the Finished event: the request is complete. */
  void onCompleted();

  /** The request failed (no Finished event follows); called at most once, never after onCompleted. */
  void onError(ServingException error);
}
