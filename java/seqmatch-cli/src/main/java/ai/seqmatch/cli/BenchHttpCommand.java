/*
 * `seqmatch bench http`: the two front ends over one ServingCore, HTTP (OpenAI SSE) against gRPC
 * (GenerateStream), at several concurrencies. One JVM, loopback, as the gRPC load test
 * (ServeLoadTest) measures: a random GPT-2 of its shape exported to ONNX (or --model DIR), c concurrent
 * streams of --new-tokens tokens from 16 random prompt ids, seeded sampling at temperature 1 with backspace
 * allowed (the same requests over both front ends). Client-side figures: token events/s (every appended
 * token, later deleted ones included) and time to first token (from sending the request to the first
 * token event: queueing included). HTTP runs twice: with seqmatch.backspace_events (every edit as it
 * happens, like the gRPC stream) and as a plain OpenAI client (commit-only: with backspace possible, text
 * comes only once it can no longer be deleted, i.e. at the end). Each configuration runs --repeats times,
 * the front ends interleaved so that a passing load spike hits them alike; the table gives the median
 * token events/s and TTFT percentiles over all repeats' streams. A benchmark, not a test.
 */
package ai.seqmatch.cli;

import ai.seqmatch.Device;
import ai.seqmatch.InvalidInputException;
import ai.seqmatch.grpc.NettyTransport;
import ai.seqmatch.grpc.SeqMatchServer;
import ai.seqmatch.grpc.v1.GenerateEvent;
import ai.seqmatch.grpc.v1.GenerateRequest;
import ai.seqmatch.grpc.v1.GenerationGrpc;
import ai.seqmatch.grpc.v1.TokenIds;
import ai.seqmatch.http.HttpServer;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.model.ModelConfig;
import ai.seqmatch.onnx.OnnxExporter;
import ai.seqmatch.serving.ServerLimits;
import ai.seqmatch.serving.ServingCore;
import ai.seqmatch.serving.engine.OrtStepEngine;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "http", mixinStandardHelpOptions = true,
    description = {"HTTP (OpenAI SSE) vs gRPC streaming over one serving core: token events/s and time to first "
        + "token at each --concurrency, client and server in one JVM over loopback (CPU).",
        "Without --model, a random GPT-2 (vocab 8192, 4 layers, 256 wide, 256 positions) is exported to ONNX "
            + "in a temporary directory, as the gRPC load test does."})
final class BenchHttpCommand implements Callable<Integer> {
  static final ModelConfig LOAD = ModelConfig.builder(8192).optNPositions(256).optNEmbd(256).optNLayer(4)
      .optNHead(4).optEosTokenId(8190).optBkspcTokenId(8191).build();

  @Spec CommandSpec spec;

  @Option(names = "--model", paramLabel = "DIR", description = "An ONNX export to serve instead of the random one.")
  Path model;

  @Option(names = "--concurrency", split = ",", defaultValue = "1,16,64",
      description = "Concurrent streams per run (default: ${DEFAULT-VALUE}).")
  int[] concurrency;

  @Option(names = "--new-tokens", defaultValue = "64", description = "max_tokens per stream (default: ${DEFAULT-VALUE}).")
  int newTokens;

  @Option(names = "--repeats", defaultValue = "3", description = "Runs per configuration (default: ${DEFAULT-VALUE}).")
  int repeats;

  @Option(names = "--max-batch", defaultValue = "16", description = "Rows decoded together (default: ${DEFAULT-VALUE}).")
  int maxBatch;

  @Option(names = "--threads", defaultValue = "0", description = "ONNX Runtime intra-op threads; 0 = its default.")
  int threads;

  /** One front end's run. */
  private record Run(long tokens, double wallSeconds, List<Double> ttftMs) {}

  @Override
  public Integer call() throws Exception {
    List<String> problems = new ArrayList<>();
    for (int c : concurrency) {
      if (c < 1 || c > 1024) {
        problems.add("--concurrency values must be in 1..1024 (got " + c + ")");
      }
    }
    if (newTokens < 1 || newTokens > 200) {
      problems.add("--new-tokens must be in 1..200 (got " + newTokens + "; prompts are 16 tokens of 256 positions)");
    }
    if (repeats < 1 || repeats > 100) {
      problems.add("--repeats must be in 1..100 (got " + repeats + ")");
    }
    if (threads < 0) {
      problems.add("--threads must be >= 0 (got " + threads + ")");
    }
    if (!problems.isEmpty()) {
      throw new InvalidInputException(String.join("; ", problems));
    }
    PrintWriter out = spec.commandLine().getOut();
    Path dir = model != null ? model : randomExport();
    int maxConcurrency = java.util.Arrays.stream(concurrency).max().orElse(1);
    ServerLimits limits = ServerLimits.defaults().withMaxBatch(maxBatch).withMaxQueue(Math.max(64, maxConcurrency))
        .withMaxNewTokensLimit(Math.max(64, newTokens));
    try (OrtStepEngine engine = OrtStepEngine.load(dir, threads);
        ServingCore core = ServingCore.create(engine, null, limits)) {
      SeqMatchServer grpc = SeqMatchServer.builder(NettyTransport.server("127.0.0.1", 0, null, null, 1000), core)
          .build().start();
      HttpServer http = HttpServer.builder(core).build().start();
      ManagedChannel channel = NettyTransport.channel("127.0.0.1:" + grpc.port(), null);
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .executor(Executors.newCachedThreadPool()).build();
      String url = "http://127.0.0.1:" + http.port() + "/v1/completions";
      long vocab = engine.info().vocabSize();
      try {
        out.printf("seqmatch bench http: %s, max-batch %d, %d new tokens per stream, %d CPUs%n",
            model != null ? dir : "random GPT-2 (V 8192, 4 layers, 256 wide)", maxBatch, newTokens,
            Runtime.getRuntime().availableProcessors());
        grpcRun(channel, 4, 8, vocab, new Random(9)); // warm-up: JIT, ONNX Runtime, connections
        httpRun(client, url, 4, 8, vocab, new Random(9), true);
        out.println("| front end | streams | token events per run | token events/s (median of " + repeats
            + ") | TTFT p50 ms | TTFT p99 ms |");
        out.println("|---|---:|---:|---:|---:|---:|");
        String[] names = {"gRPC stream", "HTTP SSE, backspace_events", "HTTP SSE, plain (commit-only)"};
        for (int c : concurrency) {
          List<List<Run>> runs = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
          for (int rep = 0; rep < repeats; rep++) {
            runs.get(0).add(grpcRun(channel, c, newTokens, vocab, new Random(c)));
            runs.get(1).add(httpRun(client, url, c, newTokens, vocab, new Random(c), true));
            runs.get(2).add(httpRun(client, url, c, newTokens, vocab, new Random(c), false));
          }
          for (int f = 0; f < names.length; f++) {
            print(out, names[f], c, runs.get(f));
          }
          out.flush();
        }
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        http.shutdown(Duration.ofSeconds(5));
        grpc.shutdown(Duration.ofSeconds(5));
      }
    }
    return 0;
  }

  private static void print(PrintWriter out, String name, int streams, List<Run> runs) {
    List<Double> rates = new ArrayList<>();
    List<Double> ttft = new ArrayList<>();
    for (Run r : runs) {
      rates.add(r.tokens() / r.wallSeconds());
      ttft.addAll(r.ttftMs());
    }
    out.printf(Locale.ROOT, "| %s | %d | %d | %.0f | %.0f | %.0f |%n", name, streams, runs.get(0).tokens(),
        pct(rates, 50), pct(ttft, 50), pct(ttft, 99));
  }

  private Path randomExport() throws java.io.IOException {
    Path ckpt = Files.createTempDirectory("seqmatch-bench-http-ckpt-");
    Path onnx = Files.createTempDirectory("seqmatch-bench-http-onnx-");
    ckpt.toFile().deleteOnExit();
    try (CausalLM m = CausalLM.create(LOAD, 3, Device.cpu())) {
      m.save(ckpt);
    }
    OnnxExporter.builder(ckpt, onnx).build().export();
    return onnx;
  }

  private static long[] prompt(Random rnd, long vocab) {
    return rnd.longs(16, 0, Math.min(8000, vocab - 2)).toArray();
  }

  private static Run grpcRun(ManagedChannel ch, int n, int maxNew, long vocab, Random rnd)
      throws InterruptedException {
    CountDownLatch done = new CountDownLatch(n);
    List<Double> ttft = Collections.synchronizedList(new ArrayList<>());
    AtomicLong tokens = new AtomicLong();
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      GenerateRequest req = GenerateRequest.newBuilder().setTokenIds(TokenIds.newBuilder()
          .addAllIds(java.util.Arrays.stream(prompt(rnd, vocab)).boxed().toList())).setMaxNewTokens(maxNew)
          .setSeed(i).setTemperature(1.0).build();
      long start = System.nanoTime();
      GenerationGrpc.newStub(ch).withDeadlineAfter(300, TimeUnit.SECONDS).generateStream(req,
          new StreamObserver<GenerateEvent>() {
            boolean first = true;

            @Override
            public void onNext(GenerateEvent e) {
              if (e.hasToken()) {
                if (first) {
                  first = false;
                  ttft.add((System.nanoTime() - start) / 1e6);
                }
                tokens.incrementAndGet();
              }
            }

            @Override
            public void onError(Throwable t) {
              done.countDown();
            }

            @Override
            public void onCompleted() {
              done.countDown();
            }
          });
    }
    if (!done.await(600, TimeUnit.SECONDS)) {
      throw new IllegalStateException("bench http: gRPC streams did not end within 600 s");
    }
    return new Run(tokens.get(), (System.nanoTime() - t0) / 1e9, new ArrayList<>(ttft));
  }

  private static Run httpRun(HttpClient client, String url, int n, int maxNew, long vocab, Random rnd,
      boolean backspaceEvents) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    List<Double> ttft = Collections.synchronizedList(new ArrayList<>());
    AtomicLong tokens = new AtomicLong();
    long t0 = System.nanoTime();
    try {
      List<java.util.concurrent.Future<?>> all = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String ids = java.util.Arrays.stream(prompt(rnd, vocab)).mapToObj(Long::toString)
            .collect(Collectors.joining(","));
        String body = "{\"prompt\":[" + ids + "],\"max_tokens\":" + maxNew + ",\"temperature\":1.0,\"seed\":" + i
            + ",\"stream\":true" + (backspaceEvents ? ",\"seqmatch\":{\"backspace_events\":true}" : "") + "}";
        all.add(pool.submit(() -> {
          long start = System.nanoTime();
          HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(URI.create(url))
              .timeout(Duration.ofSeconds(600)).header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
          boolean first = true;
          try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
              if (!line.startsWith("data: {") || !line.contains("\"text\":")) {
                continue; // the usage chunk, [DONE], blank separators
              }
              boolean last = !line.contains("\"finish_reason\":null");
              boolean token = backspaceEvents && !last && !line.contains("\"backspace\":");
              if (first && (token || !backspaceEvents)) { // plain: the first text a client sees
                first = false;
                ttft.add((System.nanoTime() - start) / 1e6);
              }
              if (token) {
                tokens.incrementAndGet();
              } else if (last && !backspaceEvents) { // plain text came in one piece: count from the result
                tokens.addAndGet(appendedTokens(line));
              }
            }
          }
          return null;
        }));
      }
      for (java.util.concurrent.Future<?> f : all) {
        f.get(600, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    return new Run(tokens.get(), (System.nanoTime() - t0) / 1e9, new ArrayList<>(ttft));
  }

  /** Appended tokens of a finished stream: actions - backspaces (the last chunk's seqmatch figures). */
  private static long appendedTokens(String line) throws java.io.IOException {
    com.fasterxml.jackson.databind.JsonNode n = new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(line.substring("data: ".length())).path("seqmatch");
    return n.path("actions").asLong() - n.path("backspaces").asLong();
  }

  private static double pct(List<Double> xs, int p) {
    List<Double> s = new ArrayList<>(xs);
    Collections.sort(s);
    return s.isEmpty() ? Double.NaN : s.get(Math.min(s.size() - 1, (int) Math.ceil(p / 100.0 * s.size()) - 1));
  }
}
