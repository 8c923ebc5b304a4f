/*
 * Polling for the serving tests (serving, gRPC, HTTP): the scheduler publishes its counts from its own
 * thread, so a test waits for the state it expects instead of sleeping a fixed time.
 */
package ai.seqmatch.serving;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

public final class TestWait {
  private TestWait() {}

  /** Polls {@code condition} every 10 ms for at most 30 s (generous: CI machines may be loaded). */
  public static boolean waitFor(BooleanSupplier condition) {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < end) {
      if (condition.getAsBoolean()) {
        return true;
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return condition.getAsBoolean();
  }
}
