/*
 * One generation request inside the scheduler, whatever its front end: turns the row's StepEvents into
 * GenerationEvents (text edits in code points), applies stop sequences and commit-only, and writes to the
 * front end's GenerationSink with flow control. Every method except the cancelled flag runs on the
 * scheduler thread, so the sink has a single writer. Flow control: events go out while the sink isReady();
 * otherwise they wait in a per-stream buffer, and once it holds ServerLimits.streamBufferEvents events the
 * row is paused (it keeps its slot and takes no actions, so memory per stream stays bounded) until the
 * client has read half of them. A paused row's output does not change: each action's randomness depends
 * only on (seed, index). A non-streaming request gets only the Finished event.
 */
package ai.seqmatch.serving;

import ai.seqmatch.sample.FinishReason;
import ai.seqmatch.serving.engine.Row;
import ai.seqmatch.serving.engine.StepEngine;
import ai.seqmatch.serving.engine.StepEvent;
import ai.seqmatch.tokenize.Tokenizer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

public final class Session {
  private final PreparedRequest request;
  private final Tokenizer tokenizer;
  private final GenerationSink sink;
  private final boolean streaming;
  private final int bufferLimit;
  private final ServingMetrics metrics;
  private final boolean deferTokens; // commit-only while a token may still be deleted
  private final long arrivalNanos = System.nanoTime();
  private final TextStream text;
  private final Deque<GenerationEvent> buffer = new ArrayDeque<>();
  private long[] actions = new long[16];
  private int numActions;
  private long firstActionNanos;
  private long lastActionNanos;
  private Row row;
  long pausedSinceNanos; // when the row was paused for a full buffer; 0 while it runs (scheduler thread)
  private boolean finished; // the terminal event is queued (or the call failed)
  private boolean closed; // onCompleted/onError sent
  volatile boolean cancelled; // set by the front end's cancel (any thread)

  private Session(PreparedRequest request, Tokenizer tokenizer, GenerationSink sink, boolean streaming,
      int bufferLimit, boolean modelHasBackspace, ServingMetrics metrics) {
    this.request = request;
    this.metrics = metrics;
    this.tokenizer = tokenizer;
    this.sink = sink;
    this.streaming = streaming;
    this.bufferLimit = bufferLimit;
    this.deferTokens = request.commitOnly() && modelHasBackspace && request.params().allowBackspace();
    this.text = new TextStream(tokenizer, request.prompt());
  }

  /** A stream: every edit as it happens (or, commit-only, each token once it can no longer be deleted). */
  static Session streaming(PreparedRequest r, Tokenizer t, GenerationSink sink, int bufferLimit,
      boolean modelHasBackspace, ServingMetrics metrics) {
    return new Session(r, t, sink, true, bufferLimit, modelHasBackspace, metrics);
  }

  /** A single response: only the Finished event. */
  static Session unary(PreparedRequest r, Tokenizer t, GenerationSink sink, boolean modelHasBackspace,
      ServingMetrics metrics) {
    return new Session(r, t, sink, false, 1, modelHasBackspace, metrics);
  }

  PreparedRequest request() {
    return request;
  }

  Row row() {
    return row;
  }

  void started(Row row) {
    this.row = row;
  }

  boolean isDone() {
    return closed || cancelled;
  }

  /**
   * Handles one action of this session's row; returns true if the session asks the engine to stop it.
   * Throws IllegalStateException for an action that breaks the stream (a <bkspc> with nothing generated).
   */
  boolean onEvent(StepEvent e, StepEngine engine) {
    long now = System.nanoTime();
    if (firstActionNanos == 0) {
      firstActionNanos = now;
      metrics.firstAction(now - arrivalNanos);
    } else {
      metrics.nextAction(now - lastActionNanos);
    }
    lastActionNanos = now;
    if (e.backspace()) {
      metrics.backspace();
    } else {
      metrics.token();
    }
    if (numActions == actions.length) {
      actions = Arrays.copyOf(actions, numActions * 2);
    }
    actions[numActions++] = e.backspace() ? engine.info().bkspcTokenId() : e.token();
    boolean stopHit = false;
    if (e.backspace()) {
      TextStream.Edit edit = text.backspace();
      if (edit == null) { // the scheduler fails this row alone (Scheduler.step)
        throw new IllegalStateException("the engine chose <bkspc> with no generated token to delete (a masked "
            + "action: are the model's logits finite?)");
      }
      if (!deferTokens && streaming) {
        emit(new GenerationEvent.Backspace(1, edit.deleteChars(), e.token()));
      }
    } else {
      int before = text.text().length();
      TextStream.Edit edit = text.push(e.token());
      if (!deferTokens && streaming) {
        emit(new GenerationEvent.Token(e.token(), edit.deleteChars(), edit.text()));
      }
      stopHit = containsStop(before - edit.deleteChars());
    }
    FinishReason reason = e.finish();
    boolean stopNow = false;
    if (stopHit && reason != FinishReason.EOS) {
      stopNow = e.finish() == null; // the row is still in the engine: the caller removes it
      reason = FinishReason.STOP;
    }
    if (reason != null) {
      finish(reason);
    }
    return stopNow;
  }

  /** Whether the text from UTF-16 index {@code from} on (the last edit) completes a stop sequence. */
  private boolean containsStop(int from) {
    if (request.stopSequences().isEmpty()) {
      return false;
    }
    String t = text.text();
    for (String s : request.stopSequences()) {
      if (t.indexOf(s, Math.max(0, from - s.length() + 1)) >= 0) {
        return true;
      }
    }
    return false;
  }

  private void finish(FinishReason reason) {
    finished = true;
    metrics.finished();
    TextStream.Edit tail = text.finish();
    long[] generated = Arrays.copyOfRange(row.tokens(), row.promptLength(), row.tokens().length);
    long now = System.nanoTime();
    GenerationEvent.Usage usage = new GenerationEvent.Usage(row.promptLength(), generated.length, row.backspaces(),
        numActions, request.params().seed(), (firstActionNanos - arrivalNanos) / 1000, (now - arrivalNanos) / 1000);
    if (streaming && deferTokens) { // commit-only: only now can no token be deleted any more
      TextStream replay = new TextStream(tokenizer, request.prompt());
      for (long id : generated) {
        TextStream.Edit edit = replay.push(id);
        emit(new GenerationEvent.Token(id, edit.deleteChars(), edit.text()));
      }
    }
    emit(new GenerationEvent.Finished(reason, usage, text.text(), tail.text(), request.prompt().clone(), generated,
        Arrays.copyOf(actions, numActions)));
  }

  private void emit(GenerationEvent e) {
    buffer.add(e);
  }

  /**
   * Writes buffered events while the transport is ready, completes the call once the terminal event is
   * out, and returns whether the row should be paused (buffer full) or may run.
   */
  boolean drain() {
    if (closed) {
      return false;
    }
    if (cancelled) {
      buffer.clear();
      return false;
    }
    boolean wrote = false;
    while (!buffer.isEmpty() && (!streaming || sink.isReady())) { // a single response is never held back
      sink.onEvent(buffer.poll());
      wrote = true;
    }
    if (wrote) {
      sink.flush();
    }
    if (finished && buffer.isEmpty()) {
      sink.onCompleted();
      closed = true;
    }
    if (buffer.size() >= bufferLimit) {
      return true;
    }
    return row != null && row.isPaused() && buffer.size() > bufferLimit / 2;
  }

  boolean isFinished() {
    return finished;
  }

  /** Ends the request with an error (engine failure, shutdown); idempotent. */
  void fail(ServingException error) {
    finished = true;
    buffer.clear();
    if (closed || cancelled) {
      closed = true;
      return;
    }
    closed = true;
    metrics.failed();
    try {
      sink.onError(error);
    } catch (RuntimeException e) { // the call went away meanwhile: nobody is left to tell
      System.getLogger(Session.class.getName()).log(System.Logger.Level.DEBUG, "cannot close a failed call", e);
    }
  }
}
