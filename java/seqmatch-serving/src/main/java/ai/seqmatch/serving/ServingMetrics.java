/*
 * Counters and latency histograms of one ServingCore, rendered in the Prometheus text exposition format
 * (version 0.0.4) for GET /metrics. Sessions record on the scheduler thread; a scrape reads from any
 * thread (LongAdder / atomic arrays: no lock on the decode path). Times are server-side: time to first
 * action is from a request's arrival (queueing included) to its row's first action; the inter-action
 * latency is the gap between consecutive actions of one row (tokens and <bkspc> alike: each is one step).
 * tokens/s counts appended tokens (later deleted ones included) over the last RATE_WINDOW_SECONDS.
 */
package ai.seqmatch.serving;

import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

public final class ServingMetrics {
  static final int RATE_WINDOW_SECONDS = 10;
  private static final double[] TTFT_BOUNDS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  private static final double[] GAP_BOUNDS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

  private final LongAdder tokens = new LongAdder();
  private final LongAdder backspaces = new LongAdder();
  private final LongAdder finished = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final Histogram ttft = new Histogram(TTFT_BOUNDS);
  private final Histogram gaps = new Histogram(GAP_BOUNDS);
  // Appended tokens per second of the clock, a ring of RATE_WINDOW_SECONDS + 1 slots stamped with their second.
  private final AtomicLongArray perSecond = new AtomicLongArray(RATE_WINDOW_SECONDS + 1);
  private final AtomicLongArray stamp = new AtomicLongArray(RATE_WINDOW_SECONDS + 1);

  void firstAction(long nanosSinceArrival) {
    ttft.observe(nanosSinceArrival / 1e9);
  }

  void nextAction(long nanosSincePrevious) {
    gaps.observe(nanosSincePrevious / 1e9);
  }

  void token() {
    tokens.increment();
    long second = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime());
    int slot = (int) Math.floorMod(second, (long) perSecond.length());
    if (stamp.get(slot) != second) { // a new second takes the slot over (one writer: the scheduler thread)
      perSecond.set(slot, 0);
      stamp.set(slot, second);
    }
    perSecond.incrementAndGet(slot);
  }

  void backspace() {
    backspaces.increment();
  }

  void finished() {
    finished.increment();
  }

  void failed() {
    failed.increment();
  }

  /** Appended tokens over the last RATE_WINDOW_SECONDS whole seconds, per second. */
  public double tokensPerSecond() {
    long now = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime());
    long sum = 0;
    for (int i = 0; i < perSecond.length(); i++) {
      long s = stamp.get(i);
      if (s < now && s >= now - RATE_WINDOW_SECONDS) { // the current second is still filling: left out
        sum += perSecond.get(i);
      }
    }
    return sum / (double) RATE_WINDOW_SECONDS;
  }

  /** Every metric in Prometheus text format; the gauges of the moment are the caller's. */
  public String prometheus(int queued, int activeRows, int inFlight) {
    StringBuilder b = new StringBuilder(4096);
    gauge(b, "seqmatch_queue_length", "Requests waiting for a row.", queued);
    gauge(b, "seqmatch_active_rows", "Rows in the decode batch (paused ones included).", activeRows);
    gauge(b, "seqmatch_requests_in_flight", "Requests queued or running.", inFlight);
    gauge(b, "seqmatch_tokens_per_second", "Appended tokens per second over the last " + RATE_WINDOW_SECONDS
        + " s (deleted ones included).", tokensPerSecond());
    counter(b, "seqmatch_generated_tokens_total", "Appended tokens, deleted ones included.", tokens.sum());
    counter(b, "seqmatch_backspaces_total", "Tokens deleted by <bkspc> actions.", backspaces.sum());
    counter(b, "seqmatch_requests_finished_total", "Requests that finished with a result.", finished.sum());
    counter(b, "seqmatch_requests_failed_total", "Requests that failed (refusals at admission excluded).",
        failed.sum());
    ttft.render(b, "seqmatch_time_to_first_token_seconds",
        "From a request's arrival (queueing included) to its first action.");
    gaps.render(b, "seqmatch_inter_token_latency_seconds", "Gap between consecutive actions of one row.");
    return b.toString();
  }

  private static void gauge(StringBuilder b, String name, String help, double value) {
    b.append("# HELP ").append(name).append(' ').append(help).append('\n').append("# TYPE ").append(name)
        .append(" gauge\n").append(name).append(' ').append(number(value)).append('\n');
  }

  private static void counter(StringBuilder b, String name, String help, long value) {
    b.append("# HELP ").append(name).append(' ').append(help).append('\n').append("# TYPE ").append(name)
        .append(" counter\n").append(name).append(' ').append(value).append('\n');
  }

  private static String number(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%.6g", v);
  }

  /** A Prometheus histogram: cumulative buckets with upper bounds {@code le}, plus +Inf, sum and count. */
  private static final class Histogram {
    private final double[] bounds;
    private final AtomicLongArray counts; // per bucket (not cumulative); the last is +Inf
    private final DoubleAdder sum = new DoubleAdder();

    Histogram(double[] bounds) {
      this.bounds = bounds;
      this.counts = new AtomicLongArray(bounds.length + 1);
    }

    void observe(double seconds) {
      int i = 0;
      while (i < bounds.length && seconds > bounds[i]) {
        i++;
      }
      counts.incrementAndGet(i);
      sum.add(seconds);
    }

    void render(StringBuilder b, String name, String help) {
      b.append("# HELP ").append(name).append(' ').append(help).append('\n').append("# TYPE ").append(name)
          .append(" histogram\n");
      long cumulative = 0;
      for (int i = 0; i <= bounds.length; i++) {
        cumulative += counts.get(i);
        b.append(name).append("_bucket{le=\"").append(i < bounds.length ? number(bounds[i]) : "+Inf")
            .append("\"} ").append(cumulative).append('\n');
      }
      b.append(name).append("_sum ").append(String.format(Locale.ROOT, "%.6f", sum.sum())).append('\n');
      b.append(name).append("_count ").append(cumulative).append('\n');
    }
  }
}
