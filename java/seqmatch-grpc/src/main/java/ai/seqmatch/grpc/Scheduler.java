/*
 * Continuous batching: one thread owns the StepEngine and loops { run posted commands (cancel, client
 * ready); admit waiting requests up to max_batch rows; take one decode step for every runnable row;
 * route its events to the sessions }. Requests join and leave the batch between steps, so a cancelled
 * or expired call frees its row before the next step. Waiting requests sit in a bounded queue: when it
 * is full, submit() refuses (the service answers RESOURCE_EXHAUSTED) instead of queueing without bound.
 * A stream whose client reads nothing keeps its row paused; after ServerLimits.stalledStreamMillis the
 * call fails with RESOURCE_EXHAUSTED and the row is freed, so stalled clients cannot hold every slot.
 * Model work never runs on Netty's event loop or gRPC's executor.
 */
package ai.seqmatch.grpc;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.grpc.engine.StepEngine;
import ai.seqmatch.grpc.engine.StepEvent;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

final class Scheduler implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(Scheduler.class.getName());

  private final StepEngine engine;
  private final int maxBatch;
  private final long stalledNanos; // 0 = off
  private final BlockingQueue<Session> waiting; // bounded: the admission queue
  private final BlockingQueue<Runnable> commands = new LinkedBlockingQueue<>();
  private final List<Session> running = new ArrayList<>(); // scheduler thread only
  private final Thread thread;
  private volatile boolean draining;
  private volatile boolean stopping;
  private volatile int activeRows;
  private volatile int inFlight;

  Scheduler(StepEngine engine, ServerLimits limits) {
    this.engine = engine;
    this.maxBatch = limits.maxBatch();
    this.stalledNanos = TimeUnit.MILLISECONDS.toNanos(limits.stalledStreamMillis());
    this.waiting = new ArrayBlockingQueue<>(Math.max(1, limits.maxQueue()));
    this.thread = new Thread(this::loop, "seqmatch-scheduler");
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** Queues a session; false when the queue is full. Throws UNAVAILABLE while draining. */
  boolean submit(Session s) {
    if (draining) {
      throw Status.UNAVAILABLE.withDescription("server is shutting down. Hint: retry on another replica")
          .asRuntimeException();
    }
    if (!waiting.offer(s)) {
      return false;
    }
    post(() -> { }); // wake the loop
    return true;
  }

  /** Runs {@code r} on the scheduler thread before the next step. */
  void post(Runnable r) {
    commands.add(r);
  }

  /** Called from the call's cancel handler (deadline, client cancel, disconnect): frees the row. */
  void cancel(Session s) {
    s.cancelled = true;
    if (!waiting.remove(s)) {
      post(() -> remove(s));
    }
  }

  /** Called from the call's ready handler: write what the client can take now. */
  void ready(Session s) {
    post(() -> flush(s));
  }

  /** Rows in the engine (paused ones included); for tests and metrics. */
  int activeRows() {
    return activeRows;
  }

  /** Requests queued or running. */
  int inFlight() {
    return inFlight + waiting.size();
  }

  /** Refuses new requests from now on (UNAVAILABLE); running and queued ones go on. */
  void drain() {
    draining = true;
  }

  /** Stops the loop; sessions still in flight fail with UNAVAILABLE. Waits up to 10 s for the thread. */
  @Override
  public void close() {
    draining = true;
    stopping = true;
    post(() -> { });
    try {
      thread.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void loop() {
    try {
      while (!stopping) {
        Runnable c = engine.runnableRows() > 0 || (!waiting.isEmpty() && running.size() < maxBatch)
            ? commands.poll() : commands.poll(50, TimeUnit.MILLISECONDS);
        while (c != null) {
          c.run();
          c = commands.poll();
        }
        failStalled();
        admit();
        // Published before the step too, which may take long: readers must see the rows just admitted.
        activeRows = engine.activeRows();
        inFlight = running.size();
        if (engine.runnableRows() > 0) {
          step();
        }
        activeRows = engine.activeRows();
        inFlight = running.size();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      Status down = Status.UNAVAILABLE.withDescription("server stopped before the request finished");
      for (Session s : running) {
        s.fail(down);
      }
      running.clear();
      for (Session s; (s = waiting.poll()) != null; ) {
        s.fail(down);
      }
      activeRows = 0;
      inFlight = 0;
    }
  }

  private void admit() {
    while (running.size() < maxBatch) {
      Session s = waiting.poll();
      if (s == null) {
        return;
      }
      if (s.cancelled) {
        continue;
      }
      try {
        s.started(engine.add(s.request().prompt(), s.request().params()));
        running.add(s);
      } catch (InvalidInputException e) {
        s.fail(Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.ERROR, "prefill failed", e);
        s.fail(Status.INTERNAL.withDescription("generate: prefill failed (" + e.getMessage() + ")"));
      }
    }
  }

  private void failStalled() {
    if (stalledNanos == 0) {
      return;
    }
    long now = System.nanoTime();
    for (Session s : new ArrayList<>(running)) {
      if (s.pausedSinceNanos != 0 && now - s.pausedSinceNanos > stalledNanos) {
        s.fail(Status.RESOURCE_EXHAUSTED.withDescription("stream stalled: the client read nothing for "
            + TimeUnit.NANOSECONDS.toMillis(stalledNanos) + " ms with its buffer full, so its row was freed. "
            + "Hint: read the stream, or raise the server's stalled-stream timeout"));
        remove(s);
      }
    }
  }

  private void step() {
    List<StepEvent> events;
    try {
      events = engine.step();
    } catch (RuntimeException e) {
      // The batch state is unknown after a failed forward: fail every running call, keep serving.
      LOG.log(System.Logger.Level.ERROR, "decode step failed", e);
      for (Session s : running) {
        engine.cancel(s.row());
        s.fail(Status.INTERNAL.withDescription("generate: decode step failed (" + e.getMessage() + ")"));
      }
      running.clear();
      return;
    }
    List<Session> touched = new ArrayList<>();
    for (StepEvent e : events) {
      Session s = sessionOf(e);
      if (s == null) {
        continue;
      }
      if (s.onEvent(e, engine)) {
        engine.cancel(s.row()); // a stop sequence: the row leaves before the next step
      }
      touched.add(s);
    }
    for (Session s : touched) {
      flush(s);
    }
  }

  private Session sessionOf(StepEvent e) {
    for (Session s : running) {
      if (s.row() == e.row()) {
        return s;
      }
    }
    return null;
  }

  /**
   * Writes what the client can take and pauses or resumes the row. A session stays in {@code running}
   * (holding one of max_batch places) until its call is closed, so a client that stops reading holds at
   * most one buffer of events and one row.
   */
  private void flush(Session s) {
    boolean pause = s.drain();
    if (s.isDone()) {
      remove(s);
    } else if (s.row() != null && s.row().finishReason() == null && s.row().isPaused() != pause) {
      engine.setPaused(s.row(), pause);
      s.pausedSinceNanos = pause ? Math.max(1, System.nanoTime()) : 0;
    }
  }

  private void remove(Session s) {
    if (s.row() != null) {
      engine.cancel(s.row());
    }
    running.remove(s);
  }
}
