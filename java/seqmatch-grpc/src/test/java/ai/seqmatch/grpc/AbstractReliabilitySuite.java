/*
 * The issue-14 half of the gRPC suite (docs/RELIABILITY.md), run in-process and over Netty like
 * AbstractGenerationSuite: a failing row fails alone while the others finish exactly as alone; a NaN
 * model's requests fail INTERNAL while the server serves on; a stopped scheduler turns health
 * NOT_SERVING and fails queued and new calls at once; extreme temperatures and oversized batches are
 * refused; malformed messages are INVALID_ARGUMENT with one log line. Steps are gated, never timed.
 */
package ai.seqmatch.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.grpc.v1.FinishReason;
import ai.seqmatch.grpc.v1.GenerateRequest;
import ai.seqmatch.grpc.v1.GenerateResponse;
import ai.seqmatch.grpc.v1.GenerationGrpc;
import ai.seqmatch.serving.Scheduler;
import ai.seqmatch.serving.ServerLimits;
import ai.seqmatch.serving.TestModels;
import ai.seqmatch.serving.ThrottledEngine;
import ai.seqmatch.serving.engine.EngineInfo;
import ai.seqmatch.serving.engine.StepEngine;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

abstract class AbstractReliabilitySuite extends AbstractGenerationSuite {
  /** An engine over TestModels.nanCheckpoint() (every logit NaN); closed by the test. */
  protected abstract StepEngine newNanEngine();

  /** Issue 14: temperatures whose float division overflows are rejected; the bounds themselves sample fine. */
  @Test
  void extremeTemperaturesAreRejectedAndServingGoesOn() {
    for (double t : new double[] {1e-45, 1e-39, 9e-5, 1.1e4, 1e39, Double.POSITIVE_INFINITY, -1}) {
      StatusRuntimeException ex = assertThrows(StatusRuntimeException.class,
          () -> stub().generate(text("Hi").setTemperature(t).setMaxNewTokens(8).build()));
      assertEquals(Status.Code.INVALID_ARGUMENT, ex.getStatus().getCode(), "temperature " + t);
      assertTrue(ex.getStatus().getDescription().contains("temperature must be in [1e-4, 1e4]"),
          ex.getStatus().getDescription());
    }
    for (double t : new double[] {1e-4, 1e4}) {
      GenerateResponse r = stub().generate(text("Hi").setTemperature(t).setSeed(3).setMaxNewTokens(12).build());
      assertTrue(r.getReason() != FinishReason.FINISH_REASON_UNSPECIFIED, "temperature " + t);
      assertEquals(r.getUsage().getGeneratedTokens() + 2 * r.getUsage().getBackspaces(), r.getUsage().getActions());
    }
    assertServing(channel);
    assertTrue(stub().generate(text("Hi").setMaxNewTokens(4).setSeed(1).build()).getGeneratedIdsCount() > 0);
  }

  /**
   * One row's step throws (as an engine does for non-finite logits) while two others run in the same
   * batch: that call fails INTERNAL naming the cause, the others finish with exactly the output they
   * get alone (the step is retried row by row), and the server serves on.
   */
  @Test
  void aFailingRowFailsAloneWhileTheOthersFinish() throws Exception {
    GenerateRequest healthy1 = text("Hi").setMaxNewTokens(16).setSeed(1).build();
    GenerateRequest healthy2 = text("Hey").setMaxNewTokens(16).setSeed(2).setTemperature(1.5).build();
    GenerateRequest poisoned = ids(ThrottledEngine.POISON, 72, 105).setMaxNewTokens(16).setSeed(3).build();
    GenerateResponse alone1 = stub().generate(healthy1);
    GenerateResponse alone2 = stub().generate(healthy2);
    for (ThrottledEngine.Fault fault : List.of(ThrottledEngine.Fault.POISONED_ROWS_THROW,
        ThrottledEngine.Fault.POISONED_ROWS_REMOVED)) {
      engine.fault = fault;
      engine.skipSteps = true; // all three rows are in one batch before the first step
      GenerationGrpc.GenerationFutureStub async = GenerationGrpc.newFutureStub(channel)
          .withDeadlineAfter(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      var f1 = async.generate(healthy1);
      var bad = async.generate(poisoned);
      var f2 = async.generate(healthy2);
      assertTrue(waitFor(() -> server.activeRows() == 3), "rows admitted: " + server.activeRows());
      engine.skipSteps = false;
      assertEquals(alone1, withoutTimes(f1.get(30, TimeUnit.SECONDS), alone1), fault.name());
      assertEquals(alone2, withoutTimes(f2.get(30, TimeUnit.SECONDS), alone2), fault.name());
      Status failed = Status.fromThrowable(assertThrows(java.util.concurrent.ExecutionException.class,
          () -> bad.get(30, TimeUnit.SECONDS)).getCause());
      assertEquals(Status.Code.INTERNAL, failed.getCode(), fault + ": " + failed);
      assertTrue(failed.getDescription().contains("decode step failed")
          && failed.getDescription().contains("simulated non-finite logits"), failed.getDescription());
      assertTrue(waitFor(() -> server.activeRows() == 0 && server.inFlight() == 0), "rows not freed");
    }
    engine.fault = ThrottledEngine.Fault.NONE;
    assertServing(channel);
    assertEquals(alone1, withoutTimes(stub().generate(healthy1), alone1));
  }

  /** A max_batch whose per-layer batch tensors cannot fit a Java array is refused when the server is built. */
  @Test
  void aBatchTooLargeForTheModelIsRefusedAtBuild() {
    EngineInfo huge = new EngineInfo("test", 259, 1 << 16, 2, 4, 4096, -1, TestModels.EOS, TestModels.BKSPC);
    StepEngine e = new ThrottledEngine(newEngine()) {
      @Override
      public EngineInfo info() {
        return huge;
      }
    };
    IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> SeqMatchServer
        .builder(newServerBuilder(), e).optLimits(ServerLimits.defaults().withMaxBatch(16)).build());
    assertTrue(ex.getMessage().contains("max_batch 16 x n_positions 65536 x n_embd 4096")
        && ex.getMessage().contains("lower max_batch to at most 7"), ex.getMessage());
    e.close();
  }

  /** Usage timings differ between runs; everything else must not. */
  private static GenerateResponse withoutTimes(GenerateResponse r, GenerateResponse like) {
    return r.toBuilder().setUsage(r.getUsage().toBuilder().setTimeToFirstActionUs(like.getUsage()
        .getTimeToFirstActionUs()).setTotalTimeUs(like.getUsage().getTotalTimeUs())).build();
  }

  /**
   * Issue 14: a checkpoint with NaN weights used to make the sampler pick the masked <bkspc> at the
   * prompt boundary, which killed the scheduler thread (health SERVING, every later call hanging). Now
   * each sampled request fails INTERNAL at once, its row is freed, and the server stays SERVING.
   */
  @Test
  void aNanModelFailsItsRequestsAndTheServerServesOn() throws Exception {
    StepEngine nan = newNanEngine();
    SeqMatchServer s = startServer(nan, ServerLimits.defaults().withMaxBatch(4), null);
    ManagedChannel ch = newChannel(s);
    extra.add(() -> {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      s.shutdown(Duration.ofSeconds(2));
      nan.close();
    });
    for (int i = 0; i < 3; i++) { // not just the first: the server must still answer afterwards
      GenerateRequest req = text("Hi").setMaxNewTokens(8).setSeed(i).build();
      StatusRuntimeException ex = assertThrows(StatusRuntimeException.class, () -> GenerationGrpc.newBlockingStub(ch)
          .withDeadlineAfter(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).generate(req));
      assertEquals(Status.Code.INTERNAL, ex.getStatus().getCode(), ex.getStatus().toString());
      RecordingObserver streamed = RecordingObserver.reading();
      GenerationGrpc.newStub(ch).withDeadlineAfter(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).generateStream(req,
          streamed);
      assertEquals(Status.Code.INTERNAL, streamed.done.get(30, TimeUnit.SECONDS).getCode());
    }
    assertTrue(waitFor(() -> s.activeRows() == 0 && s.inFlight() == 0), "rows not freed");
    assertServing(ch);
  }

  /** An Error on the scheduler thread stops it: health NOT_SERVING, queued and new calls fail at once. */
  @Test
  void aStoppedSchedulerTurnsHealthNotServing() throws Exception {
    ThrottledEngine e = new ThrottledEngine(newEngine());
    e.hold();
    SeqMatchServer s = startServer(e, ServerLimits.defaults().withMaxBatch(1).withMaxQueue(4), null);
    ManagedChannel ch = newChannel(s);
    extra.add(() -> {
      e.release();
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      s.shutdown(Duration.ofSeconds(2));
      e.close();
    });
    GenerateRequest req = text("Hi").setMaxNewTokens(50).setAllowBackspace(false).setSeed(7).build();
    RecordingObserver running = RecordingObserver.reading();
    RecordingObserver queued = RecordingObserver.reading();
    GenerationGrpc.newStub(ch).generateStream(req, running);
    assertTrue(waitFor(() -> s.activeRows() == 1), "first row admitted");
    GenerationGrpc.newStub(ch).generateStream(req, queued);
    assertTrue(waitFor(() -> s.inFlight() == 2), "second request queued");
    e.fault = ThrottledEngine.Fault.CRASH;
    e.release();
    assertEquals(Status.Code.INTERNAL, running.done.get(30, TimeUnit.SECONDS).getCode());
    Status q = queued.done.get(30, TimeUnit.SECONDS);
    assertEquals(Status.Code.UNAVAILABLE, q.getCode(), q.toString());
    assertTrue(q.getDescription().contains("scheduler stopped") && q.getDescription().contains("simulated engine crash"),
        q.getDescription());
    assertTrue(s.schedulerFailure() instanceof ThrottledEngine.SimulatedCrash);
    assertEquals(HealthCheckResponse.ServingStatus.NOT_SERVING, health(ch, ""));
    assertEquals(HealthCheckResponse.ServingStatus.NOT_SERVING, health(ch, SeqMatchServer.SERVICE));
    StatusRuntimeException late = assertThrows(StatusRuntimeException.class, () -> GenerationGrpc.newBlockingStub(ch)
        .withDeadlineAfter(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).generate(req));
    assertEquals(Status.Code.UNAVAILABLE, late.getStatus().getCode());
  }

  /** An engine whose every call fails stops the loop after a few failed iterations instead of spinning. */
  @Test
  void aBrokenEngineStopsTheSchedulerAfterRepeatedFailures() throws Exception {
    ThrottledEngine e = new ThrottledEngine(newEngine());
    SeqMatchServer s = startServer(e, ServerLimits.defaults(), null);
    ManagedChannel ch = newChannel(s);
    extra.add(() -> {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      s.shutdown(Duration.ofSeconds(2));
      e.close();
    });
    assertServing(ch);
    e.fault = ThrottledEngine.Fault.BROKEN;
    assertTrue(waitFor(() -> s.schedulerFailure() != null), "the scheduler kept spinning on a broken engine");
    assertTrue(s.schedulerFailure().getMessage().contains(Scheduler.MAX_FAILED_ITERATIONS + " scheduler iterations"),
        s.schedulerFailure().getMessage());
    assertEquals(HealthCheckResponse.ServingStatus.NOT_SERVING, health(ch, SeqMatchServer.SERVICE));
    StatusRuntimeException late = assertThrows(StatusRuntimeException.class, () -> GenerationGrpc.newBlockingStub(ch)
        .withDeadlineAfter(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).generate(text("Hi").setMaxNewTokens(2).build()));
    assertEquals(Status.Code.UNAVAILABLE, late.getStatus().getCode());
  }

  /**
   * Bytes that are not a GenerateRequest: INVALID_ARGUMENT (was UNKNOWN with a stack trace in the log per
   * request) and at most one log line, without a stack trace; the server serves on.
   */
  @Test
  void malformedRequestIsInvalidArgumentWithOneLogLine() {
    byte[] garbage = {0x0a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 0x01}; // prompt.text, bad length
    List<java.util.logging.LogRecord> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.logging.Handler capture = new java.util.logging.Handler() {
      @Override
      public void publish(java.util.logging.LogRecord r) {
        logged.add(r);
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
    root.addHandler(capture);
    try {
      for (MethodDescriptor<GenerateRequest, ?> m : List.of(GenerationGrpc.getGenerateMethod(),
          GenerationGrpc.getGenerateStreamMethod())) {
        MethodDescriptor<byte[], byte[]> raw = m.toBuilder(BYTES, BYTES).build();
        StatusRuntimeException ex = assertThrows(StatusRuntimeException.class, () -> io.grpc.stub.ClientCalls
            .blockingServerStreamingCall(channel, raw, io.grpc.CallOptions.DEFAULT.withDeadlineAfter(30,
                TimeUnit.SECONDS), garbage).hasNext());
        assertEquals(Status.Code.INVALID_ARGUMENT, ex.getStatus().getCode(), ex.getStatus().toString());
        assertTrue(ex.getStatus().getDescription().startsWith("malformed request") && ex.getStatus().getDescription()
            .contains(m.getFullMethodName()), ex.getStatus().getDescription());
      }
    } finally {
      root.removeHandler(capture);
    }
    assertTrue(logged.stream().allMatch(r -> r.getThrown() == null), "a stack trace was logged");
    long lines = logged.stream().filter(r -> r.getLoggerName().equals(MalformedRequests.class.getName())).count();
    assertTrue(lines >= 1 && lines <= 2, lines + " log lines");
    assertTrue(stub().generate(text("Hi").setMaxNewTokens(2).setSeed(1).build()).getGeneratedIdsCount() > 0);
  }

  private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public java.io.InputStream stream(byte[] value) {
      return new java.io.ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(java.io.InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  };

  static HealthCheckResponse.ServingStatus health(ManagedChannel ch, String service) {
    return HealthGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
  }

  static void assertServing(ManagedChannel ch) {
    assertEquals(HealthCheckResponse.ServingStatus.SERVING, health(ch, ""));
    assertEquals(HealthCheckResponse.ServingStatus.SERVING, health(ch, SeqMatchServer.SERVICE));
  }
}
