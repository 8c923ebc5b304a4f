/*
 * Admission: a request holds one of max_batch + max_queue places from submit() until it leaves, whatever the
 * scheduler thread has done meanwhile. The submits here run before the loop starts (or while its step is
 * held), so the counts do not depend on timing: the burst that used to get a spurious 429 (the second of two
 * simultaneous requests to an idle max_batch 1 / max_queue 1 server) is checked deterministically.
 * Run: mvn -B verify -Dseqmatch.native.skip -pl java/seqmatch-serving -am -Dtest=AdmissionTest
 */
package ai.seqmatch.serving;

import static ai.seqmatch.serving.TestWait.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.serving.engine.OrtStepEngine;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AdmissionTest {
  private ThrottledEngine engine;
  private final List<ServingCore> cores = new ArrayList<>();

  @BeforeEach
  void load() {
    engine = new ThrottledEngine(OrtStepEngine.load(TestModels.onnx(), 1));
  }

  @AfterEach
  void close() {
    engine.release();
    cores.forEach(ServingCore::close);
    engine.close();
  }

  private ServingCore core(int maxBatch, int maxQueue) {
    ServingCore c = ServingCore.create(engine, null, ServerLimits.defaults().withMaxBatch(maxBatch)
        .withMaxQueue(maxQueue));
    cores.add(c);
    return c;
  }

  /** A session of a few greedy tokens whose outcome (null: finished, else the error's kind) completes {@code done}. */
  private static Session session(ServingCore c, CompletableFuture<ServingException.Kind> done) {
    GenerationSpec spec = new GenerationSpec(null, new long[] {72, 101}, 4, 0, true, null, 0, null, 7L, null, null,
        false, false, false);
    return c.unarySession(c.prepare(spec, RequestValidator.Fields.PROTO), new GenerationSink() {
      @Override
      public boolean isReady() {
        return true;
      }

      @Override
      public void onEvent(GenerationEvent event) {}

      @Override
      public void onCompleted() {
        done.complete(null);
      }

      @Override
      public void onError(ServingException error) {
        done.complete(error.kind());
      }
    });
  }

  private static ServingException.Kind refusal(ServingCore c) {
    return assertThrows(ServingException.class, () -> c.submit(session(c, new CompletableFuture<>()))).kind();
  }

  @Test
  void aBurstBeforeAnyAdmissionGetsEveryFreeRowAndQueuePlace() throws Exception {
    ServingCore c = core(2, 1);
    List<CompletableFuture<ServingException.Kind>> done = new ArrayList<>();
    for (int i = 0; i < 3; i++) { // 2 rows + 1 queue place, none admitted yet: the loop has not started
      CompletableFuture<ServingException.Kind> f = new CompletableFuture<>();
      c.submit(session(c, f));
      done.add(f);
    }
    assertEquals(3, c.scheduler().inFlight());
    assertEquals(ServingException.Kind.RESOURCE_EXHAUSTED, refusal(c));
    assertEquals(3, c.scheduler().inFlight(), "a refusal takes no place");
    c.start();
    for (CompletableFuture<ServingException.Kind> f : done) {
      assertNull(f.get(60, TimeUnit.SECONDS));
    }
    assertTrue(waitFor(() -> c.scheduler().inFlight() == 0), "places freed: " + c.scheduler().inFlight());
  }

  @Test
  void noQueueMeansOnlyFreeRowsAreTaken() throws Exception {
    ServingCore c = core(1, 0);
    CompletableFuture<ServingException.Kind> first = new CompletableFuture<>();
    c.submit(session(c, first));
    assertEquals(ServingException.Kind.RESOURCE_EXHAUSTED, refusal(c));
    c.start();
    assertNull(first.get(60, TimeUnit.SECONDS));
    assertTrue(waitFor(() -> c.scheduler().inFlight() == 0), "place freed");
    CompletableFuture<ServingException.Kind> next = new CompletableFuture<>();
    c.submit(session(c, next)); // the row is free again
    assertNull(next.get(60, TimeUnit.SECONDS));
  }

  @Test
  void cancellingARunningOrQueuedRequestFreesItsPlace() throws Exception {
    ServingCore c = core(1, 1);
    engine.hold(); // the admitted row takes no step until released
    c.start();
    CompletableFuture<ServingException.Kind> runningDone = new CompletableFuture<>();
    Session running = session(c, runningDone);
    c.submit(running);
    assertTrue(waitFor(() -> c.scheduler().activeRows() == 1), "admitted");
    Session queued = session(c, new CompletableFuture<>());
    c.submit(queued);
    assertEquals(2, c.scheduler().inFlight());
    assertEquals(ServingException.Kind.RESOURCE_EXHAUSTED, refusal(c));
    c.scheduler().cancel(queued); // leaves the queue at once
    assertEquals(1, c.scheduler().inFlight());
    CompletableFuture<ServingException.Kind> again = new CompletableFuture<>();
    c.submit(session(c, again));
    c.scheduler().cancel(running); // freed by the loop before its next step
    engine.release();
    assertNull(again.get(60, TimeUnit.SECONDS));
    assertFalse(runningDone.isDone() && runningDone.get() == null, "a cancelled request does not finish");
    assertTrue(waitFor(() -> c.scheduler().inFlight() == 0 && c.scheduler().activeRows() == 0), "places freed: "
        + c.scheduler().inFlight());
  }

  @Test
  void drainingRefusesWithUnavailableAndTakesNoPlace() {
    ServingCore c = core(1, 1);
    c.drain();
    assertEquals(ServingException.Kind.UNAVAILABLE, refusal(c));
    assertEquals(0, c.scheduler().inFlight());
  }
}
