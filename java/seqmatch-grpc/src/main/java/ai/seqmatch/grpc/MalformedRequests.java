/*
 * Malformed request messages (bytes that are not the method's protobuf) answered INVALID_ARGUMENT with one
 * rate-limited log line. By default grpc-java parses a request before any interceptor can see it, closes
 * the call UNKNOWN ("Application error processing RPC") and logs the parse failure's stack trace, per
 * request. guard() moves parsing into the call's listener (ServerInterceptors.useInputStreamMessages),
 * where a parse failure can be caught and answered. Tested by AbstractReliabilitySuite.
 */
package ai.seqmatch.grpc;

import ai.seqmatch.serving.RateLimitedLog;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

final class MalformedRequests implements ServerInterceptor {
  private final RateLimitedLog log = new RateLimitedLog(MalformedRequests.class, System.Logger.Level.WARNING,
      1_000); // per service of one server

  private MalformedRequests() {}

  /** {@code service} with malformed requests answered INVALID_ARGUMENT instead of UNKNOWN. */
  static ServerServiceDefinition guard(ServerServiceDefinition service) {
    return ServerInterceptors.intercept(ServerInterceptors.useInputStreamMessages(service), new MalformedRequests());
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
      private boolean rejected;

      @Override
      public void onMessage(Q message) {
        if (rejected) {
          return;
        }
        try {
          super.onMessage(message); // parses it (useInputStreamMessages)
        } catch (StatusRuntimeException e) {
          if (!(e.getCause() instanceof InvalidProtocolBufferException malformed)) {
            throw e;
          }
          rejected = true;
          String method = call.getMethodDescriptor().getFullMethodName();
          String why = malformed.getMessage() == null ? "not a protobuf message" : malformed.getMessage();
          log.log(() -> "grpc: malformed request to " + method + " from "
              + call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR) + " answered INVALID_ARGUMENT (" + why + ")");
          call.close(Status.INVALID_ARGUMENT.withDescription("malformed request: the message is not a valid "
              + "protobuf request of " + method + " (" + why + ")"), new Metadata());
        }
      }

      @Override
      public void onHalfClose() {
        if (!rejected) { // a unary handler would otherwise answer a second time ("no request")
          super.onHalfClose();
        }
      }
    };
  }
}
