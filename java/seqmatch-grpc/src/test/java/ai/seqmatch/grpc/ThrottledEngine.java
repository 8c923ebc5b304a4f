/* A StepEngine decorator that sleeps before each step, so tests can hold rows in flight for a while. */
package ai.seqmatch.grpc;

import ai.seqmatch.grpc.engine.EngineInfo;
import ai.seqmatch.grpc.engine.Row;
import ai.seqmatch.grpc.engine.RowParams;
import ai.seqmatch.grpc.engine.StepEngine;
import ai.seqmatch.grpc.engine.StepEvent;
import java.util.List;

final class ThrottledEngine implements StepEngine {
  private final StepEngine inner;
  volatile long stepDelayMillis;

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
    if (d > 0) {
      try {
        Thread.sleep(d);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
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
