/*
 * An HTTP error as OpenAI's API reports it: status code plus the error object
 * {"error": {"message", "type", "param", "code"}}. Thrown by request parsing and mapped from the serving
 * core's ServingException (400, 429, 503, 500), so every refusal has the shape OpenAI clients parse.
 */
package ai.seqmatch.http;

import ai.seqmatch.serving.ServingException;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

final class HttpError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  final int status;
  final String type;
  final String param; // the offending request field, or null
  final String code; // a machine-readable code, or null

  HttpError(int status, String type, String param, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.type = type;
    this.param = param;
    this.code = code;
  }

  /** 400 naming {@code param}. */
  static HttpError badRequest(String param, String message) {
    return new HttpError(400, "invalid_request_error", param, null, message);
  }

  /** The core's refusal in HTTP terms; a bad field is named as param (the first one the message names). */
  static HttpError of(ServingException e) {
    return switch (e.kind()) {
      case INVALID_ARGUMENT -> new HttpError(400, "invalid_request_error", firstField(e.getMessage()), null,
          e.getMessage());
      case RESOURCE_EXHAUSTED -> new HttpError(429, "rate_limit_error", null, "server_busy", e.getMessage());
      case UNAVAILABLE -> new HttpError(503, "service_unavailable", null, "unavailable", e.getMessage());
      case INTERNAL -> new HttpError(500, "server_error", null, null, e.getMessage());
    };
  }

  /**
   * RequestValidator's messages read "invalid request: FIELD must ...; ..." (each problem starts with the
   * field's wire name, an index in brackets when it is an array element).
   */
  static String firstField(String message) {
    int colon = message.indexOf(": ");
    String rest = colon < 0 ? message : message.substring(colon + 2);
    int end = 0;
    while (end < rest.length() && (Character.isLetterOrDigit(rest.charAt(end)) || rest.charAt(end) == '_'
        || rest.charAt(end) == '.')) {
      end++;
    }
    return end == 0 ? null : rest.substring(0, end);
  }

  ObjectNode body() {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    ObjectNode err = root.putObject("error");
    err.put("message", getMessage());
    err.put("type", type);
    err.put("param", param);
    err.put("code", code);
    return root;
  }
}
