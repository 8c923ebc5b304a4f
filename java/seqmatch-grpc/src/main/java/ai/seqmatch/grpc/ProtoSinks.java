/*
 * The gRPC side of a serving-core Session: GenerationSinks that write a GenerateStream call (one
 * GenerateEvent per core event, flow control from the call's isReady()) or a Generate call (the Finished
 * event as one GenerateResponse). Called only from the scheduler thread.
 */
package ai.seqmatch.grpc;

import ai.seqmatch.grpc.v1.BackspaceEvent;
import ai.seqmatch.grpc.v1.FinishReason;
import ai.seqmatch.grpc.v1.Finished;
import ai.seqmatch.grpc.v1.GenerateEvent;
import ai.seqmatch.grpc.v1.GenerateResponse;
import ai.seqmatch.grpc.v1.TokenEvent;
import ai.seqmatch.grpc.v1.Usage;
import ai.seqmatch.serving.GenerationEvent;
import ai.seqmatch.serving.GenerationSink;
import ai.seqmatch.serving.ServingException;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.Arrays;

final class ProtoSinks {
  private ProtoSinks() {}

  /** A GenerateStream call. */
  static GenerationSink stream(ServerCallStreamObserver<GenerateEvent> call) {
    return new CallSink<>(call) {
      @Override
      public boolean isReady() {
        return call.isReady();
      }

      @Override
      public void onEvent(GenerationEvent event) {
        call.onNext(event(event));
      }
    };
  }

  /** A Generate call: only the Finished event arrives, as one response. */
  static GenerationSink unary(ServerCallStreamObserver<GenerateResponse> call) {
    return new CallSink<>(call) {
      @Override
      public boolean isReady() {
        return true;
      }

      @Override
      public void onEvent(GenerationEvent event) {
        if (!(event instanceof GenerationEvent.Finished f)) {
          throw new IllegalStateException("a unary call got a " + event.getClass().getSimpleName() + " event");
        }
        GenerateResponse.Builder r = GenerateResponse.newBuilder().setText(f.text()).setReason(wire(f.reason()))
            .setUsage(usage(f.usage()));
        Arrays.stream(f.promptIds()).forEach(r::addPromptIds);
        Arrays.stream(f.generatedIds()).forEach(r::addGeneratedIds);
        Arrays.stream(f.actions()).forEach(r::addActions);
        call.onNext(r.build());
      }
    };
  }

  /** The end of a call, streaming or not: completed, or failed with the core's error as a gRPC status. */
  private abstract static class CallSink<T> implements GenerationSink {
    private final ServerCallStreamObserver<T> call;

    CallSink(ServerCallStreamObserver<T> call) {
      this.call = call;
    }

    @Override
    public void onCompleted() {
      call.onCompleted();
    }

    @Override
    public void onError(ServingException error) {
      call.onError(ProtoRequests.status(error).asRuntimeException());
    }
  }

  private static GenerateEvent event(GenerationEvent event) {
    if (event instanceof GenerationEvent.Token t) {
      return GenerateEvent.newBuilder().setToken(TokenEvent.newBuilder().setId(t.id())
          .setDeleteChars(t.deleteChars()).setText(t.text())).build();
    }
    if (event instanceof GenerationEvent.Backspace b) {
      return GenerateEvent.newBuilder().setBackspace(BackspaceEvent.newBuilder().setCount(b.count())
          .setDeleteChars(b.deleteChars()).addDeletedIds(b.deletedId())).build();
    }
    GenerationEvent.Finished f = (GenerationEvent.Finished) event;
    Finished.Builder p = Finished.newBuilder().setReason(wire(f.reason())).setUsage(usage(f.usage()))
        .setText(f.text()).setTail(f.tail());
    Arrays.stream(f.generatedIds()).forEach(p::addGeneratedIds);
    return GenerateEvent.newBuilder().setFinished(p).build();
  }

  private static Usage usage(GenerationEvent.Usage u) {
    return Usage.newBuilder().setPromptTokens(u.promptTokens()).setGeneratedTokens(u.generatedTokens())
        .setBackspaces(u.backspaces()).setActions(u.actions()).setSeed(u.seed())
        .setTimeToFirstActionUs(u.timeToFirstActionUs()).setTotalTimeUs(u.totalTimeUs()).build();
  }

  static FinishReason wire(ai.seqmatch.sample.FinishReason r) {
    return switch (r) {
      case EOS -> FinishReason.FINISH_REASON_EOS;
      case STOP -> FinishReason.FINISH_REASON_STOP;
      case MAX_NEW_TOKENS -> FinishReason.FINISH_REASON_MAX_NEW_TOKENS;
      case MAX_ACTIONS -> FinishReason.FINISH_REASON_MAX_ACTIONS;
      case LENGTH -> FinishReason.FINISH_REASON_LENGTH;
      case CANCELLED -> FinishReason.FINISH_REASON_UNSPECIFIED; // a cancelled call gets no terminal event
    };
  }
}
