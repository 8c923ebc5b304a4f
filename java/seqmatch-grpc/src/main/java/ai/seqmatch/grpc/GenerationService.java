/*
 * The seqmatch.v1.Generation service, a thin adapter over the ServingCore: validates and tokenizes on a
 * gRPC executor thread, then hands a Session (writing through ProtoSinks) to the core's scheduler;
 * answers RESOURCE_EXHAUSTED when the admission queue is full. Cancel and ready handlers only post to the
 * scheduler, which is the single writer of every call.
 */
package ai.seqmatch.grpc;

import ai.seqmatch.grpc.v1.GenerateEvent;
import ai.seqmatch.grpc.v1.GenerateRequest;
import ai.seqmatch.grpc.v1.GenerateResponse;
import ai.seqmatch.grpc.v1.GenerationGrpc;
import ai.seqmatch.grpc.v1.GetModelInfoRequest;
import ai.seqmatch.grpc.v1.ModelInfo;
import ai.seqmatch.serving.PreparedRequest;
import ai.seqmatch.serving.RequestValidator;
import ai.seqmatch.serving.ServerLimits;
import ai.seqmatch.serving.ServingCore;
import ai.seqmatch.serving.ServingException;
import ai.seqmatch.serving.Session;
import ai.seqmatch.serving.engine.EngineInfo;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

final class GenerationService extends GenerationGrpc.GenerationImplBase {
  private final ServingCore core;
  private final ModelInfo modelInfo;

  GenerationService(ServingCore core) {
    this.core = core;
    EngineInfo info = core.info();
    ServerLimits limits = core.limits();
    this.modelInfo = ModelInfo.newBuilder().setEngine(info.engine()).setVocabSize(info.vocabSize())
        .setNPositions(info.nPositions()).setNLayer(info.nLayer()).setNHead(info.nHead()).setNEmbd(info.nEmbd())
        .setBosTokenId(info.bosTokenId()).setEosTokenId(info.eosTokenId()).setBkspcTokenId(info.bkspcTokenId())
        .setHasTokenizer(core.tokenizer() != null).setMaxPromptTokens(limits.maxPromptTokens())
        .setMaxNewTokensLimit(limits.maxNewTokensLimit()).setDefaultMaxNewTokens(limits.defaultMaxNewTokens())
        .setMaxBatch(limits.maxBatch()).setMaxQueue(limits.maxQueue()).build();
  }

  @Override
  public void generate(GenerateRequest request, StreamObserver<GenerateResponse> observer) {
    ServerCallStreamObserver<GenerateResponse> call = (ServerCallStreamObserver<GenerateResponse>) observer;
    PreparedRequest p = prepare(request, call);
    if (p != null) {
      admit(core.unarySession(p, ProtoSinks.unary(call)), call);
    }
  }

  @Override
  public void generateStream(GenerateRequest request, StreamObserver<GenerateEvent> observer) {
    ServerCallStreamObserver<GenerateEvent> call = (ServerCallStreamObserver<GenerateEvent>) observer;
    PreparedRequest p = prepare(request, call);
    if (p != null) {
      Session s = core.streamingSession(p, ProtoSinks.stream(call));
      call.setOnReadyHandler(() -> core.scheduler().ready(s));
      admit(s, call);
    }
  }

  @Override
  public void getModelInfo(GetModelInfoRequest request, StreamObserver<ModelInfo> observer) {
    observer.onNext(modelInfo);
    observer.onCompleted();
  }

  private PreparedRequest prepare(GenerateRequest request, ServerCallStreamObserver<?> call) {
    try {
      return core.prepare(ProtoRequests.spec(request), RequestValidator.Fields.PROTO);
    } catch (ServingException e) {
      call.onError(ProtoRequests.status(e).asRuntimeException());
      return null;
    }
  }

  /** The cancel handler goes first, so a call cancelled while queued never reaches the engine. */
  private void admit(Session s, ServerCallStreamObserver<?> call) {
    call.setOnCancelHandler(() -> core.scheduler().cancel(s));
    try {
      core.submit(s);
    } catch (ServingException e) {
      call.onError(ProtoRequests.status(e).asRuntimeException());
    }
  }
}
