/* The suite in-process (directExecutor, unique name) on the native full-recompute engine. */
package ai.seqmatch.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.grpc.v1.GenerateEvent;
import ai.seqmatch.grpc.v1.GenerationGrpc;
import ai.seqmatch.serving.ServerLimits;
import ai.seqmatch.serving.TestModels;
import ai.seqmatch.serving.ThrottledEngine;
import ai.seqmatch.serving.engine.RecomputeStepEngine;
import ai.seqmatch.serving.engine.StepEngine;
import io.grpc.ManagedChannel;
import io.grpc.ServerBuilder;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class InProcessGenerationTest extends AbstractReliabilitySuite {
  private String name;

  @Override
  protected StepEngine newEngine() {
    return new RecomputeStepEngine(model);
  }

  @Override
  protected StepEngine newNanEngine() {
    return RecomputeStepEngine.load(TestModels.nanCheckpoint());
  }

  @Override
  protected ServerBuilder<?> newServerBuilder() {
    name = InProcessServerBuilder.generateName();
    return InProcessServerBuilder.forName(name).directExecutor();
  }

  @Override
  protected ManagedChannel newChannel(SeqMatchServer server) {
    return InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @Override
  protected boolean inProcess() {
    return true;
  }

  /**
   * A client that stops reading: the in-process transport is ready only while the client has requested
   * messages, so the stream's buffer fills, its row pauses (no actions), and resumes when the client reads.
   */
  @Test
  void slowClientPausesItsRow() throws Exception {
    ThrottledEngine e = new ThrottledEngine(newEngine());
    SeqMatchServer small = startServer(e, ServerLimits.defaults().withStreamBufferEvents(8), null);
    ManagedChannel ch = newChannel(small);
    try {
      slowClient(small, e, ch);
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      small.shutdown(java.time.Duration.ofSeconds(2));
      e.close();
    }
  }

  /** A client that never reads: after the stalled-stream timeout its call fails and its row is freed. */
  @Test
  void stalledStreamIsFailedAndItsRowFreed() throws Exception {
    ThrottledEngine e = new ThrottledEngine(newEngine());
    SeqMatchServer small = startServer(e, ServerLimits.defaults().withStreamBufferEvents(4).withStalledStreamMillis(300),
        null);
    ManagedChannel ch = newChannel(small);
    try {
      RecordingObserver client = RecordingObserver.requesting(0); // reads nothing
      GenerationGrpc.newStub(ch).generateStream(text("Hi").setMaxNewTokens(200).setAllowBackspace(false).setSeed(7)
          .build(), client);
      assertTrue(waitFor(() -> small.activeRows() == 1), "row admitted");
      assertTrue(waitFor(() -> small.activeRows() == 0 && small.inFlight() == 0), "stalled row not freed");
      client.call.get().request(10_000); // now read: the buffered events, then the status
      Status status = client.done.get(20, TimeUnit.SECONDS);
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, status.getCode(), status.toString());
      assertTrue(status.getDescription().contains("stream stalled"), status.getDescription());
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      small.shutdown(java.time.Duration.ofSeconds(2));
      e.close();
    }
  }

  private void slowClient(SeqMatchServer server, ThrottledEngine engine, ManagedChannel channel)
      throws Exception {
    RecordingObserver client = RecordingObserver.requesting(1);
    GenerationGrpc.newStub(channel).generateStream(text("Hi").setMaxNewTokens(100).setAllowBackspace(false).setSeed(7)
        .build(), client);
    AtomicInteger received = client.received;
    AtomicReference<GenerateEvent> last = client.last;
    assertTrue(waitFor(() -> server.activeRows() == 1 && engine.runnableRows() == 0), "row never paused: received "
        + received.get() + ", active " + server.activeRows() + ", runnable " + engine.runnableRows() + ", done " + client.done);
    assertTrue(received.get() <= 1);
    client.call.get().request(1000);
    assertTrue(client.done.get(20, TimeUnit.SECONDS).isOk());
    assertTrue(last.get().hasFinished());
    assertTrue(last.get().getFinished().getUsage().getActions() > 8, "the row must outlive one buffer");
    assertEquals(last.get().getFinished().getUsage().getActions() + 1, received.get());
    assertTrue(waitFor(() -> server.activeRows() == 0));
  }
}
