/*
 * The seqmatch.v1.Generation service: validates and tokenizes on a gRPC executor thread, then hands a
 * Session to the Scheduler; answers RESOURCE_EXHAUSTED when the admission queue is full. Cancel and
 * ready handlers only post to the scheduler, which is the single writer of every call.
 */
package ai.seqmatch.grpc;

import ai.seqmatch.grpc.RequestValidator.Prepared;
import ai.seqmatch.grpc.engine.EngineInfo;
import ai.seqmatch.grpc.v1.GenerateEvent;
import ai.seqmatch.grpc.v1.GenerateRequest;
import ai.seqmatch.grpc.v1.GenerateResponse;
import ai.seqmatch.grpc.v1.GenerationGrpc;
import ai.seqmatch.grpc.v1.GetModelInfoRequest;
import ai.seqmatch.grpc.v1.ModelInfo;
import ai.seqmatch.tokenize.Tokenizer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

final class GenerationService extends GenerationGrpc.GenerationImplBase {
  private final Scheduler scheduler;
  private final RequestValidator validator;
  private final Tokenizer tokenizer;
  private final ServerLimits limits;
  private final ModelInfo modelInfo;
  private final boolean modelHasBackspace;

  GenerationService(Scheduler scheduler, EngineInfo info, Tokenizer tokenizer, ServerLimits limits) {
    this.scheduler = scheduler;
    this.validator = new RequestValidator(info, tokenizer, limits);
    this.tokenizer = tokenizer;
    this.limits = limits;
    this.modelHasBackspace = info.hasBackspace();
    this.modelInfo = ModelInfo.newBuilder().setEngine(info.engine()).setVocabSize(info.vocabSize())
        .setNPositions(info.nPositions()).setNLayer(info.nLayer()).setNHead(info.nHead()).setNEmbd(info.nEmbd())
        .setBosTokenId(info.bosTokenId()).setEosTokenId(info.eosTokenId()).setBkspcTokenId(info.bkspcTokenId())
        .setHasTokenizer(tokenizer != null).setMaxPromptTokens(limits.maxPromptTokens())
        .setMaxNewTokensLimit(limits.maxNewTokensLimit()).setDefaultMaxNewTokens(limits.defaultMaxNewTokens())
        .setMaxBatch(limits.maxBatch()).setMaxQueue(limits.maxQueue()).build();
  }

  @Override
  public void generate(GenerateRequest request, StreamObserver<GenerateResponse> observer) {
    ServerCallStreamObserver<GenerateResponse> call = (ServerCallStreamObserver<GenerateResponse>) observer;
    Prepared p = prepare(request, call);
    if (p != null) {
      admit(Session.unary(p, tokenizer, call, modelHasBackspace), call);
    }
  }

  @Override
  public void generateStream(GenerateRequest request, StreamObserver<GenerateEvent> observer) {
    ServerCallStreamObserver<GenerateEvent> call = (ServerCallStreamObserver<GenerateEvent>) observer;
    Prepared p = prepare(request, call);
    if (p != null) {
      Session s = Session.streaming(p, tokenizer, call, limits.streamBufferEvents(), modelHasBackspace);
      call.setOnReadyHandler(() -> scheduler.ready(s));
      admit(s, call);
    }
  }

  @Override
  public void getModelInfo(GetModelInfoRequest request, StreamObserver<ModelInfo> observer) {
    observer.onNext(modelInfo);
    observer.onCompleted();
  }

  private Prepared prepare(GenerateRequest request, ServerCallStreamObserver<?> call) {
    try {
      return validator.prepare(request);
    } catch (StatusRuntimeException e) {
      call.onError(e);
      return null;
    }
  }

  /** The cancel handler goes first, so a call cancelled while queued never reaches the engine. */
  private void admit(Session s, ServerCallStreamObserver<?> call) {
    call.setOnCancelHandler(() -> scheduler.cancel(s));
    try {
      if (!scheduler.submit(s)) {
        call.onError(Status.RESOURCE_EXHAUSTED.withDescription("generate: server busy (" + limits.maxBatch()
            + " rows running and " + limits.maxQueue() + " requests queued). Hint: retry with backoff")
            .asRuntimeException());
      }
    } catch (StatusRuntimeException e) {
      call.onError(e);
    }
  }
}
