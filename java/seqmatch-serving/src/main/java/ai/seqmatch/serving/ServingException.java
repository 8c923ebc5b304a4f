/*
 * Why the serving core refused or ended a request, in front-end-neutral terms: each front end maps the
 * kind to its own status (gRPC: INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNAVAILABLE, INTERNAL; HTTP: 400,
 * 429, 503, 500). The message is one line for the client, never a stack trace.
 */
package ai.seqmatch.serving;

public final class ServingException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The failure classes every front end distinguishes. */
  public enum Kind {
    /** The request is bad; the message names the field. */
    INVALID_ARGUMENT,
    /** The server is full (queue, stalled stream); retry with backoff. */
    RESOURCE_EXHAUSTED,
    /** The server is draining or its scheduler stopped; retry elsewhere. */
    UNAVAILABLE,
    /** The server failed this request. */
    INTERNAL
  }

  private final Kind kind;

  public ServingException(Kind kind, String message) {
    super(message, null, false, false);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
