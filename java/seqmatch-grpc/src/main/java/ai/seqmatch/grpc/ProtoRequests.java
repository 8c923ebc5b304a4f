/*
 * seqmatch.v1.GenerateRequest -> the serving core's GenerationSpec (unset optional fields stay null), and
 * the core's ServingException -> a gRPC Status. The checks themselves are the core's RequestValidator, so
 * gRPC and HTTP requests are held to the same rules.
 */
package ai.seqmatch.grpc;

import ai.seqmatch.grpc.v1.GenerateRequest;
import ai.seqmatch.serving.GenerationSpec;
import ai.seqmatch.serving.PreparedRequest;
import ai.seqmatch.serving.RequestValidator;
import ai.seqmatch.serving.ServingException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

final class ProtoRequests {
  private ProtoRequests() {}

  static GenerationSpec spec(GenerateRequest r) {
    String text = r.getPromptCase() == GenerateRequest.PromptCase.TEXT ? r.getText() : null;
    long[] ids = r.getPromptCase() == GenerateRequest.PromptCase.TOKEN_IDS
        ? r.getTokenIds().getIdsList().stream().mapToLong(Long::longValue).toArray() : null;
    return new GenerationSpec(text, ids, r.getMaxNewTokens(), r.getMaxActions(),
        r.getGreedy(), r.hasTemperature() ? r.getTemperature() : null, r.getTopK(),
        r.hasTopP() ? r.getTopP() : null, r.hasSeed() ? r.getSeed() : null, r.getStopSequencesList(),
        r.getStopTokenIdsList().stream().mapToLong(Long::longValue).toArray(),
        r.hasAllowBackspace() ? r.getAllowBackspace() : null, r.getNoRetype(), r.getCommitOnly());
  }

  /** Checks {@code r}; throws INVALID_ARGUMENT naming every bad field. */
  static PreparedRequest prepare(RequestValidator validator, GenerateRequest r) throws StatusRuntimeException {
    try {
      return validator.prepare(spec(r), RequestValidator.Fields.PROTO);
    } catch (ServingException e) {
      throw status(e).asRuntimeException();
    }
  }

  static Status status(ServingException e) {
    Status s = switch (e.kind()) {
      case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
      case RESOURCE_EXHAUSTED -> Status.RESOURCE_EXHAUSTED;
      case UNAVAILABLE -> Status.UNAVAILABLE;
      case INTERNAL -> Status.INTERNAL;
    };
    return s.withDescription(e.getMessage());
  }
}
