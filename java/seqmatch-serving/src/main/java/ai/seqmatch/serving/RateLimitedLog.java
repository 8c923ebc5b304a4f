/*
 * One log line per interval for an event that a client can repeat at will (a refused connection, a
 * malformed request): the first occurrence is logged at once, later ones within the interval are counted
 * and reported with the next line, so a flood cannot flood the log or slow the server down.
 */
package ai.seqmatch.serving;

import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

public final class RateLimitedLog {
  private final System.Logger log;
  private final System.Logger.Level level;
  private final long intervalNanos;
  private boolean logged;
  private long nextNanos;
  private long suppressed;

  public RateLimitedLog(Class<?> owner, System.Logger.Level level, long intervalMillis) {
    this.log = System.getLogger(owner.getName());
    this.level = level;
    this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMillis);
  }

  /** Logs {@code message} unless a line went out less than one interval ago (then only counts it). */
  public void log(Supplier<String> message) {
    String line;
    synchronized (this) {
      long now = System.nanoTime();
      if (logged && now - nextNanos < 0) {
        suppressed++;
        return;
      }
      line = message.get() + (suppressed == 0 ? "" : " (" + suppressed + " more like it not logged in the last "
          + TimeUnit.NANOSECONDS.toSeconds(intervalNanos) + " s)");
      logged = true;
      suppressed = 0;
      nextNanos = now + intervalNanos;
    }
    log.log(level, line);
  }
}
