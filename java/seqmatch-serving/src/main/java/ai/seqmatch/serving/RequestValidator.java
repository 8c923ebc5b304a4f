/*
 * GenerationSpec -> a checked PreparedRequest, or INVALID_ARGUMENT naming every bad field at once
 * ("invalid GenerateRequest: top_p must be in (0, 1] (got 1.5); ..."). One set of checks for every front
 * end: each names the fields in its own wire terms (Fields: gRPC max_new_tokens, OpenAI max_tokens).
 * Runs on a front end's handler thread (tokenization included), never on a Netty event loop or the
 * scheduler.
 */
package ai.seqmatch.serving;

import ai.seqmatch.serving.engine.EngineInfo;
import ai.seqmatch.serving.engine.RowParams;
import ai.seqmatch.tokenize.Tokenizer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

public final class RequestValidator {
  public static final int MAX_STOP_SEQUENCES = 16;
  public static final int MAX_STOP_SEQUENCE_CHARS = 256;
  public static final int MAX_STOP_TOKEN_IDS = 64;
  /**
   * Accepted sampling temperatures (unless greedy). Logits are divided by the temperature in float32:
   * outside this range they overflow to ±inf or flush to 0 for ordinary logit scales, and the sampling
   * distribution turns NaN; [1e-4, 1e4] already spans "argmax" to "uniform" for any trained model.
   */
  public static final double MIN_TEMPERATURE = 1e-4;
  public static final double MAX_TEMPERATURE = 1e4;

  /**
   * How a front end names the request and its fields in messages.
   *
   * @param request e.g. "GenerateRequest"
   * @param promptText, promptIds the prompt's fields (they may be the same name)
   * @param defaultMaxNewTokensHint how to ask for the default max_new_tokens, e.g. "0"
   */
  public record Fields(String request, String promptText, String promptIds, String maxNewTokens,
      String defaultMaxNewTokensHint, String maxActions, String temperature, String greedyHint, String topK,
      String topP, String stopSequences, String stopTokenIds) {
    /** The names of seqmatch.v1.GenerateRequest. */
    public static final Fields PROTO = new Fields("GenerateRequest", "prompt.text", "prompt.token_ids",
        "max_new_tokens", "0", "max_actions", "temperature", "set greedy", "top_k", "top_p", "stop_sequences",
        "stop_token_ids");
  }

  private final EngineInfo info;
  private final Tokenizer tokenizer; // may be null
  private final ServerLimits limits;
  private final SecureRandom seeds = new SecureRandom();

  public RequestValidator(EngineInfo info, Tokenizer tokenizer, ServerLimits limits) {
    this.info = info;
    this.tokenizer = tokenizer;
    this.limits = limits;
  }

  /** Checks {@code r} (field names per {@code f}); throws INVALID_ARGUMENT naming every bad field. */
  public PreparedRequest prepare(GenerationSpec r, Fields f) {
    List<String> problems = new ArrayList<>();
    long[] prompt = prompt(r, f, problems);
    long maxNew = r.maxNewTokens() == 0 ? limits.defaultMaxNewTokens() : r.maxNewTokens();
    if (maxNew < 1 || maxNew > limits.maxNewTokensLimit()) {
      problems.add(f.maxNewTokens() + " must be in 1.." + limits.maxNewTokensLimit() + " or "
          + f.defaultMaxNewTokensHint() + " for the default " + limits.defaultMaxNewTokens() + " (got "
          + r.maxNewTokens() + ")");
    }
    long maxActionsLimit = 4L * limits.maxNewTokensLimit();
    if (r.maxActions() < 0 || r.maxActions() > maxActionsLimit) {
      problems.add(f.maxActions() + " must be 0 (= 4 x " + f.maxNewTokens() + ") or in " + f.maxNewTokens() + ".."
          + maxActionsLimit + " (got " + r.maxActions() + ")");
    } else if (r.maxActions() != 0 && r.maxActions() < maxNew && maxNew >= 1) {
      problems.add(f.maxActions() + " must be 0 (= 4 x " + f.maxNewTokens() + ") or >= " + f.maxNewTokens() + " "
          + maxNew + (r.maxNewTokens() == 0 ? " (the default)" : "") + " (got " + r.maxActions()
          + "): every token is an action, so fewer could never reach " + f.maxNewTokens());
    }
    double temperature = r.temperature() != null ? r.temperature() : 1.0;
    if (!r.greedy() && !(temperature >= MIN_TEMPERATURE && temperature <= MAX_TEMPERATURE)) { // NaN fails too
      problems.add(f.temperature() + " must be in [1e-4, 1e4] (got " + temperature + "). Hint: " + f.greedyHint()
          + " for argmax");
    }
    if (r.topK() < 0) {
      problems.add(f.topK() + " must be >= 0 (got " + r.topK() + "; 0 = off)");
    }
    double topP = r.topP() != null ? r.topP() : 1.0;
    if (!(topP > 0 && topP <= 1)) {
      problems.add(f.topP() + " must be in (0, 1] (got " + topP + "; 1 = off)");
    }
    checkStops(r, f, problems);
    if (!problems.isEmpty()) {
      throw new ServingException(ServingException.Kind.INVALID_ARGUMENT, "invalid " + f.request() + ": "
          + String.join("; ", problems));
    }
    long seed = r.greedy() ? 0 : r.seed() != null ? r.seed() : seeds.nextLong();
    boolean allowBackspace = r.allowBackspace() == null || r.allowBackspace();
    RowParams params = new RowParams(maxNew, r.maxActions(), r.greedy(), temperature, r.topK(), topP,
        seed, r.stopTokenIds(), allowBackspace, r.greedy() || r.noRetype());
    return new PreparedRequest(prompt, params, r.stopSequences(), r.commitOnly());
  }

  private long[] prompt(GenerationSpec r, Fields f, List<String> problems) {
    long[] ids;
    if (r.promptText() != null) {
      if (tokenizer == null) {
        problems.add(f.promptText() + " needs a tokenizer and the served model has none. Hint: send "
            + f.promptIds());
        return null;
      }
      ids = tokenizer.encodePrompt(r.promptText()); // start token + text, as prompts were in training
      if (ids.length == 0 && info.bosTokenId() >= 0) {
        ids = new long[] {info.bosTokenId()}; // an empty text prompt starts from BOS
      }
      if (ids.length == 0) {
        problems.add(f.promptText() + " is empty and the model has no BOS token to start from (got \"\")");
        return null;
      }
    } else if (r.promptIds() != null) {
      ids = r.promptIds().clone();
      if (ids.length == 0) {
        problems.add(f.promptIds() + " is empty (got 0 ids, expected >= 1)");
        return null;
      }
      for (int i = 0; i < ids.length; i++) {
        if (ids[i] < 0 || ids[i] >= info.vocabSize()) {
          problems.add(f.promptIds() + "[" + i + "] is not a token id (got " + ids[i] + ", expected 0.."
              + (info.vocabSize() - 1) + ")");
          break;
        }
      }
    } else {
      problems.add("prompt is required: set " + f.promptText() + (f.promptIds().equals(f.promptText()) ? ""
          : " or " + f.promptIds()));
      return null;
    }
    long limit = Math.min(limits.maxPromptTokens(), info.nPositions() - 1);
    if (ids.length > limit) {
      problems.add("prompt is too long (got " + ids.length + " tokens, expected <= " + limit + ")");
    }
    return ids;
  }

  private void checkStops(GenerationSpec r, Fields f, List<String> problems) {
    List<String> stops = r.stopSequences();
    if (stops.size() > MAX_STOP_SEQUENCES) {
      problems.add(f.stopSequences() + " has too many entries (got " + stops.size() + ", expected <= "
          + MAX_STOP_SEQUENCES + ")");
    }
    if (!stops.isEmpty() && tokenizer == null) {
      problems.add(f.stopSequences() + " need a tokenizer and the served model has none. Hint: use "
          + f.stopTokenIds());
    }
    for (int i = 0; i < stops.size(); i++) {
      int n = stops.get(i).codePointCount(0, stops.get(i).length());
      if (n < 1 || n > MAX_STOP_SEQUENCE_CHARS) {
        problems.add(f.stopSequences() + "[" + i + "] must have 1.." + MAX_STOP_SEQUENCE_CHARS
            + " code points (got " + n + ")");
        break;
      }
    }
    long[] ids = r.stopTokenIds();
    if (ids.length > MAX_STOP_TOKEN_IDS) {
      problems.add(f.stopTokenIds() + " has too many entries (got " + ids.length + ", expected <= "
          + MAX_STOP_TOKEN_IDS + ")");
    }
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= info.vocabSize()) {
        problems.add(f.stopTokenIds() + "[" + i + "] is not a token id (got " + ids[i] + ", expected 0.."
            + (info.vocabSize() - 1) + ")");
        break;
      }
    }
  }
}
