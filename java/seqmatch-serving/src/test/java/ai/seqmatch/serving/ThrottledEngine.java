/*
 * A StepEngine decorator that sleeps before each step, or holds every step until released, so tests can
 * keep rows in flight for as long as they need without racing the model (a row that finishes early would
 * make an "is it still running?" check flaky on a loaded machine). It also injects faults (Fault): a step
 * that throws while a poisoned row (prompt starting with POISON) is runnable, as an engine does for a row
 * with non-finite logits; an Error that stops the scheduler; an engine whose every call fails.
 */
package ai.seqmatch.serving;

import ai.seqmatch.serving.engine.EngineInfo;
import ai.seqmatch.serving.engine.Row;
import ai.seqmatch.serving.engine.RowParams;
import ai.seqmatch.serving.engine.StepEngine;
import ai.seqmatch.serving.engine.StepEvent;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

public class ThrottledEngine implements StepEngine {
  /** Rows whose prompt starts with this id are poisoned (Fault.POISONED_ROWS_THROW). */
  public static final long POISON = 0;

  /**
   * POISONED_ROWS_THROW: a step throws while a poisoned row is runnable, no row moved; POISONED_ROWS_REMOVED:
   * the same, but the engine first removes the poisoned row (as BatchStepEngine may); CRASH: an Error;
   * BROKEN: every step and runnableRows() throw.
   */
  public enum Fault { NONE, POISONED_ROWS_THROW, POISONED_ROWS_REMOVED, CRASH, BROKEN }

  /** An Error from the engine: the scheduler must stop (and say so), not go on. */
  public static final class SimulatedCrash extends Error {
    private static final long serialVersionUID = 1L;

    SimulatedCrash() {
      super("simulated engine crash");
    }
  }

  private final StepEngine inner;
  private final Set<Row> poisoned = ConcurrentHashMap.newKeySet();
  public volatile long stepDelayMillis;
  public volatile Fault fault = Fault.NONE;
  /** While set, steps take no action and return at once, so the scheduler keeps admitting rows. */
  public volatile boolean skipSteps;
  private volatile CountDownLatch gate; // non-null while steps are held

  /** Steps block from now on until {@link #release()} (or 30 s, so a broken test cannot hang the suite). */
  public void hold() {
    gate = new CountDownLatch(1);
  }

  public void release() {
    CountDownLatch g = gate;
    gate = null;
    if (g != null) {
      g.countDown();
    }
  }

  public ThrottledEngine(StepEngine inner) {
    this.inner = inner;
  }

  @Override
  public EngineInfo info() {
    return inner.info();
  }

  @Override
  public Row add(long[] prompt, RowParams params) {
    Row r = inner.add(prompt, params);
    if (prompt[0] == POISON) {
      poisoned.add(r);
    }
    return r;
  }

  @Override
  public List<StepEvent> step() {
    long d = stepDelayMillis;
    CountDownLatch g = gate;
    try {
      if (g != null) {
        g.await(30, TimeUnit.SECONDS);
      }
      if (d > 0) {
        Thread.sleep(d);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (skipSteps) {
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return List.of();
    }
    switch (fault) {
      case CRASH -> throw new SimulatedCrash();
      case BROKEN -> throw new IllegalStateException("simulated broken engine");
      case POISONED_ROWS_THROW, POISONED_ROWS_REMOVED -> { // before any row moves, as an engine that checks first
        for (Row r : poisoned) {
          if (!r.isPaused() && r.finishReason() == null) {
            if (fault == Fault.POISONED_ROWS_REMOVED) {
              cancel(r);
            }
            throw new ArithmeticException("simulated non-finite logits in row " + r.id());
          }
        }
      }
      default -> { }
    }
    return inner.step();
  }

  @Override
  public void cancel(Row row) {
    poisoned.remove(row);
    inner.cancel(row);
  }

  @Override
  public void setPaused(Row row, boolean paused) {
    inner.setPaused(row, paused);
  }

  @Override
  public int activeRows() {
    return inner.activeRows();
  }

  @Override
  public int runnableRows() {
    if (fault == Fault.BROKEN) {
      throw new IllegalStateException("simulated broken engine");
    }
    return inner.runnableRows();
  }

  @Override
  public void close() {
    inner.close();
  }
}
