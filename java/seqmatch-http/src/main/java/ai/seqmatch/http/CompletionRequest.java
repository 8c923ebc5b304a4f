/*
 * An OpenAI completions / chat-completions request body -> the serving core's GenerationSpec plus the
 * HTTP-only options (stream, usage chunk, backspace events). Types are checked here (400 naming the field);
 * ranges and limits are the core's RequestValidator's, with OpenAI's field names (FIELDS, CHAT_FIELDS).
 * OpenAI's temperature 0 means argmax: it maps to greedy decoding (with the no-retype rule). Fields that
 * OpenAI clients send by default and that change nothing here (user, logprobs null, ...) are ignored; an
 * option this server does not implement, set to anything but its neutral value, is a 400 naming it
 * (UNSUPPORTED), rather than silently ignored.
 * SeqMatch's own options go in a "seqmatch" object: backspace_events, allow_backspace, top_k, max_actions,
 * no_retype, stop_token_ids.
 */
package ai.seqmatch.http;

import ai.seqmatch.serving.GenerationSpec;
import ai.seqmatch.serving.RequestValidator;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A parsed request.
 *
 * @param messages the chat messages (role, content) for chat completions, null for completions
 * @param stream answer with Server-Sent Events
 * @param includeUsage stream_options.include_usage: a last chunk with usage
 * @param backspaceEvents seqmatch.backspace_events: stream every edit, deletions as "backspace" chunks
 */
record CompletionRequest(GenerationSpec spec, List<ChatTemplate.Message> messages, String model, boolean stream,
    boolean includeUsage, boolean backspaceEvents) {
  static final RequestValidator.Fields FIELDS = new RequestValidator.Fields("request", "prompt", "prompt",
      "max_tokens", "null", "seqmatch.max_actions", "temperature", "use temperature 0", "seqmatch.top_k", "top_p",
      "stop", "seqmatch.stop_token_ids");
  static final RequestValidator.Fields CHAT_FIELDS = new RequestValidator.Fields("request", "messages", "messages",
      "max_tokens", "null", "seqmatch.max_actions", "temperature", "use temperature 0", "seqmatch.top_k", "top_p",
      "stop", "seqmatch.stop_token_ids");

  /** OpenAI options not implemented here, with the values (as JSON) that mean "off". */
  private static final Map<String, Set<String>> UNSUPPORTED = Map.of(
      "best_of", Set.of("1"),
      "echo", Set.of("false"),
      "logprobs", Set.of("false", "0"),
      "top_logprobs", Set.of("0"),
      "suffix", Set.of(),
      "frequency_penalty", Set.of("0", "0.0"),
      "presence_penalty", Set.of("0", "0.0"),
      "logit_bias", Set.of("{}"),
      "tools", Set.of("[]"),
      "response_format", Set.of("{\"type\":\"text\"}"));

  /** Parses a /v1/completions ({@code chat} false) or /v1/chat/completions body; throws HttpError (400). */
  static CompletionRequest parse(JsonNode body, boolean chat) {
    if (body == null || !body.isObject()) {
      throw HttpError.badRequest(null, "the request body must be a JSON object");
    }
    for (Map.Entry<String, Set<String>> e : UNSUPPORTED.entrySet()) {
      JsonNode v = body.get(e.getKey());
      if (v != null && !v.isNull() && !e.getValue().contains(v.toString())) {
        throw HttpError.badRequest(e.getKey(), e.getKey() + " is not supported by this server (got " + v + ")");
      }
    }
    String promptText = null;
    long[] promptIds = null;
    List<ChatTemplate.Message> messages = null;
    if (chat) {
      messages = messages(body.get("messages"));
    } else {
      JsonNode p = body.get("prompt");
      if (p == null || p.isNull()) {
        throw HttpError.badRequest("prompt", "prompt is required: a string or an array of token ids");
      }
      if (p.isTextual()) {
        promptText = p.asText();
      } else if (p.isArray() && p.size() == 1 && p.get(0).isTextual()) {
        promptText = p.get(0).asText();
      } else if (p.isArray() && p.size() > 0 && p.get(0).isArray()) {
        throw HttpError.badRequest("prompt", "prompt: only one prompt per request is supported (got "
            + p.size() + ")");
      } else if (p.isArray()) {
        promptIds = longs(p, "prompt");
      } else {
        throw HttpError.badRequest("prompt", "prompt must be a string or an array of token ids (got "
            + p.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + ")");
      }
    }
    JsonNode maxTokensNode = body.has("max_tokens") || !chat ? body.get("max_tokens")
        : body.get("max_completion_tokens");
    long maxTokens = integer(maxTokensNode, "max_tokens", 0);
    if (maxTokensNode != null && !maxTokensNode.isNull() && maxTokens < 1) {
      throw HttpError.badRequest("max_tokens", "max_tokens must be >= 1 or null for the server's default (got "
          + maxTokens + ")");
    }
    Double temperature = number(body.get("temperature"), "temperature");
    boolean greedy = temperature != null && temperature == 0;
    Double topP = number(body.get("top_p"), "top_p");
    JsonNode seedNode = body.get("seed");
    Long seed = seedNode == null || seedNode.isNull() ? null : integer(seedNode, "seed", 0);
    long n = integer(body.get("n"), "n", 1);
    if (n != 1) {
      throw HttpError.badRequest("n", "n must be 1: one completion per request (got " + n + ")");
    }
    List<String> stop = stop(body.get("stop"));
    boolean stream = bool(body.get("stream"), "stream", false);
    boolean includeUsage = false;
    JsonNode so = body.get("stream_options");
    if (so != null && !so.isNull()) {
      if (!so.isObject()) {
        throw HttpError.badRequest("stream_options", "stream_options must be an object");
      }
      if (!stream) {
        throw HttpError.badRequest("stream_options", "stream_options is only allowed with stream: true");
      }
      includeUsage = bool(so.get("include_usage"), "stream_options.include_usage", false);
    }
    JsonNode model = body.get("model");
    if (model != null && !model.isNull() && !model.isTextual()) {
      throw HttpError.badRequest("model", "model must be a string");
    }
    JsonNode sm = body.get("seqmatch");
    if (sm != null && !sm.isNull() && !sm.isObject()) {
      throw HttpError.badRequest("seqmatch", "seqmatch must be an object of SeqMatch options");
    }
    JsonNode opt = sm == null || sm.isNull() ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : sm;
    boolean backspaceEvents = bool(opt.get("backspace_events"), "seqmatch.backspace_events", false);
    JsonNode ab = opt.get("allow_backspace");
    Boolean allowBackspace = ab == null || ab.isNull() ? null : bool(ab, "seqmatch.allow_backspace", true);
    long topK = integer(opt.get("top_k"), "seqmatch.top_k", 0);
    long maxActions = integer(opt.get("max_actions"), "seqmatch.max_actions", 0);
    boolean noRetype = bool(opt.get("no_retype"), "seqmatch.no_retype", false);
    JsonNode stopIds = opt.get("stop_token_ids");
    long[] stopTokenIds = stopIds == null || stopIds.isNull() ? null : longs(stopIds, "seqmatch.stop_token_ids");
    GenerationSpec spec = new GenerationSpec(promptText, promptIds, maxTokens, maxActions, greedy,
        greedy ? null : temperature, topK, topP, seed, stop, stopTokenIds, allowBackspace, noRetype,
        !backspaceEvents);
    return new CompletionRequest(spec, messages, model == null || model.isNull() ? null : model.asText(), stream,
        includeUsage, backspaceEvents);
  }

  /** The same request with its prompt replaced by token ids (a rendered chat). */
  CompletionRequest withPromptIds(long[] ids) {
    GenerationSpec s = spec;
    return new CompletionRequest(new GenerationSpec(null, ids, s.maxNewTokens(), s.maxActions(), s.greedy(),
        s.temperature(), s.topK(), s.topP(), s.seed(), s.stopSequences(), s.stopTokenIds(), s.allowBackspace(),
        s.noRetype(), s.commitOnly()), messages, model, stream, includeUsage, backspaceEvents);
  }

  private static List<ChatTemplate.Message> messages(JsonNode m) {
    if (m == null || !m.isArray() || m.isEmpty()) {
      throw HttpError.badRequest("messages", "messages is required: a non-empty array of {role, content}");
    }
    List<ChatTemplate.Message> out = new ArrayList<>();
    for (int i = 0; i < m.size(); i++) {
      JsonNode e = m.get(i);
      String where = "messages[" + i + "]";
      if (!e.isObject() || !e.path("role").isTextual()) {
        throw HttpError.badRequest(where + ".role", where + " must be an object with a string role");
      }
      JsonNode c = e.get("content");
      String content;
      if (c == null || c.isNull()) {
        content = "";
      } else if (c.isTextual()) {
        content = c.asText();
      } else if (c.isArray()) { // content parts: only text ones
        StringBuilder sb = new StringBuilder();
        for (JsonNode part : c) {
          if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
            throw HttpError.badRequest(where + ".content", where + ".content: only text parts are supported");
          }
          sb.append(part.get("text").asText());
        }
        content = sb.toString();
      } else {
        throw HttpError.badRequest(where + ".content", where + ".content must be a string or an array of text "
            + "parts");
      }
      out.add(new ChatTemplate.Message(e.get("role").asText(), content));
    }
    return out;
  }

  private static List<String> stop(JsonNode s) {
    if (s == null || s.isNull()) {
      return List.of();
    }
    if (s.isTextual()) {
      return List.of(s.asText());
    }
    if (!s.isArray()) {
      throw HttpError.badRequest("stop", "stop must be a string or an array of strings");
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < s.size(); i++) {
      if (!s.get(i).isTextual()) {
        throw HttpError.badRequest("stop", "stop[" + i + "] must be a string");
      }
      out.add(s.get(i).asText());
    }
    return out;
  }

  private static long[] longs(JsonNode a, String field) {
    if (!a.isArray()) {
      throw HttpError.badRequest(field, field + " must be an array of integers");
    }
    long[] out = new long[a.size()];
    for (int i = 0; i < a.size(); i++) {
      if (!a.get(i).isIntegralNumber() || !a.get(i).canConvertToLong()) {
        throw HttpError.badRequest(field, field + "[" + i + "] must be an integer token id (got " + a.get(i) + ")");
      }
      out[i] = a.get(i).asLong();
    }
    return out;
  }

  private static long integer(JsonNode v, String field, long absent) {
    if (v == null || v.isNull()) {
      return absent;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw HttpError.badRequest(field, field + " must be an integer (got " + v + ")");
    }
    return v.asLong();
  }

  private static Double number(JsonNode v, String field) {
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isNumber()) {
      throw HttpError.badRequest(field, field + " must be a number (got " + v + ")");
    }
    return v.asDouble();
  }

  private static boolean bool(JsonNode v, String field, boolean absent) {
    if (v == null || v.isNull()) {
      return absent;
    }
    if (!v.isBoolean()) {
      throw HttpError.badRequest(field, field + " must be true or false (got " + v + ")");
    }
    return v.asBoolean();
  }
}
