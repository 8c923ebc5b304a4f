/*
 * `seqmatch serve`: the gRPC server (proto/seqmatch/v1/generation.proto) and/or the OpenAI-compatible HTTP
 * server (--http-port), both over one ServingCore (one scheduler), on an ONNX export (--model DIR,
 * ONNX Runtime with a per-row KV cache) or, for development, a native checkpoint (--checkpoint DIR, full
 * recompute per step: slow). Prints the bound address, serves until SIGTERM / Ctrl-C, then drains: health
 * NOT_SERVING, new calls refused, calls in flight finish within --drain-timeout, the rest are cancelled.
 * TLS files are checked before the model loads; connection limits bound the sockets clients can hold; if
 * the scheduler stops on its own the server drains and exits 1 (docs/RELIABILITY.md).
 */
package ai.seqmatch.cli;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.grpc.BearerAuth;
import ai.seqmatch.grpc.NettyTransport;
import ai.seqmatch.grpc.SeqMatchServer;
import ai.seqmatch.http.HttpServer;
import ai.seqmatch.serving.ConnectionLimits;
import ai.seqmatch.serving.ServerLimits;
import ai.seqmatch.serving.ServingCore;
import ai.seqmatch.serving.TlsFiles;
import ai.seqmatch.serving.engine.OrtStepEngine;
import ai.seqmatch.serving.engine.RecomputeStepEngine;
import ai.seqmatch.serving.engine.StepEngine;
import ai.seqmatch.tokenize.Tokenizer;
import ai.seqmatch.tokenize.Tokenizers;
import io.grpc.netty.NettyServerBuilder;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Serve a model over gRPC (seqmatch.v1.Generation, grpc.health.v1, reflection) and, with "
            + "--http-port, over OpenAI's HTTP API (/v1/completions, /v1/chat/completions with SSE streaming, "
            + "/v1/models, /health, /metrics); both share one scheduler.",
        "Give --model DIR (an export of 'seqmatch export', ONNX Runtime) or --checkpoint DIR (native, "
            + "development only: recomputes the whole sequence every step).",
        "Prints 'listening on HOST:PORT'; stops on SIGTERM/Ctrl-C after draining calls in flight.",
        "Connections: at most --max-connections open (more are closed at once, logged at most every 10 s); a "
            + "connection must finish its TLS/HTTP/2 handshake within --handshake-timeout and is closed after "
            + "--idle-timeout without calls.",
        "Exits 1 if the decode loop stops (health turns NOT_SERVING first), so a supervisor can restart it."})
final class ServeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--model", paramLabel = "DIR", description = "ONNX export directory.")
  Path model;

  @Option(names = "--checkpoint", paramLabel = "DIR", description = "Native checkpoint directory (slow; development).")
  Path checkpoint;

  @Option(names = "--adapter", paramLabel = "DIR",
      description = "LoRA adapter directory (PEFT format) on the --checkpoint base. For --model, export the merged "
          + "model instead: seqmatch export --adapter.")
  Path adapter;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Bind address (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--port", defaultValue = "50051", description = "Port; 0 = any free port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--http-port", paramLabel = "PORT",
      description = "Also serve OpenAI's HTTP API on this port (same --host, TLS, token and limits); 0 = any free port.")
  Integer httpPort;

  @Option(names = "--no-grpc", description = "Serve HTTP only (needs --http-port).")
  boolean noGrpc;

  @Option(names = "--served-model-name", paramLabel = "NAME",
      description = "The model id of /v1/models (default: the model directory's name).")
  String servedModelName;

  @Option(names = "--max-batch", defaultValue = "16", description = "Rows decoded together (default: ${DEFAULT-VALUE}).")
  int maxBatch;

  @Option(names = "--queue", defaultValue = "64", description = "Requests that may wait for a row; more get RESOURCE_EXHAUSTED (default: ${DEFAULT-VALUE}).")
  int queue;

  @Option(names = "--max-streams", defaultValue = "100", description = "Concurrent calls per connection (default: ${DEFAULT-VALUE}).")
  int maxStreams;

  @Option(names = "--max-prompt-tokens", defaultValue = "1024", description = "Longest prompt (default: ${DEFAULT-VALUE}).")
  int maxPromptTokens;

  @Option(names = "--max-new-tokens-limit", defaultValue = "1024", description = "Largest max_new_tokens (default: ${DEFAULT-VALUE}).")
  int maxNewTokensLimit;

  @Option(names = "--stalled-stream-timeout", defaultValue = "60", paramLabel = "SECONDS",
      description = "Free the row of a stream whose client reads nothing for this long (RESOURCE_EXHAUSTED); "
          + "0 = wait for the client's deadline (default: ${DEFAULT-VALUE}).")
  double stalledSeconds;

  @Option(names = "--threads", defaultValue = "0", description = "ONNX Runtime intra-op threads; 0 = its default.")
  int threads;

  @Option(names = "--max-connections", defaultValue = "1000",
      description = "Open TCP connections at most; more are closed as soon as they are accepted (default: ${DEFAULT-VALUE}).")
  int maxConnections;

  @Option(names = "--handshake-timeout", defaultValue = "10", paramLabel = "SECONDS",
      description = "Close a new connection that has not finished its TLS and HTTP/2 handshake by then "
          + "(default: ${DEFAULT-VALUE}).")
  double handshakeSeconds;

  @Option(names = "--idle-timeout", defaultValue = "300", paramLabel = "SECONDS",
      description = "Close a connection with no call in flight for this long (HTTP/2 GOAWAY: clients reconnect "
          + "transparently); 0 = never, under 1 counts as 1 (default: ${DEFAULT-VALUE}).")
  double idleSeconds;

  @Option(names = "--max-connection-age", defaultValue = "0", paramLabel = "SECONDS",
      description = "Ask a connection to close after this long (calls in flight get --drain-timeout to finish); "
          + "0 = never (default: ${DEFAULT-VALUE}).")
  double maxAgeSeconds;

  @Option(names = "--tls-cert", paramLabel = "FILE", description = "PEM certificate chain (enables TLS).")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "FILE",
      description = "PEM PKCS#8 private key of the certificate (checked at start-up: a mismatch exits 2).")
  Path tlsKey;

  @Option(names = "--auth-token-file", paramLabel = "FILE", description = "Require 'authorization: Bearer <token>' (token = the file's first line).")
  Path authTokenFile;

  @Option(names = "--drain-timeout", defaultValue = "30", description = "Seconds to let calls finish at shutdown (default: ${DEFAULT-VALUE}).")
  int drainSeconds;

  /** Counted down by tests (and the shutdown hook) to stop the server. */
  final CountDownLatch stop = new CountDownLatch(1);
  /** Counted down once the server has drained: the shutdown hook waits for it, or the JVM would exit first. */
  private final CountDownLatch stopped = new CountDownLatch(1);

  @Override
  public Integer call() throws Exception {
    List<String> problems = new ArrayList<>();
    if ((model == null) == (checkpoint == null)) {
      problems.add("give --model DIR or --checkpoint DIR (got " + (model == null ? "neither" : "both") + ")");
    }
    if (adapter != null && checkpoint == null) {
      problems.add("--adapter applies to --checkpoint (an ONNX --model is already merged: seqmatch export --adapter)");
    }
    if (port < 0 || port > 65535) {
      problems.add("--port must be in 0..65535 (got " + port + ")");
    }
    if (httpPort != null && (httpPort < 0 || httpPort > 65535)) {
      problems.add("--http-port must be in 0..65535 (got " + httpPort + ")");
    }
    if (noGrpc && httpPort == null) {
      problems.add("--no-grpc needs --http-port (nothing would be served)");
    }
    if (servedModelName != null && servedModelName.isBlank()) {
      problems.add("--served-model-name must not be blank");
    }
    if (maxStreams < 1) {
      problems.add("--max-streams must be >= 1 (got " + maxStreams + ")");
    }
    if (drainSeconds < 0) {
      problems.add("--drain-timeout must be >= 0 (got " + drainSeconds + ")");
    }
    if (threads < 0) {
      problems.add("--threads must be >= 0 (got " + threads + "; 0 = ONNX Runtime's default)");
    }
    Duration stalled = seconds(problems, "--stalled-stream-timeout", stalledSeconds, true);
    ServerLimits limits = null;
    try {
      limits = ServerLimits.defaults().withMaxBatch(maxBatch).withMaxQueue(queue)
          .withMaxPromptTokens(maxPromptTokens).withMaxNewTokensLimit(maxNewTokensLimit)
          .withStalledStreamMillis(stalled == null ? 0 : stalled.toMillis());
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage().replace("max_batch", "--max-batch").replace("max_queue", "--queue")
          .replace("max_prompt_tokens", "--max-prompt-tokens").replace("max_new_tokens_limit", "--max-new-tokens-limit")
          .replace("stalled_stream_millis", "--stalled-stream-timeout (in ms)"));
    }
    Duration handshake = seconds(problems, "--handshake-timeout", handshakeSeconds, false);
    Duration idle = seconds(problems, "--idle-timeout", idleSeconds, true);
    Duration maxAge = seconds(problems, "--max-connection-age", maxAgeSeconds, true);
    if (maxConnections < 1) {
      problems.add("--max-connections must be >= 1 (got " + maxConnections + ")");
    }
    if (!problems.isEmpty()) {
      throw new InvalidInputException(String.join("; ", problems));
    }
    ConnectionLimits connections = ConnectionLimits.defaults().withMaxConnections(maxConnections)
        .withHandshakeTimeout(handshake).withIdleTimeout(idle)
        .withMaxConnectionAge(maxAge, Duration.ofSeconds(drainSeconds));
    String token = authTokenFile == null ? null : BearerAuth.readToken(authTokenFile);
    // TLS files are checked here, before the (slow) model load.
    NettyServerBuilder transport = noGrpc ? null
        : NettyTransport.server(host, port, tlsCert, tlsKey, maxStreams, connections);
    if (noGrpc) {
      TlsFiles.checkPair(tlsCert, tlsKey);
    }
    Path dir = model != null ? model : checkpoint;
    String modelName = servedModelName != null ? servedModelName
        : dir.toAbsolutePath().normalize().getFileName() == null ? "seqmatch"
        : dir.toAbsolutePath().normalize().getFileName().toString();
    try (StepEngine engine = model != null ? OrtStepEngine.load(model, threads) : RecomputeStepEngine.load(checkpoint, adapter);
        Tokenizer tokenizer = Tokenizers.load(dir).orElse(null)) {
      AtomicReference<Throwable> failure = new AtomicReference<>();
      ServingCore core;
      try {
        core = ServingCore.create(engine, tokenizer, limits);
      } catch (IllegalArgumentException e) { // limits that do not fit this model: name the flag
        throw new InvalidInputException(e.getMessage().replace("max_batch", "--max-batch"));
      }
      SeqMatchServer server = null;
      HttpServer http = null;
      try {
        if (transport != null) {
          SeqMatchServer.Builder b = SeqMatchServer.builder(transport, core)
              .optDrainTimeout(Duration.ofSeconds(drainSeconds));
          if (token != null) {
            b.optAuthToken(token);
          }
          server = b.build().start();
        }
        if (httpPort != null) {
          HttpServer.Builder h = HttpServer.builder(core).optAddress(host, httpPort).optTls(tlsCert, tlsKey)
              .optConnectionLimits(connections).optDrainTimeout(Duration.ofSeconds(drainSeconds))
              .optModelName(modelName).optModelDir(dir);
          if (token != null) {
            h.optAuthToken(token);
          }
          http = h.build().start();
        }
      } catch (RuntimeException e) {
        if (server != null) {
          server.shutdown(Duration.ZERO);
        }
        core.close();
        throw e;
      }
      // After the front ends' own listeners, so health is NOT_SERVING before the drain starts; a failure
      // before this line is caught by the check after it.
      core.addFailureListener(cause -> {
        failure.set(cause);
        stop.countDown();
      });
      if (core.failure() != null) {
        failure.set(core.failure());
        stop.countDown();
      }
      Thread hook = new Thread(() -> {
        stop.countDown();
        try {
          stopped.await(drainSeconds + 15L, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "seqmatch-serve-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      PrintWriter out = spec.commandLine().getOut();
      String how = " (" + engine.info().engine() + (tlsCert != null ? ", tls" : "") + (token != null ? ", bearer auth"
          : "") + ")";
      if (server != null) {
        out.println("seqmatch serve: listening on " + host + ":" + server.port() + how);
      }
      if (http != null) {
        out.println("seqmatch serve: http listening on " + (tlsCert != null ? "https" : "http") + "://" + host + ":"
            + http.port() + " (OpenAI API, model '" + modelName + "')" + how);
      }
      out.flush();
      stop.await();
      core.drain(); // both front ends refuse new requests from now on; what runs may finish
      final SeqMatchServer grpc = server;
      final HttpServer web = http;
      Thread httpDrain = new Thread(() -> {
        if (web != null) {
          web.shutdown(Duration.ofSeconds(drainSeconds));
        }
      }, "seqmatch-http-drain");
      httpDrain.start();
      boolean clean = grpc == null || grpc.shutdown(Duration.ofSeconds(drainSeconds));
      httpDrain.join();
      core.close();
      out.println("seqmatch serve: stopped (" + (clean ? "drained" : "calls cancelled after --drain-timeout") + ")");
      out.flush();
      stopped.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // The JVM is already shutting down (SIGTERM): the hook is running, nothing to remove.
      }
      if (failure.get() != null) { // exit 1, one line (CliErrors)
        throw new IllegalStateException("the decode loop stopped (" + failure.get() + "); health was NOT_SERVING. "
            + "Hint: restart the server; run with --stacktrace to see the cause", failure.get());
      }
    }
    return 0;
  }

  /** A duration flag in seconds: finite, >= 0 (> 0 unless {@code zeroAllowed}); null after a problem. */
  private static Duration seconds(List<String> problems, String flag, double seconds, boolean zeroAllowed) {
    if (!Double.isFinite(seconds) || seconds < 0 || (!zeroAllowed && seconds == 0) || seconds > 1e9) {
      problems.add(flag + " must be " + (zeroAllowed ? "0 (off) or " : "") + "a number of seconds in (0, 1e9] (got "
          + seconds + ")");
      return null;
    }
    return Duration.ofNanos(Math.round(seconds * 1e9));
  }
}
