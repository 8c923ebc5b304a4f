/*
 * A thin client over any Channel (grpc-java example style): unary generate, and a stream that applies
 * every event (StreamText) while handing each to an optional callback. The channel stays the caller's.
 */
package ai.seqmatch.grpc;

import ai.seqmatch.grpc.v1.GenerateEvent;
import ai.seqmatch.grpc.v1.GenerateRequest;
import ai.seqmatch.grpc.v1.GenerateResponse;
import ai.seqmatch.grpc.v1.GenerationGrpc;
import ai.seqmatch.grpc.v1.GetModelInfoRequest;
import ai.seqmatch.grpc.v1.ModelInfo;
import io.grpc.CallCredentials;
import io.grpc.Channel;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

public final class SeqMatchClient {
  private final GenerationGrpc.GenerationBlockingStub stub;

  /** A client on {@code channel}; {@code credentials} (e.g. BearerAuth.callCredentials) may be null. */
  public SeqMatchClient(Channel channel, CallCredentials credentials) {
    GenerationGrpc.GenerationBlockingStub s = GenerationGrpc.newBlockingStub(channel);
    this.stub = credentials == null ? s : s.withCallCredentials(credentials);
  }

  public ModelInfo modelInfo(Duration timeout) {
    return stub.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .getModelInfo(GetModelInfoRequest.getDefaultInstance());
  }

  public GenerateResponse generate(GenerateRequest request, Duration timeout) {
    return stub.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS).generate(request);
  }

  /** Streams to the end; {@code onEvent} (may be null) sees every event before it is applied. */
  public StreamText stream(GenerateRequest request, Duration timeout, Consumer<GenerateEvent> onEvent) {
    StreamText text = new StreamText();
    Iterator<GenerateEvent> it = stub.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .generateStream(request);
    while (it.hasNext()) {
      GenerateEvent e = it.next();
      if (onEvent != null) {
        onEvent.accept(e);
      }
      text.apply(e);
    }
    if (text.finished() == null) {
      throw new IllegalStateException("stream: ended without a finished event");
    }
    return text;
  }
}
