/*
 * Load test (tag "load", not in the default run): a loopback Netty server on the ONNX engine with a
 * random GPT-2 (V 8192, 4 layers, 256 wide). (1) 64 concurrent streams, a quarter cancelled at random
 * points, three rounds: no leaked rows, RSS flat. (2) 32 streams of 64 tokens with max-batch 16 vs 1:
 * throughput, time-to-first-token and per-token latency percentiles (client side). Figures go to
 * docs/PERFORMANCE.md. Run:
 *   mvn -B verify -Dseqmatch.native.skip -pl java/seqmatch-grpc -Dtest=ServeLoadTest \
 *     -Dseqmatch.grpc.groups=load -Dseqmatch.grpc.excludedGroups=
 */
package ai.seqmatch.grpc;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.Device;
import ai.seqmatch.grpc.engine.OrtStepEngine;
import ai.seqmatch.grpc.v1.GenerateEvent;
import ai.seqmatch.grpc.v1.GenerateRequest;
import ai.seqmatch.grpc.v1.GenerationGrpc;
import ai.seqmatch.grpc.v1.TokenIds;
import ai.seqmatch.model.Gpt2Model;
import ai.seqmatch.model.ModelConfig;
import ai.seqmatch.onnx.OnnxExporter;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("load")
class ServeLoadTest {
  static final ModelConfig CONFIG = ModelConfig.builder(8192).optNPositions(256).optNEmbd(256).optNLayer(4)
      .optNHead(4).optEosTokenId(8190).optBkspcTokenId(8191).build();

  @Test
  void load() throws Exception {
    Path ckpt = Files.createTempDirectory(TestModels.workDir(), "load-ckpt-");
    Path onnx = Files.createTempDirectory(TestModels.workDir(), "load-onnx-");
    try (Gpt2Model m = Gpt2Model.create(CONFIG, 3, Device.cpu())) {
      m.save(ckpt);
    }
    OnnxExporter.builder(ckpt, onnx).build().export();
    try (OrtStepEngine engine = OrtStepEngine.load(onnx, 0)) {
      System.out.println("## cancellations: 64 concurrent streams, 1/4 cancelled, max-batch 16, queue 64");
      SeqMatchServer server = start(engine, 16);
      ManagedChannel ch = NettyTransport.channel("127.0.0.1:" + server.port(), null);
      try {
        for (int round = 0; round < 3; round++) {
          long t0 = System.nanoTime();
          Result r = burst(ch, 64, 48, 0.25, new Random(round));
          assertTrue(AbstractGenerationSuite.waitFor(() -> server.activeRows() == 0 && server.inFlight() == 0),
              "leaked rows: active " + server.activeRows() + ", in flight " + server.inFlight());
          System.gc();
          System.out.printf("round %d: %d finished, %d cancelled, %.1f s, rows after: %d, RSS %d MiB%n", round,
              r.finished, r.cancelled, (System.nanoTime() - t0) / 1e9, server.activeRows(), rssMiB());
        }
      } finally {
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.shutdown(Duration.ofSeconds(5));
      }
      System.out.println("| max-batch | streams | tokens | wall s | tok/s | TTFT p50 ms | TTFT p99 ms | "
          + "per-token p50 ms | per-token p99 ms |");
      System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
      for (int batch : new int[] {16, 1}) {
        SeqMatchServer s = start(engine, batch);
        ManagedChannel c = NettyTransport.channel("127.0.0.1:" + s.port(), null);
        try {
          burst(c, 4, 8, 0, new Random(9)); // warm-up
          long t0 = System.nanoTime();
          Result r = burst(c, 32, 64, 0, new Random(7));
          double wall = (System.nanoTime() - t0) / 1e9;
          System.out.printf("| %d | 32 | %d | %.2f | %.0f | %.1f | %.1f | %.2f | %.2f |%n", batch, r.tokens, wall,
              r.tokens / wall, pct(r.ttft, 50), pct(r.ttft, 99), pct(r.gaps, 50), pct(r.gaps, 99));
        } finally {
          c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
          s.shutdown(Duration.ofSeconds(5));
        }
      }
    }
  }

  private static SeqMatchServer start(OrtStepEngine engine, int maxBatch) {
    return SeqMatchServer.builder(NettyTransport.server("127.0.0.1", 0, null, null, 200), engine)
        .optLimits(ServerLimits.defaults().withMaxBatch(maxBatch).withMaxQueue(64)).build().start();
  }

  record Result(int finished, int cancelled, long tokens, List<Double> ttft, List<Double> gaps) {}

  /** n concurrent streams of maxNew tokens; each is cancelled with probability pCancel after a random delay. */
  private static Result burst(ManagedChannel ch, int n, int maxNew, double pCancel, Random rnd)
      throws InterruptedException {
    CountDownLatch done = new CountDownLatch(n);
    List<Double> ttft = Collections.synchronizedList(new ArrayList<>());
    List<Double> gaps = Collections.synchronizedList(new ArrayList<>());
    int[] counts = new int[2];
    long[] tokens = new long[1];
    for (int i = 0; i < n; i++) {
      GenerateRequest req = GenerateRequest.newBuilder().setTokenIds(TokenIds.newBuilder()
          .addAllIds(rnd.longs(16, 0, 8000).boxed().toList())).setMaxNewTokens(maxNew).setSeed(i).build();
      Context.CancellableContext ctx = Context.current().withCancellation();
      long start = System.nanoTime();
      long cancelAfterMs = rnd.nextDouble() < pCancel ? 50 + rnd.nextInt(1500) : -1;
      ctx.run(() -> GenerationGrpc.newStub(ch).withDeadlineAfter(120, TimeUnit.SECONDS).generateStream(req,
          new StreamObserver<GenerateEvent>() {
            long last = start;

            @Override
            public void onNext(GenerateEvent e) {
              long now = System.nanoTime();
              if (last == start) {
                ttft.add((now - start) / 1e6);
              } else {
                gaps.add((now - last) / 1e6);
              }
              last = now;
              if (e.hasToken()) {
                synchronized (tokens) {
                  tokens[0]++;
                }
              }
            }

            @Override
            public void onError(Throwable t) {
              synchronized (counts) {
                counts[1]++;
              }
              done.countDown();
            }

            @Override
            public void onCompleted() {
              synchronized (counts) {
                counts[0]++;
              }
              done.countDown();
            }
          }));
      if (cancelAfterMs >= 0) {
        Thread t = new Thread(() -> {
          try {
            Thread.sleep(cancelAfterMs);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          ctx.cancel(null);
        });
        t.setDaemon(true);
        t.start();
      }
    }
    assertTrue(done.await(300, TimeUnit.SECONDS), "streams did not end");
    return new Result(counts[0], counts[1], tokens[0], new ArrayList<>(ttft), new ArrayList<>(gaps));
  }

  private static double pct(List<Double> xs, int p) {
    List<Double> s = new ArrayList<>(xs);
    Collections.sort(s);
    return s.isEmpty() ? Double.NaN : s.get(Math.min(s.size() - 1, (int) Math.ceil(p / 100.0 * s.size()) - 1));
  }

  private static long rssMiB() throws java.io.IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
      }
    }
    return -1;
  }
}
