/*
 * Progress of a long preparation: bytes read of the inputs' total, with rate and estimated time left,
 * one line at most every INTERVAL, so a small input prints nothing and a large one shows it is alive.
 * Tested by ProgressTest (with a fake clock).
 */
package ai.seqmatch.data;

import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/** Counts bytes and logs "prepare: 40% (80.0 of 200.0 MB), 12.5 MB/s, about 10 s left". */
final class Progress {
  static final long INTERVAL_NANOS = 5_000_000_000L;

  private final long total;
  private final Consumer<String> log;
  private final LongSupplier nanoClock;
  private final long start;
  private long done;
  private long lastLog;

  Progress(long totalBytes, Consumer<String> log, LongSupplier nanoClock) {
    this.total = Math.max(1, totalBytes);
    this.log = log;
    this.nanoClock = nanoClock;
    this.start = nanoClock.getAsLong();
    this.lastLog = start;
  }

  /** Progress that prints nothing. */
  static Progress silent() {
    return new Progress(1, line -> {}, () -> 0);
  }

  /** Records {@code bytes} more read; logs when INTERVAL has passed since the last line. */
  void advance(long bytes) {
    done += bytes;
    long now = nanoClock.getAsLong();
    if (now - lastLog < INTERVAL_NANOS) {
      return;
    }
    lastLog = now;
    double seconds = (now - start) / 1e9;
    double rate = done / seconds;
    double left = Math.max(0, total - done) / rate;
    log.accept(String.format(Locale.ROOT, "prepare: %d%% (%.1f of %.1f MB), %.1f MB/s, about %.0f s left",
        Math.min(100, 100 * done / total), done / 1e6, total / 1e6, rate / 1e6, left));
  }
}
