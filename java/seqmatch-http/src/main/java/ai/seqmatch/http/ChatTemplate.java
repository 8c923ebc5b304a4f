/*
 * A model's chat template: the Jinja source under "chat_template" in its tokenizer_config.json (a string,
 * or a list of {name, template} of which "default" is used), rendered by Jinjava with the variables
 * Hugging Face's apply_chat_template passes: messages (role, content), add_generation_prompt = true,
 * bos_token, eos_token, and raise_exception(message) as a function (a template's own refusal becomes a
 * 400). The rendered text is tokenized without an extra start token: the template writes its own.
 */
package ai.seqmatch.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

final class ChatTemplate {
  /** One chat message. */
  record Message(String role, String content) {}

  private final String source;
  private final String bosToken;
  private final String eosToken;
  private final Jinjava jinjava;

  private ChatTemplate(String source, String bosToken, String eosToken) {
    this.source = source;
    this.bosToken = bosToken;
    this.eosToken = eosToken;
    this.jinjava = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(false).withLstripBlocks(false)
        .withFailOnUnknownTokens(false).build());
    this.jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
        ChatTemplate.class, "raiseException", String.class));
  }

  /**
   * The template in {@code modelDir}/tokenizer_config.json; empty when the file or its chat_template is
   * absent. A file that is not JSON, or a chat_template of the wrong type, is bad input (one line naming
   * the file).
   */
  static Optional<ChatTemplate> load(Path modelDir) {
    Path file = modelDir.resolve("tokenizer_config.json");
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new ai.seqmatch.InvalidInputException(file + ": not valid JSON (" + e.getMessage().lines().findFirst()
          .orElse("") + ")");
    }
    JsonNode t = root.get("chat_template");
    if (t == null || t.isNull()) {
      return Optional.empty();
    }
    String source = null;
    if (t.isTextual()) {
      source = t.asText();
    } else if (t.isArray()) {
      for (JsonNode named : t) {
        if ("default".equals(named.path("name").asText()) && named.path("template").isTextual()) {
          source = named.get("template").asText();
        }
      }
      if (source == null) {
        throw new ai.seqmatch.InvalidInputException(file + ": chat_template is a list without a \"default\" "
            + "entry ({name, template})");
      }
    } else {
      throw new ai.seqmatch.InvalidInputException(file + ": chat_template must be a string or a list of {name, "
          + "template} (got " + t.getNodeType() + ")");
    }
    return Optional.of(new ChatTemplate(source, token(root.get("bos_token")), token(root.get("eos_token"))));
  }

  /** A template from source (tests). */
  static ChatTemplate of(String source, String bosToken, String eosToken) {
    return new ChatTemplate(source, bosToken, eosToken);
  }

  /** bos_token / eos_token are strings or AddedToken objects {content: ...}. */
  private static String token(JsonNode n) {
    if (n == null || n.isNull()) {
      return "";
    }
    return n.isTextual() ? n.asText() : n.path("content").asText("");
  }

  /** Renders {@code messages}; throws HttpError 400 when the template refuses them or fails. */
  String render(List<Message> messages) {
    List<Map<String, Object>> ms = new ArrayList<>();
    for (Message m : messages) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("role", m.role());
      e.put("content", m.content());
      ms.add(e);
    }
    Map<String, Object> vars = new HashMap<>();
    vars.put("messages", ms);
    vars.put("add_generation_prompt", true);
    vars.put("bos_token", bosToken);
    vars.put("eos_token", eosToken);
    RenderResult r = jinjava.renderForResult(source, vars);
    for (TemplateError e : r.getErrors()) {
      if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
        String m = e.getMessage() == null ? "" : e.getMessage().strip().lines().findFirst().orElse("");
        int at = m.indexOf(RAISED);
        throw HttpError.badRequest("messages", "messages: the model's chat template refused them ("
            + (at >= 0 ? m.substring(at + RAISED.length()) : m) + ")");
      }
    }
    return r.getOutput();
  }

  private static final String RAISED = "chat template: ";

  /** raise_exception(message) inside a template. */
  public static String raiseException(String message) {
    throw new IllegalArgumentException(RAISED + message);
  }
}
