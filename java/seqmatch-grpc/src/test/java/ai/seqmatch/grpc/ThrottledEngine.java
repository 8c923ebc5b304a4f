/*
 * A StepEngine decorator that sleeps before each step, or holds every step until released, so tests can
 * keep rows in flight for as long as they need without racing the model (a row that finishes early would
 * make an "is it still running?" check flaky on a loaded machine).
 */
package ai.seqmatch.grpc;

import ai.seqmatch.grpc.engine.EngineInfo;
import ai.seqmatch.grpc.engine.Row;
import ai.seqmatch.grpc.engine.RowParams;
import ai.seqmatch.grpc.engine.StepEngine;
import ai.seqmatch.grpc.engine.StepEvent;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

final class ThrottledEngine implements StepEngine {
  private final StepEngine inner;
  volatile long stepDelayMillis;
  private volatile CountDownLatch gate; // non-null while steps are held

  /** Steps block from now on until {@link #release()} (or 30 s, so a broken test cannot hang the suite). */
  void hold() {
    gate = new CountDownLatch(1);
  }

  void release() {
    CountDownLatch g = gate;
    gate = null;
    if (g != null) {
      g.countDown();
    }
  }

  ThrottledEngine(StepEngine inner) {
    this.inner = inner;
  }

  @Override
  public EngineInfo info() {
    return inner.info();
  }

  @Override
  public Row add(long[] prompt, RowParams params) {
    return inner.add(prompt, params);
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
    return inner.step();
  }

  @Override
  public void cancel(Row row) {
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
    return inner.runnableRows();
  }

  @Override
  public void close() {
    inner.close();
  }
}
