/*
 * A streaming client for tests: records the call (to cancel it or request more), the events and the
 * final status; optionally reads only what the test requests (flow control).
 */
package ai.seqmatch.grpc;

import ai.seqmatch.grpc.v1.GenerateEvent;
import ai.seqmatch.grpc.v1.GenerateRequest;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

final class RecordingObserver implements ClientResponseObserver<GenerateRequest, GenerateEvent> {
  final AtomicReference<ClientCallStreamObserver<GenerateRequest>> call = new AtomicReference<>();
  final AtomicReference<GenerateEvent> last = new AtomicReference<>();
  final AtomicInteger received = new AtomicInteger();
  final CountDownLatch firstEvent = new CountDownLatch(1);
  final CompletableFuture<Status> done = new CompletableFuture<>();
  private final int initialRequests; // < 0: gRPC's automatic flow control

  private RecordingObserver(int initialRequests) {
    this.initialRequests = initialRequests;
  }

  /** Reads everything as it comes. */
  static RecordingObserver reading() {
    return new RecordingObserver(-1);
  }

  /** Reads {@code n} events, then only what the test requests through {@link #call}. */
  static RecordingObserver requesting(int n) {
    return new RecordingObserver(n);
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<GenerateRequest> requestStream) {
    call.set(requestStream);
    if (initialRequests >= 0) {
      requestStream.disableAutoRequestWithInitial(initialRequests);
    }
  }

  @Override
  public void onNext(GenerateEvent value) {
    received.incrementAndGet();
    last.set(value);
    firstEvent.countDown();
  }

  @Override
  public void onError(Throwable t) {
    done.complete(Status.fromThrowable(t));
  }

  @Override
  public void onCompleted() {
    done.complete(Status.OK);
  }
}
