/*
 * Load test (tag "load", not in the default run): a loopback Netty server on the ONNX engine with a
 * random GPT-2 (V 8192, 4 layers, 256 wide). (1) 64 and 96 concurrent streams, a quarter disconnected at
 * random points (half cancel the call, half drop their TCP connection), three rounds each: leaked rows,
 * RSS, latency percentiles. (2) A connection flood: 3000 silent TCP connections against --max-connections
 * 1000 (and without a cap, as before issue 14): refused connections, server file descriptors, an existing
 * client's latency during the flood, and recovery after the handshake timeout. (3) 32 streams of 64 tokens
 * with max-batch 16 vs 1: throughput, time-to-first-token and per-token latency percentiles (client
 * side). Figures go to docs/PERFORMANCE.md and docs/RELIABILITY.md. Run:
 *   mvn -B verify -Dseqmatch.native.skip -pl java/seqmatch-grpc -Dtest=ServeLoadTest \
 *     -Dseqmatch.grpc.groups=load -Dseqmatch.grpc.excludedGroups=
 */
package ai.seqmatch.grpc;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.Device;
import ai.seqmatch.grpc.v1.GenerateEvent;
import ai.seqmatch.grpc.v1.GenerateRequest;
import ai.seqmatch.grpc.v1.GenerationGrpc;
import ai.seqmatch.grpc.v1.TokenIds;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.model.ModelConfig;
import ai.seqmatch.onnx.OnnxExporter;
import ai.seqmatch.serving.ConnectionLimits;
import ai.seqmatch.serving.ServerLimits;
import ai.seqmatch.serving.TestModels;
import ai.seqmatch.serving.engine.OrtStepEngine;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.net.Socket;
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
    try (CausalLM m = CausalLM.create(CONFIG, 3, Device.cpu())) {
      m.save(ckpt);
    }
    OnnxExporter.builder(ckpt, onnx).build().export();
    try (OrtStepEngine engine = OrtStepEngine.load(onnx, 0)) {
      System.out.println("## disconnects: concurrent streams of 48 tokens, 1/4 disconnected at random (cancel or "
          + "TCP drop), max-batch 16, queue 96");
      System.out.println("| streams | round | finished | disconnected | wall s | TTFT p50 ms | TTFT p99 ms | "
          + "per-token p50 ms | per-token p99 ms | rows after | in flight after | RSS MiB |");
      System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
      for (int streams : new int[] {64, 96}) {
        SeqMatchServer server = start(engine, 16, ConnectionLimits.defaults());
        ManagedChannel ch = NettyTransport.channel("127.0.0.1:" + server.port(), null);
        try {
          for (int round = 0; round < 3; round++) {
            long t0 = System.nanoTime();
            Result r = burst(ch, streams, 48, 0.25, new Random(round));
            double wall = (System.nanoTime() - t0) / 1e9;
            assertTrue(AbstractGenerationSuite.waitFor(() -> server.activeRows() == 0 && server.inFlight() == 0),
                "leaked rows: active " + server.activeRows() + ", in flight " + server.inFlight());
            System.gc();
            System.out.printf("| %d | %d | %d | %d | %.1f | %.0f | %.0f | %.1f | %.1f | %d | %d | %d |%n", streams,
                round, r.finished, r.cancelled, wall, pct(r.ttft, 50), pct(r.ttft, 99), pct(r.gaps, 50),
                pct(r.gaps, 99), server.activeRows(), server.inFlight(), rssMiB());
          }
        } finally {
          ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
          server.shutdown(Duration.ofSeconds(5));
        }
      }
      flood(engine, ConnectionLimits.defaults(), "--max-connections 1000, --handshake-timeout 10 s (defaults)");
      flood(engine, ConnectionLimits.defaults().withMaxConnections(Integer.MAX_VALUE)
          .withHandshakeTimeout(Duration.ofSeconds(120)), "no cap, 120 s handshake (grpc's default, as before)");
      System.out.println("| max-batch | streams | tokens | wall s | tok/s | TTFT p50 ms | TTFT p99 ms | "
          + "per-token p50 ms | per-token p99 ms |");
      System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
      for (int batch : new int[] {16, 1}) {
        SeqMatchServer s = start(engine, batch, ConnectionLimits.defaults());
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

  private static SeqMatchServer start(OrtStepEngine engine, int maxBatch, ConnectionLimits connections) {
    return SeqMatchServer.builder(NettyTransport.server("127.0.0.1", 0, null, null, 200, connections), engine)
        .optLimits(ServerLimits.defaults().withMaxBatch(maxBatch).withMaxQueue(96)).build().start();
  }

  /**
   * 3000 silent TCP connections (no TLS or HTTP/2 preface) while one client, connected before, keeps
   * generating: how many the server closed at once, its file descriptors, the client's latency, and
   * whether a new client is served once the flood's connections reached the handshake timeout.
   */
  private static void flood(OrtStepEngine engine, ConnectionLimits limits, String label) throws Exception {
    int n = 3000;
    SeqMatchServer server = start(engine, 16, limits);
    ManagedChannel ch = NettyTransport.channel("127.0.0.1:" + server.port(), null);
    List<Socket> sockets = new ArrayList<>();
    try {
      burst(ch, 4, 8, 0, new Random(1)); // connected (and warm) before the flood
      long fd0 = openFds();
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        sockets.add(new Socket("127.0.0.1", server.port()));
      }
      double openSeconds = (System.nanoTime() - t0) / 1e9;
      Result during = burst(ch, 16, 32, 0, new Random(2));
      int refused = 0;
      for (Socket s : sockets) {
        refused += closedByServer(s, 1) ? 1 : 0;
      }
      long serverFds = openFds() - fd0 - n; // our n client ends are open either way
      System.out.printf("## flood, %s: %d silent connections opened in %.1f s; closed at once by the server: %d; "
          + "server-side sockets held: %d; RSS %d MiB; an earlier client's 16 streams during the flood: %d finished, "
          + "TTFT p50 %.0f ms p99 %.0f ms, per-token p50 %.1f ms p99 %.1f ms%n", label, n, openSeconds, refused,
          serverFds, rssMiB(), during.finished, pct(during.ttft, 50), pct(during.ttft, 99), pct(during.gaps, 50),
          pct(during.gaps, 99));
      if (limits.maxConnections() != Integer.MAX_VALUE) {
        long waitStart = System.nanoTime();
        assertTrue(AbstractGenerationSuite.waitFor(() -> {
          try {
            return openFds() - fd0 - n <= 1;
          } catch (java.io.IOException e) {
            return false;
          }
        }), "the flood's connections were not closed");
        double closedAfter = (System.nanoTime() - t0) / 1e9;
        ManagedChannel fresh = NettyTransport.channel("127.0.0.1:" + server.port(), null);
        try {
          Result after = burst(fresh, 4, 8, 0, new Random(3));
          System.out.printf("   after the handshake timeout: server-side sockets back to %d within %.1f s of the flood "
              + "(waited %.1f s); a new client's 4 streams: %d finished; rows %d, in flight %d%n",
              Math.max(0, openFds() - fd0 - n), closedAfter, (System.nanoTime() - waitStart) / 1e9, after.finished,
              server.activeRows(), server.inFlight());
        } finally {
          fresh.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
      }
    } finally {
      for (Socket s : sockets) {
        s.close();
      }
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdown(Duration.ofSeconds(5));
    }
  }

  /** Whether the server has closed {@code s} (EOF or reset) within {@code millis}, reading what it sent. */
  private static boolean closedByServer(Socket s, int millis) throws java.io.IOException {
    s.setSoTimeout(millis);
    byte[] buf = new byte[256];
    try {
      while (s.getInputStream().read(buf) >= 0) {
        // the server's HTTP/2 settings frame
      }
      return true;
    } catch (java.net.SocketTimeoutException open) {
      return false;
    } catch (java.net.SocketException reset) {
      return true;
    }
  }

  private static long openFds() throws java.io.IOException {
    try (var fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    }
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
      // Half of the disconnecting streams drop their own TCP connection instead of cancelling the call.
      ManagedChannel own = cancelAfterMs >= 0 && rnd.nextBoolean() ? NettyTransport.channel(ch.authority(), null) : null;
      ctx.run(() -> GenerationGrpc.newStub(own != null ? own : ch).withDeadlineAfter(120, TimeUnit.SECONDS)
          .generateStream(req,
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
          if (own != null) {
            own.shutdownNow(); // closes the connection under the call
          } else {
            ctx.cancel(null);
          }
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
