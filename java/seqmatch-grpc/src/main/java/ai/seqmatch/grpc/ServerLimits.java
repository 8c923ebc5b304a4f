/*
 * The server's admission and request limits (SeqMatchServer.Builder sets them; GetModelInfo reports them).
 */
package ai.seqmatch.grpc;

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

  /** Throws IllegalArgumentException naming every bad limit. */
  public ServerLimits {
    List<String> problems = new ArrayList<>();
    check(problems, "max_batch", maxBatch, 1);
    check(problems, "max_queue", maxQueue, 0);
    check(problems, "max_prompt_tokens", maxPromptTokens, 1);
    check(problems, "max_new_tokens_limit", maxNewTokensLimit, 1);
    check(problems, "default_max_new_tokens", defaultMaxNewTokens, 1);
    check(problems, "max_inbound_message_bytes", maxInboundMessageBytes, 1024);
    check(problems, "stream_buffer_events", streamBufferEvents, 1);
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

  private static void check(List<String> problems, String name, int value, int min) {
    if (value < min) {
      problems.add(name + " must be >= " + min + " (got " + value + ")");
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
