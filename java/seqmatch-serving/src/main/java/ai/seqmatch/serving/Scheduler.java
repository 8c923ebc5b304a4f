/*
 * Continuous batching: one thread owns the StepEngine and loops { run posted commands (cancel, client
 * ready); admit waiting requests up to max_batch rows; take one decode step for every runnable row;
 * route its events to the sessions }. Requests join and leave the batch between steps, so a cancelled
 * or expired call frees its row before the next step. A request holds one of max_batch + max_queue places
 * from submit() until it leaves (finished, failed, cancelled): when all are taken, submit() refuses (the
 * front end answers RESOURCE_EXHAUSTED / 429) instead of queueing without bound. The places are counted
 * at submit(), not read off the queue, so a burst that arrives before the loop has admitted anything
 * still gets every free row (a bounded queue of max_queue alone refused the second of two simultaneous
 * requests to an idle server with max_batch 1). One scheduler per served model, shared by every front end (gRPC, HTTP); each hands it Sessions.
 * A stream whose client reads nothing keeps its row paused; after ServerLimits.stalledStreamMillis the
 * call fails with RESOURCE_EXHAUSTED and the row is freed, so stalled clients cannot hold every slot.
 * Model work never runs on Netty's event loops or a front end's handler threads.
 *
 * Failure isolation (docs/RELIABILITY.md): a failure in one row (the engine throws for it, its events
 * break the text stream, its call cannot be written) fails that call with INTERNAL and frees its row;
 * the others go on. A step that throws is retried row by row (StepOutcome). If the loop itself stops
 * (an Error, or MAX_FAILED_ITERATIONS failed iterations in a row) every queued and new request fails at
 * once with UNAVAILABLE and the listener is told, so health turns NOT_SERVING.
 */
package ai.seqmatch.serving;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.serving.ServingException.Kind;
import ai.seqmatch.serving.engine.StepEngine;
import ai.seqmatch.serving.engine.StepEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

public final class Scheduler implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(Scheduler.class.getName());
  /** Failed loop iterations in a row after which the engine is taken as broken and the loop stops. */
  public static final int MAX_FAILED_ITERATIONS = 8;

  private final StepEngine engine;
  private final int maxBatch;
  private final long stalledNanos; // 0 = off
  private final BlockingQueue<Session> waiting; // the admission queue; its bound is `places`
  private final int capacity; // max_batch + max_queue
  private final AtomicInteger places = new AtomicInteger(); // requests queued or running
  private final BlockingQueue<Runnable> commands = new LinkedBlockingQueue<>();
  private final List<Session> running = new ArrayList<>(); // scheduler thread only
  private final Thread thread;
  private final Consumer<Throwable> onFailure; // told once if the loop stops on its own
  private volatile boolean draining;
  private volatile boolean stopping;
  private volatile Throwable failure; // why the loop stopped on its own; null while it runs or after close()
  private volatile boolean terminated; // the loop has ended: nothing queued from now on is ever served
  private volatile int activeRows;

  public Scheduler(StepEngine engine, ServerLimits limits, Consumer<Throwable> onFailure) {
    this.engine = engine;
    this.maxBatch = limits.maxBatch();
    this.stalledNanos = TimeUnit.MILLISECONDS.toNanos(limits.stalledStreamMillis());
    this.capacity = limits.maxBatch() + limits.maxQueue();
    this.waiting = new LinkedBlockingQueue<>();
    this.onFailure = onFailure;
    this.thread = new Thread(this::loop, "seqmatch-scheduler");
    this.thread.setDaemon(true);
  }

  public void start() {
    thread.start();
  }

  /**
   * Queues a session; false when every place (max_batch + max_queue) is taken. Throws UNAVAILABLE while
   * draining or once stopped.
   */
  public boolean submit(Session s) {
    checkAccepting();
    int n;
    do {
      n = places.get();
      if (n >= capacity) {
        return false;
      }
    } while (!places.compareAndSet(n, n + 1));
    waiting.add(s);
    if (terminated && leaveQueue(s)) { // the loop ended after the check: nobody would serve it
      checkAccepting();
    }
    post(() -> { }); // wake the loop
    return true;
  }

  private void checkAccepting() {
    Throwable f = failure;
    if (f != null) {
      throw error(Kind.UNAVAILABLE, "generate: the server's scheduler stopped (" + describe(f)
          + "), health is NOT_SERVING. Hint: retry on another replica");
    }
    if (draining || terminated) {
      throw error(Kind.UNAVAILABLE, "server is shutting down. Hint: retry on another replica")
          ;
    }
  }

  /** Runs {@code r} on the scheduler thread before the next step. */
  public void post(Runnable r) {
    commands.add(r);
  }

  /** Called from the call's cancel handler (deadline, client cancel, disconnect): frees the row. */
  public void cancel(Session s) {
    s.cancelled = true;
    if (!leaveQueue(s)) {
      post(() -> remove(s));
    }
  }

  /** Called from the call's ready handler: write what the client can take now. */
  public void ready(Session s) {
    post(() -> flush(s));
  }

  /** Rows in the engine (paused ones included); for tests and metrics. */
  public int activeRows() {
    return activeRows;
  }

  /** Requests waiting for a row. */
  public int queued() {
    return waiting.size();
  }

  /** Requests queued or running (the places taken). */
  public int inFlight() {
    return places.get();
  }

  /** Removes {@code s} from the queue and frees its place; false if it was not queued. */
  private boolean leaveQueue(Session s) {
    if (!waiting.remove(s)) {
      return false;
    }
    places.decrementAndGet();
    return true;
  }

  /** The queue's head, its place freed (it is running, or gone), or null. */
  private Session pollQueue() {
    Session s = waiting.poll();
    if (s != null) {
      places.decrementAndGet();
    }
    return s;
  }

  /** Why the loop stopped on its own, or null while it serves (or after a normal close). */
  public Throwable failure() {
    return failure;
  }

  /** Whether new requests are refused (draining or stopped). */
  public boolean isDraining() {
    return draining || terminated;
  }

  /** Refuses new requests from now on (UNAVAILABLE); running and queued ones go on. */
  public void drain() {
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
    Throwable cause = null;
    int failedInARow = 0;
    try {
      while (!stopping) {
        try {
          iterate();
          failedInARow = 0;
        } catch (RuntimeException e) { // not a row's failure (those are handled inside): fail what runs
          failedInARow++;
          LOG.log(System.Logger.Level.ERROR, "scheduler: iteration failed (" + describe(e) + "), "
              + running.size() + " running calls failed");
          LOG.log(System.Logger.Level.DEBUG, "scheduler: the iteration's failure", e);
          failAll(error(Kind.INTERNAL, "generate: the server's scheduler failed (" + describe(e) + ")"));
          if (failedInARow >= MAX_FAILED_ITERATIONS) {
            throw new IllegalStateException(failedInARow + " scheduler iterations failed in a row, the last with "
                + describe(e), e);
          }
          Thread.sleep(10L << failedInARow); // back off: a passing glitch may clear, a broken engine won't
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable t) { // an Error, or the engine is broken: stop, and say so
      cause = t;
    } finally {
      if (cause != null) {
        LOG.log(System.Logger.Level.ERROR, "scheduler: stopped (" + describe(cause) + "); the server is "
            + "NOT_SERVING and every request fails with UNAVAILABLE", cause);
        tellFailure(cause); // health first: nobody sees a call refused, or failure(), while health says SERVING
        failure = cause; // from now on submit() refuses (a request queued meanwhile is failed below)
        failAll(error(Kind.INTERNAL, "generate: the server's scheduler stopped (" + describe(cause) + ")"));
      }
      terminated = true;
      ServingException down = cause != null
          ? error(Kind.UNAVAILABLE, "generate: the server's scheduler stopped (" + describe(cause)
              + "). Hint: retry on another replica")
          : error(Kind.UNAVAILABLE, "server stopped before the request finished");
      failAll(down);
      for (Session s; (s = pollQueue()) != null; ) {
        s.fail(down);
      }
      activeRows = 0;
    }
  }

  private void tellFailure(Throwable cause) {
    if (onFailure != null) {
      try {
        onFailure.accept(cause);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.ERROR, "scheduler: the failure listener failed (" + describe(e) + ")", e);
      }
    }
  }

  private void iterate() throws InterruptedException {
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
    if (engine.runnableRows() > 0) {
      step();
    }
    activeRows = engine.activeRows();
  }

  private void admit() {
    while (running.size() < maxBatch) {
      Session s = waiting.poll(); // its place moves from the queue to the batch, or is freed below
      if (s == null) {
        return;
      }
      if (s.cancelled) {
        places.decrementAndGet();
        continue;
      }
      try {
        s.started(engine.add(s.request().prompt(), s.request().params()));
        running.add(s);
      } catch (InvalidInputException e) {
        places.decrementAndGet();
        s.fail(error(Kind.INVALID_ARGUMENT, e.getMessage()));
      } catch (RuntimeException e) {
        places.decrementAndGet();
        LOG.log(System.Logger.Level.ERROR, "scheduler: prefill failed (" + describe(e) + ")");
        LOG.log(System.Logger.Level.DEBUG, "scheduler: the prefill's failure", e);
        s.fail(error(Kind.INTERNAL, "generate: prefill failed (" + describe(e) + ")"));
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
        s.fail(error(Kind.RESOURCE_EXHAUSTED, "stream stalled: the client read nothing for "
            + TimeUnit.NANOSECONDS.toMillis(stalledNanos) + " ms with its buffer full, so its row was freed. "
            + "Hint: read the stream, or raise the server's stalled-stream timeout"));
        remove(s);
      }
    }
  }

  /** One decode step; a step that throws is retried row by row, so only the failing rows' calls fail. */
  private void step() {
    StepOutcome outcome = StepOutcome.run(engine, running);
    for (StepOutcome.Failed f : outcome.failed()) {
      failRow(f.session(), error(Kind.INTERNAL, "generate: decode step failed (" + describe(f.cause())
          + ")"), f.cause());
    }
    List<Session> touched = new ArrayList<>();
    for (StepEvent e : outcome.events()) {
      Session s = sessionOf(e);
      if (s == null || s.isDone()) {
        continue;
      }
      try {
        if (s.onEvent(e, engine)) {
          engine.cancel(s.row()); // a stop sequence or a broken row: it leaves before the next step
        }
        touched.add(s);
      } catch (RuntimeException ex) {
        failRow(s, error(Kind.INTERNAL, "generate: decode step failed (" + describe(ex) + ")"), ex);
      }
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
    try {
      boolean pause = s.drain();
      if (s.isDone()) {
        remove(s);
      } else if (s.row() != null && s.row().finishReason() == null && s.row().isPaused() != pause) {
        engine.setPaused(s.row(), pause);
        s.pausedSinceNanos = pause ? Math.max(1, System.nanoTime()) : 0;
      }
    } catch (RuntimeException e) {
      failRow(s, error(Kind.INTERNAL, "generate: cannot write the response (" + describe(e) + ")"), e);
    }
  }

  /** Fails one call, frees its row and keeps serving everyone else. */
  private void failRow(Session s, ServingException status, Throwable cause) {
    LOG.log(System.Logger.Level.ERROR, "scheduler: request failed, its row freed, serving goes on ("
        + status.getMessage() + ")");
    LOG.log(System.Logger.Level.DEBUG, "scheduler: the request's failure", cause); // the trace, if asked for
    s.fail(status);
    remove(s);
  }

  private void failAll(ServingException status) {
    for (Session s : new ArrayList<>(running)) {
      s.fail(status);
      remove(s);
    }
  }

  /** Frees the row; a failing engine.cancel is logged (the row is forgotten either way). */
  private void remove(Session s) {
    if (running.remove(s)) {
      places.decrementAndGet();
    }
    if (s.row() != null) {
      try {
        engine.cancel(s.row());
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.ERROR, "scheduler: cannot free a row (" + describe(e) + ")", e);
      }
    }
  }

  private static ServingException error(Kind kind, String message) {
    return new ServingException(kind, message);
  }

  /** "Type: message" for logs and statuses (never a stack trace). */
  public static String describe(Throwable t) {
    String m = t.getMessage();
    return t.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m.strip().lines().findFirst()
        .orElse(""));
  }
}
