/*
 * One served model: its StepEngine, tokenizer, limits, request checks and the one Scheduler that decodes
 * for every front end. gRPC (SeqMatchServer) and HTTP (HttpServer) are thin adapters over a core: they
 * parse their wire format into a GenerationSpec, prepare() it, and submit a Session whose GenerationSink
 * writes their wire format. So the limits, the admission queue, continuous batching and the metrics are
 * shared: a request over HTTP and one over gRPC sit in the same batch.
 * Lifecycle: start() once (idempotent), drain() refuses new requests, close() stops the scheduler; the
 * engine and tokenizer stay the caller's to close, after the core.
 */
package ai.seqmatch.serving;

import ai.seqmatch.serving.engine.EngineInfo;
import ai.seqmatch.serving.engine.StepEngine;
import ai.seqmatch.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

public final class ServingCore implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ServingCore.class.getName());

  private final StepEngine engine;
  private final Tokenizer tokenizer;
  private final ServerLimits limits;
  private final RequestValidator validator;
  private final ServingMetrics metrics;
  private final Scheduler scheduler;
  private final List<Consumer<Throwable>> failureListeners = new CopyOnWriteArrayList<>();
  private boolean started;

  private ServingCore(StepEngine engine, Tokenizer tokenizer, ServerLimits limits) {
    this.engine = engine;
    this.tokenizer = tokenizer;
    this.limits = limits;
    this.validator = new RequestValidator(engine.info(), tokenizer, limits);
    this.metrics = new ServingMetrics();
    this.scheduler = new Scheduler(engine, limits, this::tellFailure);
  }

  /**
   * A core over {@code engine} ({@code tokenizer} may be null: token ids only). Throws
   * IllegalArgumentException naming every problem (limits that do not fit the model, say).
   */
  public static ServingCore create(StepEngine engine, Tokenizer tokenizer, ServerLimits limits) {
    List<String> problems = problems(engine, tokenizer, limits);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("invalid serving core: " + String.join("; ", problems));
    }
    return new ServingCore(engine, tokenizer, limits);
  }

  /** What is wrong with serving {@code engine} under {@code limits}; empty if nothing. */
  public static List<String> problems(StepEngine engine, Tokenizer tokenizer, ServerLimits limits) {
    List<String> problems = new ArrayList<>();
    if (engine == null) {
      problems.add("engine is required");
    }
    if (limits == null) {
      problems.add("limits must not be null");
    }
    if (tokenizer != null && engine != null && tokenizer.vocabSize() > engine.info().vocabSize()) {
      problems.add("tokenizer has more ids than the model's vocabulary (got " + tokenizer.vocabSize() + " > "
          + engine.info().vocabSize() + ")");
    }
    if (engine != null && limits != null) {
      // An engine holds per-layer batch tensors of B x n_positions x n_embd floats (the ONNX engine's past
      // keys/values): they must fit one Java array, or the first full batch fails with a negative size.
      long perLayer = (long) limits.maxBatch() * engine.info().nPositions() * engine.info().nEmbd();
      if (perLayer > Integer.MAX_VALUE - 8) {
        long fits = (Integer.MAX_VALUE - 8) / Math.max(1, engine.info().nPositions() * engine.info().nEmbd());
        problems.add("max_batch " + limits.maxBatch() + " x n_positions " + engine.info().nPositions()
            + " x n_embd " + engine.info().nEmbd() + " = " + perLayer + " floats per layer exceeds a Java array "
            + "(2^31 - 1); " + (fits > 0 ? "lower max_batch to at most " + fits : "not even one row fits"));
      }
    }
    return problems;
  }

  /** Starts the scheduler (once; later calls do nothing). */
  public synchronized ServingCore start() {
    if (!started) {
      started = true;
      scheduler.start();
    }
    return this;
  }

  public EngineInfo info() {
    return engine.info();
  }

  /** The tokenizer, or null when the model has none (token-id prompts only). */
  public Tokenizer tokenizer() {
    return tokenizer;
  }

  public ServerLimits limits() {
    return limits;
  }

  public Scheduler scheduler() {
    return scheduler;
  }

  public ServingMetrics metrics() {
    return metrics;
  }

  /** Checks a request; throws INVALID_ARGUMENT naming every bad field in the front end's terms. */
  public PreparedRequest prepare(GenerationSpec spec, RequestValidator.Fields fields) {
    return validator.prepare(spec, fields);
  }

  /**
   * Queues {@code s}; throws RESOURCE_EXHAUSTED when the queue is full, UNAVAILABLE while draining or once
   * the scheduler stopped. The front end must call {@code scheduler().cancel(s)} when its client goes.
   */
  public void submit(Session s) {
    if (!scheduler.submit(s)) {
      throw new ServingException(ServingException.Kind.RESOURCE_EXHAUSTED, "generate: server busy ("
          + limits.maxBatch() + " rows running and " + limits.maxQueue() + " requests queued). Hint: retry with "
          + "backoff");
    }
  }

  /** A streaming session for {@code r} writing to {@code sink}. */
  public Session streamingSession(PreparedRequest r, GenerationSink sink) {
    return Session.streaming(r, tokenizer, sink, limits.streamBufferEvents(), engine.info().hasBackspace(), metrics);
  }

  /** A session for {@code r} that gets only the Finished event. */
  public Session unarySession(PreparedRequest r, GenerationSink sink) {
    return Session.unary(r, tokenizer, sink, engine.info().hasBackspace(), metrics);
  }

  /**
   * Told (on the scheduler thread, once) if the scheduler stops on its own; every front end registers
   * here to turn its health to NOT_SERVING.
   */
  public void addFailureListener(Consumer<Throwable> listener) {
    failureListeners.add(listener);
  }

  /** The metrics with the scheduler's gauges of this moment, in Prometheus text format. */
  public String prometheus() {
    return metrics.prometheus(scheduler.queued(), scheduler.activeRows(), scheduler.inFlight());
  }

  /** Why the scheduler stopped on its own, or null while it serves. */
  public Throwable failure() {
    return scheduler.failure();
  }

  /** Whether the core serves: not draining, and its scheduler has not stopped. */
  public boolean isServing() {
    return !scheduler.isDraining() && scheduler.failure() == null;
  }

  /** Refuses new requests from now on (UNAVAILABLE); running and queued ones go on. */
  public void drain() {
    scheduler.drain();
  }

  /** Stops the scheduler; requests in flight fail with UNAVAILABLE. */
  @Override
  public void close() {
    scheduler.close();
  }

  private void tellFailure(Throwable cause) {
    for (Consumer<Throwable> l : failureListeners) {
      try {
        l.accept(cause);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.ERROR, "serving: a failure listener failed (" + Scheduler.describe(e) + ")", e);
      }
    }
  }
}
