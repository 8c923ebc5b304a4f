/*
 * GenerateRequest -> a checked Prepared request, or INVALID_ARGUMENT naming every bad field at once
 * ("invalid GenerateRequest: top_p must be in (0, 1] (got 1.5); ..."). Runs on a gRPC executor thread
 * (tokenization included), never on the Netty event loop or the scheduler.
 */
package ai.seqmatch.grpc;

import ai.seqmatch.grpc.engine.EngineInfo;
import ai.seqmatch.grpc.engine.RowParams;
import ai.seqmatch.grpc.v1.GenerateRequest;
import ai.seqmatch.tokenize.Tokenizer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

final class RequestValidator {
  static final int MAX_STOP_SEQUENCES = 16;
  static final int MAX_STOP_SEQUENCE_CHARS = 256;
  static final int MAX_STOP_TOKEN_IDS = 64;
  /**
   * Accepted sampling temperatures (unless greedy). Logits are divided by the temperature in float32:
   * outside this range they overflow to ±inf or flush to 0 for ordinary logit scales, and the sampling
   * distribution turns NaN; [1e-4, 1e4] already spans "argmax" to "uniform" for any trained model.
   */
  static final double MIN_TEMPERATURE = 1e-4;
  static final double MAX_TEMPERATURE = 1e4;

  /** A request ready for the scheduler. */
  record Prepared(long[] prompt, RowParams params, List<String> stopSequences, boolean commitOnly) {}

  private final EngineInfo info;
  private final Tokenizer tokenizer; // may be null
  private final ServerLimits limits;
  private final SecureRandom seeds = new SecureRandom();

  RequestValidator(EngineInfo info, Tokenizer tokenizer, ServerLimits limits) {
    this.info = info;
    this.tokenizer = tokenizer;
    this.limits = limits;
  }

  Prepared prepare(GenerateRequest r) throws StatusRuntimeException {
    List<String> problems = new ArrayList<>();
    long[] prompt = prompt(r, problems);
    int maxNew = r.getMaxNewTokens() == 0 ? limits.defaultMaxNewTokens() : r.getMaxNewTokens();
    if (maxNew < 1 || maxNew > limits.maxNewTokensLimit()) {
      problems.add("max_new_tokens must be in 1.." + limits.maxNewTokensLimit() + " or 0 for the default "
          + limits.defaultMaxNewTokens() + " (got " + r.getMaxNewTokens() + ")");
    }
    long maxActionsLimit = 4L * limits.maxNewTokensLimit();
    if (r.getMaxActions() < 0 || r.getMaxActions() > maxActionsLimit) {
      problems.add("max_actions must be 0 (= 4 x max_new_tokens) or in max_new_tokens.." + maxActionsLimit + " (got "
          + r.getMaxActions() + ")");
    } else if (r.getMaxActions() != 0 && r.getMaxActions() < maxNew && maxNew >= 1) {
      problems.add("max_actions must be 0 (= 4 x max_new_tokens) or >= max_new_tokens " + maxNew
          + (r.getMaxNewTokens() == 0 ? " (the default)" : "") + " (got " + r.getMaxActions()
          + "): every token is an action, so fewer could never reach max_new_tokens");
    }
    double temperature = r.hasTemperature() ? r.getTemperature() : 1.0;
    if (!r.getGreedy() && !(temperature >= MIN_TEMPERATURE && temperature <= MAX_TEMPERATURE)) { // NaN fails too
      problems.add("temperature must be in [1e-4, 1e4] (got " + temperature + "). Hint: set greedy for argmax");
    }
    if (r.getTopK() < 0) {
      problems.add("top_k must be >= 0 (got " + r.getTopK() + "; 0 = off)");
    }
    double topP = r.hasTopP() ? r.getTopP() : 1.0;
    if (!(topP > 0 && topP <= 1)) {
      problems.add("top_p must be in (0, 1] (got " + topP + "; 1 = off)");
    }
    checkStops(r, problems);
    if (!problems.isEmpty()) {
      throw Status.INVALID_ARGUMENT.withDescription("invalid GenerateRequest: " + String.join("; ", problems))
          .asRuntimeException();
    }
    long seed = r.getGreedy() ? 0 : r.hasSeed() ? r.getSeed() : seeds.nextLong();
    boolean allowBackspace = !r.hasAllowBackspace() || r.getAllowBackspace();
    long[] stopIds = r.getStopTokenIdsList().stream().mapToLong(Long::longValue).toArray();
    RowParams params = new RowParams(maxNew, r.getMaxActions(), r.getGreedy(), temperature, r.getTopK(), topP,
        seed, stopIds, allowBackspace, r.getGreedy() || r.getNoRetype());
    return new Prepared(prompt, params, List.copyOf(r.getStopSequencesList()), r.getCommitOnly());
  }

  private long[] prompt(GenerateRequest r, List<String> problems) {
    long[] ids;
    switch (r.getPromptCase()) {
      case TEXT -> {
        if (tokenizer == null) {
          problems.add("prompt.text needs a tokenizer and the served model has none. Hint: send prompt.token_ids");
          return null;
        }
        ids = tokenizer.encodePrompt(r.getText()); // start token + text, as prompts were in training
        if (ids.length == 0 && info.bosTokenId() >= 0) {
          ids = new long[] {info.bosTokenId()}; // an empty text prompt starts from BOS
        }
        if (ids.length == 0) {
          problems.add("prompt.text is empty and the model has no BOS token to start from (got \"\")");
          return null;
        }
      }
      case TOKEN_IDS -> {
        ids = r.getTokenIds().getIdsList().stream().mapToLong(Long::longValue).toArray();
        if (ids.length == 0) {
          problems.add("prompt.token_ids is empty (got 0 ids, expected >= 1)");
          return null;
        }
        for (int i = 0; i < ids.length; i++) {
          if (ids[i] < 0 || ids[i] >= info.vocabSize()) {
            problems.add("prompt.token_ids[" + i + "] is not a token id (got " + ids[i] + ", expected 0.."
                + (info.vocabSize() - 1) + ")");
            break;
          }
        }
      }
      default -> {
        problems.add("prompt is required: set prompt.text or prompt.token_ids");
        return null;
      }
    }
    long limit = Math.min(limits.maxPromptTokens(), info.nPositions() - 1);
    if (ids.length > limit) {
      problems.add("prompt is too long (got " + ids.length + " tokens, expected <= " + limit + ")");
    }
    return ids;
  }

  private void checkStops(GenerateRequest r, List<String> problems) {
    List<String> stops = r.getStopSequencesList();
    if (stops.size() > MAX_STOP_SEQUENCES) {
      problems.add("stop_sequences has too many entries (got " + stops.size() + ", expected <= "
          + MAX_STOP_SEQUENCES + ")");
    }
    if (!stops.isEmpty() && tokenizer == null) {
      problems.add("stop_sequences need a tokenizer and the served model has none. Hint: use stop_token_ids");
    }
    for (int i = 0; i < stops.size(); i++) {
      int n = stops.get(i).codePointCount(0, stops.get(i).length());
      if (n < 1 || n > MAX_STOP_SEQUENCE_CHARS) {
        problems.add("stop_sequences[" + i + "] must have 1.." + MAX_STOP_SEQUENCE_CHARS + " code points (got "
            + n + ")");
        break;
      }
    }
    List<Long> ids = r.getStopTokenIdsList();
    if (ids.size() > MAX_STOP_TOKEN_IDS) {
      problems.add("stop_token_ids has too many entries (got " + ids.size() + ", expected <= "
          + MAX_STOP_TOKEN_IDS + ")");
    }
    for (int i = 0; i < ids.size(); i++) {
      if (ids.get(i) < 0 || ids.get(i) >= info.vocabSize()) {
        problems.add("stop_token_ids[" + i + "] is not a token id (got " + ids.get(i) + ", expected 0.."
            + (info.vocabSize() - 1) + ")");
        break;
      }
    }
  }
}
