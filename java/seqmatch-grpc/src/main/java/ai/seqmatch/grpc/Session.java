/*
 * One Generate / GenerateStream call inside the scheduler: turns the row's StepEvents into proto events
 * (text edits in code points), applies stop_sequences and commit_only, and writes to the call with
 * flow control. Every method except cancelRequested() runs on the scheduler thread, so the observer has
 * a single writer. Flow control: events go out while the transport isReady(); otherwise they wait in a
 * per-stream buffer, and once it holds ServerLimits.streamBufferEvents events the row is paused (it keeps
 * its slot and takes no actions, so memory per stream stays bounded) until the client has read half of
 * them. A paused row's output does not change: each action's randomness depends only on (seed, index).
 */
package ai.seqmatch.grpc;

import ai.seqmatch.grpc.RequestValidator.Prepared;
import ai.seqmatch.grpc.engine.Row;
import ai.seqmatch.grpc.engine.StepEngine;
import ai.seqmatch.grpc.engine.StepEvent;
import ai.seqmatch.grpc.v1.BackspaceEvent;
import ai.seqmatch.grpc.v1.FinishReason;
import ai.seqmatch.grpc.v1.Finished;
import ai.seqmatch.grpc.v1.GenerateEvent;
import ai.seqmatch.grpc.v1.GenerateResponse;
import ai.seqmatch.grpc.v1.TokenEvent;
import ai.seqmatch.grpc.v1.Usage;
import ai.seqmatch.tokenize.Tokenizer;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

final class Session {
  private final Prepared request;
  private final Tokenizer tokenizer;
  private final ServerCallStreamObserver<GenerateEvent> stream; // null for unary
  private final ServerCallStreamObserver<GenerateResponse> unary; // null for streams
  private final int bufferLimit;
  private final boolean deferTokens; // commit_only while a token may still be deleted
  private final long arrivalNanos = System.nanoTime();
  private final TextStream text;
  private final Deque<GenerateEvent> buffer = new ArrayDeque<>();
  private long[] actions = new long[16];
  private int numActions;
  private long firstActionNanos;
  private Row row;
  long pausedSinceNanos; // when the row was paused for a full buffer; 0 while it runs (scheduler thread)
  private boolean finished; // the terminal event is queued (or the call failed)
  private boolean closed; // onCompleted/onError sent
  volatile boolean cancelled; // set by the call's cancel handler (any thread)

  private Session(Prepared request, Tokenizer tokenizer, ServerCallStreamObserver<GenerateEvent> stream,
      ServerCallStreamObserver<GenerateResponse> unary, int bufferLimit, boolean modelHasBackspace) {
    this.request = request;
    this.tokenizer = tokenizer;
    this.stream = stream;
    this.unary = unary;
    this.bufferLimit = bufferLimit;
    this.deferTokens = request.commitOnly() && modelHasBackspace && request.params().allowBackspace();
    this.text = new TextStream(tokenizer);
  }

  static Session streaming(Prepared r, Tokenizer t, ServerCallStreamObserver<GenerateEvent> o, int bufferLimit,
      boolean modelHasBackspace) {
    return new Session(r, t, o, null, bufferLimit, modelHasBackspace);
  }

  static Session unary(Prepared r, Tokenizer t, ServerCallStreamObserver<GenerateResponse> o,
      boolean modelHasBackspace) {
    return new Session(r, t, null, o, 1, modelHasBackspace);
  }

  Prepared request() {
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
    if (firstActionNanos == 0) {
      firstActionNanos = System.nanoTime();
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
      if (!deferTokens && stream != null) {
        emit(GenerateEvent.newBuilder().setBackspace(BackspaceEvent.newBuilder().setCount(1)
            .setDeleteChars(edit.deleteChars()).addDeletedIds(e.token())).build());
      }
    } else {
      int before = text.text().length();
      TextStream.Edit edit = text.push(e.token());
      if (!deferTokens && stream != null) {
        emit(tokenEvent(e.token(), edit));
      }
      stopHit = containsStop(before - edit.deleteChars());
    }
    FinishReason reason = e.finish() == null ? null : wire(e.finish());
    boolean stopNow = false;
    if (stopHit && (reason == null || reason != FinishReason.FINISH_REASON_EOS)) {
      stopNow = e.finish() == null; // the row is still in the engine: the caller removes it
      reason = FinishReason.FINISH_REASON_STOP;
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
    TextStream.Edit tail = text.finish();
    long[] generated = Arrays.copyOfRange(row.tokens(), row.promptLength(), row.tokens().length);
    long now = System.nanoTime();
    Usage usage = Usage.newBuilder().setPromptTokens(row.promptLength()).setGeneratedTokens(generated.length)
        .setBackspaces(row.backspaces()).setActions(numActions).setSeed(request.params().seed())
        .setTimeToFirstActionUs((firstActionNanos - arrivalNanos) / 1000)
        .setTotalTimeUs((now - arrivalNanos) / 1000).build();
    if (unary != null) {
      GenerateResponse.Builder r = GenerateResponse.newBuilder().setText(text.text()).setReason(reason)
          .setUsage(usage);
      Arrays.stream(request.prompt()).forEach(r::addPromptIds);
      Arrays.stream(generated).forEach(r::addGeneratedIds);
      Arrays.stream(actions, 0, numActions).forEach(r::addActions);
      unary.onNext(r.build());
      unary.onCompleted();
      closed = true;
      return;
    }
    if (deferTokens) { // commit_only: only now can no token be deleted any more
      TextStream replay = new TextStream(tokenizer);
      for (long id : generated) {
        emit(tokenEvent(id, replay.push(id)));
      }
    }
    Finished.Builder f = Finished.newBuilder().setReason(reason).setUsage(usage).setText(text.text())
        .setTail(tail.text());
    Arrays.stream(generated).forEach(f::addGeneratedIds);
    emit(GenerateEvent.newBuilder().setFinished(f).build());
  }

  private static GenerateEvent tokenEvent(long id, TextStream.Edit edit) {
    return GenerateEvent.newBuilder().setToken(TokenEvent.newBuilder().setId(id)
        .setDeleteChars(edit.deleteChars()).setText(edit.text())).build();
  }

  private void emit(GenerateEvent e) {
    buffer.add(e);
  }

  /**
   * Writes buffered events while the transport is ready, completes the call once the terminal event is
   * out, and returns whether the row should be paused (buffer full) or may run.
   */
  boolean drain() {
    if (stream == null || closed) {
      return false;
    }
    if (cancelled) {
      buffer.clear();
      return false;
    }
    while (!buffer.isEmpty() && stream.isReady()) {
      stream.onNext(buffer.poll());
    }
    if (finished && buffer.isEmpty()) {
      stream.onCompleted();
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

  /** Ends the call with an error (engine failure, shutdown); idempotent. */
  void fail(Status status) {
    finished = true;
    buffer.clear();
    if (closed || cancelled) {
      closed = true;
      return;
    }
    closed = true;
    try {
      if (stream != null) {
        stream.onError(status.asRuntimeException());
      } else {
        unary.onError(status.asRuntimeException());
      }
    } catch (RuntimeException e) { // the call went away meanwhile: nobody is left to tell
      System.getLogger(Session.class.getName()).log(System.Logger.Level.DEBUG, "cannot close a failed call", e);
    }
  }

  static FinishReason wire(ai.seqmatch.sample.FinishReason r) {
    return switch (r) {
      case EOS -> FinishReason.FINISH_REASON_EOS;
      case STOP -> FinishReason.FINISH_REASON_STOP;
      case MAX_NEW_TOKENS -> FinishReason.FINISH_REASON_MAX_NEW_TOKENS;
      case MAX_ACTIONS -> FinishReason.FINISH_REASON_MAX_ACTIONS;
      case LENGTH -> FinishReason.FINISH_REASON_LENGTH;
      case CANCELLED -> FinishReason.FINISH_REASON_UNSPECIFIED; // a cancelled call gets no terminal event
    };
  }
}
