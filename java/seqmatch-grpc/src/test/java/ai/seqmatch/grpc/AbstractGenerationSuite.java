/*
 * One gRPC suite, run in-process (InProcessGenerationTest: directExecutor, RecomputeStepEngine) and over a
 * loopback Netty socket (NettyGenerationTest: port 0, OrtStepEngine), as grpc-java's AbstractInteropTest:
 * unary and streaming results equal the native sampler; applied events reproduce the final ids and text;
 * commit_only; stop sequences; every validation error names its field; cancellation and deadlines free
 * the row; RESOURCE_EXHAUSTED on overload; health, reflection, auth; graceful drain. Failure isolation
 * and hardening tests extend it (AbstractReliabilitySuite). Bounded waits only; steps are gated by
 * ThrottledEngine, never timed.
 */
package ai.seqmatch.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.Device;
import ai.seqmatch.grpc.v1.FinishReason;
import ai.seqmatch.grpc.v1.GenerateEvent;
import ai.seqmatch.grpc.v1.GenerateRequest;
import ai.seqmatch.grpc.v1.GenerateResponse;
import ai.seqmatch.grpc.v1.GenerationGrpc;
import ai.seqmatch.grpc.v1.ModelInfo;
import ai.seqmatch.grpc.v1.TokenIds;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.sample.GenerationResult;
import ai.seqmatch.sample.Generator;
import ai.seqmatch.sample.SamplingOptions;
import ai.seqmatch.serving.ServerLimits;
import ai.seqmatch.serving.TestModels;
import ai.seqmatch.serving.TestWait;
import ai.seqmatch.serving.ThrottledEngine;
import ai.seqmatch.serving.engine.EngineInfo;
import ai.seqmatch.serving.engine.StepEngine;
import ai.seqmatch.tokenize.ByteTokenizer;
import ai.seqmatch.tokenize.Tokenizer;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.ServerBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

abstract class AbstractGenerationSuite {
  static final Duration TIMEOUT = Duration.ofSeconds(30);
  protected static CausalLM model;
  protected static Tokenizer tokenizer;

  protected ThrottledEngine engine;
  protected SeqMatchServer server;
  protected ManagedChannel channel;
  protected final List<AutoCloseable> extra = new ArrayList<>(); // closed after each test

  /** The engine under test (shared models may be used; the engine itself is closed per test). */
  protected abstract StepEngine newEngine();

  /** A fresh server builder (unique in-process name, or Netty on 127.0.0.1:0). */
  protected abstract ServerBuilder<?> newServerBuilder();

  protected abstract ManagedChannel newChannel(SeqMatchServer server);

  protected abstract boolean inProcess();

  @BeforeAll
  static void loadModel() {
    model = CausalLM.load(TestModels.checkpoint(), Device.cpu());
    tokenizer = new ByteTokenizer();
  }

  @AfterAll
  static void closeModel() {
    model.close();
  }

  @BeforeEach
  void start() {
    engine = new ThrottledEngine(newEngine());
    server = startServer(engine, ServerLimits.defaults().withMaxBatch(4).withMaxQueue(4), null);
    channel = newChannel(server);
  }

  @AfterEach
  void stop() throws Exception {
    engine.release(); // a test that failed while holding steps must not stall the shutdown
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    for (AutoCloseable c : extra) {
      c.close();
    }
    server.shutdown(Duration.ofSeconds(2));
    engine.close();
  }

  protected SeqMatchServer startServer(StepEngine e, ServerLimits limits, String token) {
    SeqMatchServer.Builder b = SeqMatchServer.builder(newServerBuilder(), e).optTokenizer(tokenizer)
        .optLimits(limits).optDrainTimeout(Duration.ofSeconds(5));
    if (token != null) {
      b.optAuthToken(token);
    }
    if (inProcess()) {
      b.optKeepBuilderExecutor();
    }
    return b.build().start();
  }

  protected GenerationGrpc.GenerationBlockingStub stub() {
    return GenerationGrpc.newBlockingStub(channel).withDeadlineAfter(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  static GenerateRequest.Builder text(String prompt) {
    return GenerateRequest.newBuilder().setText(prompt);
  }

  static GenerateRequest.Builder ids(long... ids) {
    return GenerateRequest.newBuilder().setTokenIds(TokenIds.newBuilder()
        .addAllIds(Arrays.stream(ids).boxed().toList()));
  }

  private GenerationResult nativeResult(long[] prompt, GenerateRequest r) {
    try (Generator g = new Generator(model)) {
      return g.generate(prompt, SamplingOptions.builder().optGreedy(r.getGreedy()).optSeed(r.getSeed())
          .optMaxNewTokens(r.getMaxNewTokens()).optAllowBackspace(!r.hasAllowBackspace() || r.getAllowBackspace())
          .build());
    }
  }

  @Test
  void unaryEqualsNativeSampler() {
    for (long seed = 1; seed <= 3; seed++) {
      GenerateRequest req = text("Hello").setMaxNewTokens(24).setSeed(seed).build();
      GenerateResponse r = stub().generate(req);
      GenerationResult expected = nativeResult(tokenizer.encodePrompt("Hello"), req); // as the server encodes text
      assertEquals(Arrays.stream(expected.generated()).boxed().toList(), r.getGeneratedIdsList());
      assertEquals(Arrays.stream(expected.actions()).boxed().toList(), r.getActionsList());
      assertEquals(ProtoSinks.wire(expected.finishReason()), r.getReason());
      assertEquals(expected.backspaces(), r.getUsage().getBackspaces());
      assertEquals(r.getUsage().getGeneratedTokens() + 2 * r.getUsage().getBackspaces(), r.getUsage().getActions());
      assertEquals(tokenizer.decode(expected.generated(), true), r.getText());
      assertEquals(seed, r.getUsage().getSeed());
    }
  }

  @Test
  void appliedStreamEventsReproduceTheFinalState() {
    int backspaces = 0;
    for (long seed = 1; seed <= 4; seed++) {
      GenerateRequest req = text("Hi").setMaxNewTokens(32).setSeed(seed).setTemperature(1.5).build();
      GenerateResponse unary = stub().generate(req);
      List<GenerateEvent> events = new ArrayList<>();
      StreamText s = new SeqMatchClient(channel, null).stream(req, TIMEOUT, events::add);
      assertEquals(unary.getGeneratedIdsList(), s.ids(), "seed " + seed);
      assertEquals(unary.getText(), s.text(), "seed " + seed);
      assertEquals(unary.getText(), s.finished().getText());
      assertEquals(unary.getGeneratedIdsList(), s.finished().getGeneratedIdsList());
      assertEquals(unary.getReason(), s.finished().getReason());
      long bk = events.stream().filter(GenerateEvent::hasBackspace).count();
      assertEquals(bk, s.finished().getUsage().getBackspaces());
      assertEquals(events.size() - 1, s.finished().getUsage().getActions());
      backspaces += (int) bk;
    }
    assertTrue(backspaces > 0, "the crafted model must stream backspace events");
  }

  @Test
  void commitOnlyStreamsNoBackspaces() {
    GenerateRequest req = text("Hi").setMaxNewTokens(32).setSeed(3).setCommitOnly(true).build();
    GenerateResponse unary = stub().generate(req);
    assertTrue(unary.getUsage().getBackspaces() > 0);
    List<GenerateEvent> events = new ArrayList<>();
    StreamText s = new SeqMatchClient(channel, null).stream(req, TIMEOUT, events::add);
    assertFalse(events.stream().anyMatch(GenerateEvent::hasBackspace));
    assertEquals(unary.getGeneratedIdsList(), s.ids());
    assertEquals(unary.getText(), s.text());
    assertEquals(unary.getGeneratedIdsCount() + 1, events.size());
  }

  @Test
  void stopSequenceFinishesTheRow() {
    GenerateRequest plain = text("The").setGreedy(true).setAllowBackspace(false).setMaxNewTokens(20).build();
    String full = stub().generate(plain).getText();
    assertTrue(full.codePointCount(0, full.length()) >= 4, "need some text (got \"" + full + "\")");
    String stop = full.substring(full.offsetByCodePoints(0, 2), full.offsetByCodePoints(0, 3));
    GenerateResponse r = stub().generate(plain.toBuilder().addStopSequences(stop).build());
    assertEquals(FinishReason.FINISH_REASON_STOP, r.getReason());
    assertTrue(r.getText().contains(stop));
    assertTrue(full.startsWith(r.getText()));
    assertTrue(r.getGeneratedIdsCount() < 20);
  }

  @Test
  void stopTokenIdFinishesTheRow() {
    GenerateRequest plain = ids(72, 105).setGreedy(true).setAllowBackspace(false).setMaxNewTokens(20).build();
    GenerateResponse full = stub().generate(plain);
    long third = full.getGeneratedIds(2);
    GenerateResponse r = stub().generate(plain.toBuilder().addStopTokenIds(third).build());
    assertEquals(FinishReason.FINISH_REASON_STOP, r.getReason());
    assertEquals(third, r.getGeneratedIds(r.getGeneratedIdsCount() - 1));
  }

  @Test
  void invalidRequestsNameTheField() {
    Map<String, GenerateRequest> bad = Map.ofEntries(
        Map.entry("prompt is required", GenerateRequest.newBuilder().setMaxNewTokens(4).build()),
        Map.entry("prompt.token_ids is empty", ids().build()),
        Map.entry("prompt.token_ids[1]", ids(1, 259).build()),
        Map.entry("prompt.token_ids[0]", ids(-1).build()),
        Map.entry("prompt is too long", ids(new long[96]).build()),
        Map.entry("max_new_tokens", text("x").setMaxNewTokens(-1).build()),
        Map.entry("max_new_tokens must be in 1..1024", text("x").setMaxNewTokens(5000).build()),
        Map.entry("max_actions", text("x").setMaxActions(-2).build()),
        Map.entry("temperature", text("x").setTemperature(0).build()),
        Map.entry("temperature must be in [1e-4, 1e4] (got NaN)", text("x").setTemperature(Double.NaN).build()),
        Map.entry("temperature must be in [1e-4, 1e4] (got 1.0E-39)", text("x").setTemperature(1e-39).build()),
        Map.entry("temperature must be in [1e-4, 1e4] (got 1.0E39)", text("x").setTemperature(1e39).build()),
        Map.entry("max_actions must be 0 (= 4 x max_new_tokens) or >= max_new_tokens 10",
            text("x").setMaxNewTokens(10).setMaxActions(3).build()),
        Map.entry("top_k", text("x").setTopK(-1).build()),
        Map.entry("top_p", text("x").setTopP(1.5).build()),
        Map.entry("stop_sequences[0]", text("x").addStopSequences("").build()),
        Map.entry("stop_token_ids[0]", text("x").addStopTokenIds(999).build()));
    for (Map.Entry<String, GenerateRequest> e : bad.entrySet()) {
      StatusRuntimeException ex = assertThrows(StatusRuntimeException.class, () -> stub().generate(e.getValue()));
      assertEquals(Status.Code.INVALID_ARGUMENT, ex.getStatus().getCode(), e.getKey());
      assertTrue(ex.getStatus().getDescription().contains(e.getKey()),
          "expected '" + e.getKey() + "' in: " + ex.getStatus().getDescription());
      StatusRuntimeException streamed = assertThrows(StatusRuntimeException.class,
          () -> stub().generateStream(e.getValue()).hasNext());
      assertEquals(Status.Code.INVALID_ARGUMENT, streamed.getStatus().getCode(), e.getKey());
    }
    // Greedy ignores temperature; top_p = 1 and top_k = 0 are "off".
    assertNotNull(stub().generate(text("x").setGreedy(true).setTemperature(0).setMaxNewTokens(2).build()));
    assertTrue(waitFor(() -> server.inFlight() == 0));
  }

  @Test
  void cancellingAStreamFreesItsRow() throws Exception {
    engine.stepDelayMillis = 20;
    RecordingObserver client = RecordingObserver.reading();
    GenerationGrpc.newStub(channel).generateStream(text("Hi").setMaxNewTokens(500).setAllowBackspace(false).setSeed(7)
        .build(), client);
    assertTrue(client.firstEvent.await(10, TimeUnit.SECONDS));
    assertEquals(1, waitFor(() -> server.activeRows() == 1) ? 1 : 0);
    client.call.get().cancel("test cancels", null);
    assertEquals(Status.Code.CANCELLED, client.done.get(5, TimeUnit.SECONDS).getCode());
    assertTrue(waitFor(() -> server.activeRows() == 0 && server.inFlight() == 0), "row not freed");
  }

  @Test
  void deadlineExceededFreesTheRow() {
    engine.hold(); // the row cannot finish before its deadline, however fast or loaded the machine
    StatusRuntimeException ex = assertThrows(StatusRuntimeException.class, () -> GenerationGrpc
        .newBlockingStub(channel).withDeadlineAfter(300, TimeUnit.MILLISECONDS)
        .generate(text("Hi").setMaxNewTokens(500).setAllowBackspace(false).setSeed(7).build()));
    engine.release();
    assertEquals(Status.Code.DEADLINE_EXCEEDED, ex.getStatus().getCode());
    assertTrue(waitFor(() -> server.activeRows() == 0 && server.inFlight() == 0), "row not freed");
  }

  @Test
  void overloadIsResourceExhausted() throws Exception {
    ThrottledEngine slow = new ThrottledEngine(newEngine());
    slow.hold(); // the admitted row cannot finish while we fill the queue
    SeqMatchServer small = startServer(slow, ServerLimits.defaults().withMaxBatch(1).withMaxQueue(1), null);
    ManagedChannel ch = newChannel(small);
    extra.add(() -> {
      slow.release();
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      small.shutdown(Duration.ofSeconds(2));
      slow.close();
    });
    GenerateRequest longReq = text("Hi").setMaxNewTokens(500).setAllowBackspace(false).setSeed(7).build();
    List<CompletableFuture<Status>> running = new ArrayList<>();
    for (int i = 0; i < 2; i++) { // one row running (max_batch 1), one request queued (max_queue 1)
      RecordingObserver client = RecordingObserver.reading();
      GenerationGrpc.newStub(ch).generateStream(longReq, client);
      running.add(client.done);
      // Waits for the first to hold the row, so the refusal below is the queue's (AdmissionTest covers bursts).
      int expected = i + 1;
      assertTrue(waitFor(() -> small.activeRows() == 1 && small.inFlight() == expected),
          "in flight " + small.inFlight() + ", rows " + small.activeRows());
    }
    StatusRuntimeException ex = assertThrows(StatusRuntimeException.class,
        () -> GenerationGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS).generate(longReq));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, ex.getStatus().getCode());
    assertTrue(ex.getStatus().getDescription().contains("busy"));
    ch.shutdownNow();
    slow.release();
    for (CompletableFuture<Status> f : running) { // the client's own view of a channel it shut down
      Status.Code code = f.get(5, TimeUnit.SECONDS).getCode();
      assertTrue(code == Status.Code.CANCELLED || code == Status.Code.UNAVAILABLE, code.toString());
    }
    assertTrue(waitFor(() -> small.activeRows() == 0 && small.inFlight() == 0), "rows not freed");
  }

  @Test
  void healthIsServingAndReflectionListsTheService() throws Exception {
    HealthCheckResponse h = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService(SeqMatchServer.SERVICE).build());
    assertEquals(HealthCheckResponse.ServingStatus.SERVING, h.getStatus());
    CompletableFuture<ServerReflectionResponse> got = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> req = ServerReflectionGrpc.newStub(channel).serverReflectionInfo(
        new StreamObserver<>() {
          @Override
          public void onNext(ServerReflectionResponse value) {
            got.complete(value);
          }

          @Override
          public void onError(Throwable t) {
            got.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {}
        });
    req.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    req.onCompleted();
    List<String> names = got.get(5, TimeUnit.SECONDS).getListServicesResponse().getServiceList().stream()
        .map(s -> s.getName()).toList();
    assertTrue(names.contains("seqmatch.v1.Generation"), names.toString());
    assertTrue(names.contains("grpc.health.v1.Health"), names.toString());
  }

  @Test
  void modelInfoReportsShapeAndLimits() {
    ModelInfo info = new SeqMatchClient(channel, null).modelInfo(TIMEOUT);
    assertEquals(259, info.getVocabSize());
    assertEquals(TestModels.BKSPC, info.getBkspcTokenId());
    assertEquals(4, info.getMaxBatch());
    assertTrue(info.getHasTokenizer());
  }

  @Test
  void bearerTokenIsRequired() throws Exception {
    StepEngine e = newEngine();
    SeqMatchServer secured = startServer(e, ServerLimits.defaults(), "s3cret-token");
    ManagedChannel ch = newChannel(secured);
    extra.add(() -> {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      secured.shutdown(Duration.ofSeconds(2));
      e.close();
    });
    GenerateRequest req = text("Hi").setMaxNewTokens(4).setGreedy(true).setAllowBackspace(false).build();
    StatusRuntimeException none = assertThrows(StatusRuntimeException.class,
        () -> new SeqMatchClient(ch, null).generate(req, TIMEOUT));
    assertEquals(Status.Code.UNAUTHENTICATED, none.getStatus().getCode());
    StatusRuntimeException wrong = assertThrows(StatusRuntimeException.class,
        () -> new SeqMatchClient(ch, BearerAuth.callCredentials("guess")).generate(req, TIMEOUT));
    assertEquals(Status.Code.UNAUTHENTICATED, wrong.getStatus().getCode());
    assertTrue(new SeqMatchClient(ch, BearerAuth.callCredentials("s3cret-token")).generate(req, TIMEOUT)
        .getGeneratedIdsCount() > 0);
    assertEquals(HealthCheckResponse.ServingStatus.SERVING, HealthGrpc.newBlockingStub(ch)
        .withDeadlineAfter(5, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()).getStatus());
  }

  @Test
  void shutdownDrainsStreamsInFlight() throws Exception {
    engine.stepDelayMillis = 5;
    engine.hold(); // the row is certainly in flight when shutdown starts, however loaded the machine
    CompletableFuture<StreamText> result = CompletableFuture.supplyAsync(() -> new SeqMatchClient(channel, null)
        .stream(text("Hi").setMaxNewTokens(60).setAllowBackspace(false).setSeed(7).build(), TIMEOUT, null));
    assertTrue(waitFor(() -> server.activeRows() == 1));
    engine.release();
    assertTrue(server.shutdown(Duration.ofSeconds(20)), "drain timed out");
    StreamText s = result.get(5, TimeUnit.SECONDS);
    assertEquals(s.finished().getUsage().getGeneratedTokens(), s.ids().size());
    assertTrue(s.ids().size() >= 20, "seed 7 runs long enough to be in flight at shutdown");
  }

  /** {@link TestWait#waitFor}, for the suites that extend this one. */
  static boolean waitFor(BooleanSupplier condition) {
    return TestWait.waitFor(condition);
  }
}
