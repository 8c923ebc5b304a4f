/*
 * The server's admission and request limits (SeqMatchServer.Builder sets them; GetModelInfo reports them).
 */
package ai.seqmatch.serving;

import java.util.ArrayList;
import java.util.List;

/**
 * Limits of one server.
 *
 * @param maxBatch rows decoded together per step
 * @param maxQueue requests that may wait for a row; more are RESOURCE_EXHAUSTED
 * @param maxPromptTokens longest prompt accepted (also below the model's n_positions)
 * @param maxNewTokensLimit largest max_new_tokens accepted
 * @param defaultMaxNewTokens max_new_tokens when a request leaves it 0
 * @param maxInboundMessageBytes largest request message
 * @param streamBufferEvents events a stream may hold for a slow client before its row is paused
 * @param stalledStreamMillis how long a row may stay paused because its client reads nothing before the call
 *     fails (RESOURCE_EXHAUSTED) and the row is freed; 0 = wait for the client's deadline
 */
public record ServerLimits(int maxBatch, int maxQueue, int maxPromptTokens, int maxNewTokensLimit,
    int defaultMaxNewTokens, int maxInboundMessageBytes, int streamBufferEvents, long stalledStreamMillis) {

  public static ServerLimits defaults() {
    return new ServerLimits(16, 64, 1024, 1024, 64, 1 << 20, 256, 60_000);
  }

  /**
   * Upper bounds that keep every size the server derives from a limit (engine buffers B·H·P·D, the
   * admission queue's array, 4 × max_new_tokens actions) far inside int range and allocatable.
   */
  static final int MAX_BATCH = 4096;
  static final int MAX_QUEUE = 1 << 20;
  static final int MAX_TOKENS = 1 << 20;
  static final int MAX_STREAM_BUFFER_EVENTS = 1 << 20;

  /** Throws IllegalArgumentException naming every bad limit. */
  public ServerLimits {
    List<String> problems = new ArrayList<>();
    check(problems, "max_batch", maxBatch, 1, MAX_BATCH);
    check(problems, "max_queue", maxQueue, 0, MAX_QUEUE);
    check(problems, "max_prompt_tokens", maxPromptTokens, 1, MAX_TOKENS);
    check(problems, "max_new_tokens_limit", maxNewTokensLimit, 1, MAX_TOKENS);
    check(problems, "default_max_new_tokens", defaultMaxNewTokens, 1, MAX_TOKENS);
    check(problems, "max_inbound_message_bytes", maxInboundMessageBytes, 1024, Integer.MAX_VALUE);
    check(problems, "stream_buffer_events", streamBufferEvents, 1, MAX_STREAM_BUFFER_EVENTS);
    if (stalledStreamMillis < 0) {
      problems.add("stalled_stream_millis must be >= 0 (got " + stalledStreamMillis + ")");
    }
    if (defaultMaxNewTokens > maxNewTokensLimit) {
      problems.add("default_max_new_tokens must be <= max_new_tokens_limit (got " + defaultMaxNewTokens + " > "
          + maxNewTokensLimit + ")");
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("invalid server limits: " + String.join("; ", problems));
    }
  }

  private static void check(List<String> problems, String name, int value, int min, int max) {
    if (value < min || value > max) {
      problems.add(name + " must be " + (max == Integer.MAX_VALUE ? ">= " + min : "in " + min + ".." + max) + " (got "
          + value + ")");
    }
  }

  public ServerLimits withMaxBatch(int n) {
    return new ServerLimits(n, maxQueue, maxPromptTokens, maxNewTokensLimit, defaultMaxNewTokens,
        maxInboundMessageBytes, streamBufferEvents, stalledStreamMillis);
  }

  public ServerLimits withMaxQueue(int n) {
    return new ServerLimits(maxBatch, n, maxPromptTokens, maxNewTokensLimit, defaultMaxNewTokens,
        maxInboundMessageBytes, streamBufferEvents, stalledStreamMillis);
  }

  public ServerLimits withMaxPromptTokens(int n) {
    return new ServerLimits(maxBatch, maxQueue, n, maxNewTokensLimit, defaultMaxNewTokens,
        maxInboundMessageBytes, streamBufferEvents, stalledStreamMillis);
  }

  public ServerLimits withMaxNewTokensLimit(int n) {
    return new ServerLimits(maxBatch, maxQueue, maxPromptTokens, n, Math.min(defaultMaxNewTokens, n),
        maxInboundMessageBytes, streamBufferEvents, stalledStreamMillis);
  }

  public ServerLimits withMaxInboundMessageBytes(int n) {
    return new ServerLimits(maxBatch, maxQueue, maxPromptTokens, maxNewTokensLimit, defaultMaxNewTokens, n,
        streamBufferEvents, stalledStreamMillis);
  }

  public ServerLimits withStreamBufferEvents(int n) {
    return new ServerLimits(maxBatch, maxQueue, maxPromptTokens, maxNewTokensLimit, defaultMaxNewTokens,
        maxInboundMessageBytes, n, stalledStreamMillis);
  }

  /** 0 turns the stalled-stream timeout off. */
  public ServerLimits withStalledStreamMillis(long millis) {
    return new ServerLimits(maxBatch, maxQueue, maxPromptTokens, maxNewTokensLimit, defaultMaxNewTokens,
        maxInboundMessageBytes, streamBufferEvents, millis);
  }
}
