/*
 * A SeqMatch gRPC server over any ServerBuilder<?> (Netty for serving, in-process for tests):
 * seqmatch.v1.Generation, grpc.health.v1 (SERVING once started, NOT_SERVING while draining) and server
 * reflection (v1), a thin front end over a ServingCore (its own, or one shared with the HTTP server).
 * Threads: Netty's event loops do I/O only; a small fixed executor runs handlers (validation,
 * tokenization); the core's scheduler thread owns the engine. shutdown() drains:
 * new calls are refused, calls in flight finish, then shutdownNow() after the timeout. If the scheduler
 * stops on its own (docs/RELIABILITY.md), health turns NOT_SERVING and every new call fails UNAVAILABLE.
 * Malformed request messages are answered INVALID_ARGUMENT (MalformedRequests).
 * The engine and tokenizer stay the caller's to close, after the server; a shared core too.
 */
package ai.seqmatch.grpc;

import ai.seqmatch.serving.ServerLimits;
import ai.seqmatch.serving.ServingCore;
import ai.seqmatch.serving.engine.StepEngine;
import ai.seqmatch.grpc.v1.GenerationGrpc;
import ai.seqmatch.tokenize.Tokenizer;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/** Build with {@code SeqMatchServer.builder(serverBuilder, engine)}; start(); close() drains. */
public final class SeqMatchServer implements AutoCloseable {
  /** The service name health reports on (besides "" for the whole server). */
  public static final String SERVICE = GenerationGrpc.SERVICE_NAME;

  private final Server server;
  private final ServingCore core;
  private final boolean ownsCore;
  private final HealthStatusManager health = new HealthStatusManager();
  private final ExecutorService executor;
  private final Duration drainTimeout;
  private boolean stopped;

  private SeqMatchServer(Builder b, ServingCore core) {
    this.core = core;
    this.ownsCore = b.core == null;
    Consumer<Throwable> onFailure = b.onSchedulerFailure;
    core.addFailureListener(cause -> {
      health.setStatus("", ServingStatus.NOT_SERVING);
      health.setStatus(SERVICE, ServingStatus.NOT_SERVING);
      if (onFailure != null) {
        onFailure.accept(cause);
      }
    });
    this.drainTimeout = b.drainTimeout;
    this.executor = b.executor ? Executors.newFixedThreadPool(b.handlerThreads, daemon("seqmatch-grpc-handler"))
        : null;
    ServerServiceDefinition generation = MalformedRequests.guard(
        new GenerationService(core).bindService());
    ServerServiceDefinition reflection = MalformedRequests.guard(ProtoReflectionServiceV1.newInstance().bindService());
    if (b.authToken != null) { // health stays open for load balancers and probes
      generation = ServerInterceptors.intercept(generation, BearerAuth.serverInterceptor(b.authToken));
      reflection = ServerInterceptors.intercept(reflection, BearerAuth.serverInterceptor(b.authToken));
    }
    ServerBuilder<?> sb = b.serverBuilder.addService(generation).addService(reflection)
        .addService(MalformedRequests.guard(health.getHealthService().bindService()))
        .maxInboundMessageSize(core.limits().maxInboundMessageBytes());
    if (executor != null) {
      sb.executor(executor);
    }
    this.server = sb.build();
  }

  /**
   * A server on {@code serverBuilder} (port, TLS, transport limits are the builder's) decoding with
   * {@code engine}.
   */
  public static Builder builder(ServerBuilder<?> serverBuilder, StepEngine engine) {
    return new Builder(serverBuilder, engine, null);
  }

  /**
   * A server on {@code serverBuilder} over a shared {@code core} (its tokenizer and limits; the builder's
   * optTokenizer and optLimits must not be used). The core is started with the server and stays the
   * caller's to close, after every front end.
   */
  public static Builder builder(ServerBuilder<?> serverBuilder, ServingCore core) {
    return new Builder(serverBuilder, null, core);
  }

  /** Starts serving; health turns SERVING. */
  public SeqMatchServer start() {
    core.start();
    try {
      server.start();
    } catch (IOException e) {
      if (ownsCore) {
        core.close();
      }
      throw new UncheckedIOException("grpc server: cannot start (" + e.getMessage() + ")", e);
    }
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus(SERVICE, ServingStatus.SERVING);
    return this;
  }

  /** The bound port (useful with port 0), or -1 for transports without one. */
  public int port() {
    return server.getPort();
  }

  /** Rows in the engine's batch right now (updated every scheduler iteration). */
  public int activeRows() {
    return core.scheduler().activeRows();
  }

  /** Requests queued or running. */
  public int inFlight() {
    return core.scheduler().inFlight();
  }

  /** Why the scheduler stopped on its own (the server is then NOT_SERVING), or null while it serves. */
  public Throwable schedulerFailure() {
    return core.failure();
  }

  /**
   * Graceful stop: health NOT_SERVING, new calls refused, calls in flight finish within {@code timeout};
   * then the rest are cancelled (shutdownNow). Returns whether everything finished in time. Idempotent.
   */
  public synchronized boolean shutdown(Duration timeout) {
    if (stopped) {
      return true;
    }
    stopped = true;
    long deadline = System.nanoTime() + timeout.toNanos();
    health.enterTerminalState(); // NOT_SERVING from now on
    if (ownsCore) { // a shared core serves other front ends on; the transport refuses new calls here
      core.drain();
    }
    server.shutdown();
    boolean clean = false;
    try {
      clean = server.awaitTermination(timeout.toNanos(), TimeUnit.NANOSECONDS);
      if (!clean) {
        server.shutdownNow();
        server.awaitTermination(Math.max(1, deadline - System.nanoTime()) + TimeUnit.SECONDS.toNanos(5),
            TimeUnit.NANOSECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    } finally {
      if (ownsCore) {
        core.close();
      }
      if (executor != null) {
        executor.shutdownNow();
      }
    }
    return clean;
  }

  /** {@link #shutdown(Duration)} with the builder's drain timeout. */
  @Override
  public void close() {
    shutdown(drainTimeout);
  }

  /** Blocks until the server has terminated. */
  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  private static ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Required: a ServerBuilder and an engine; the rest are optional. */
  public static final class Builder {
    private final ServerBuilder<?> serverBuilder;
    private final StepEngine engine;
    private final ServingCore core; // shared; null: the server makes its own from engine
    private Tokenizer tokenizer;
    private ServerLimits limits; // null: the defaults
    private String authToken;
    private Duration drainTimeout = Duration.ofSeconds(30);
    private boolean executor = true;
    private int handlerThreads = 2;
    private Consumer<Throwable> onSchedulerFailure;

    private Builder(ServerBuilder<?> serverBuilder, StepEngine engine, ServingCore core) {
      this.serverBuilder = serverBuilder;
      this.engine = engine;
      this.core = core;
    }

    /** Enables text prompts, text in events and stop_sequences. */
    public Builder optTokenizer(Tokenizer tokenizer) {
      this.tokenizer = tokenizer;
      return this;
    }

    public Builder optLimits(ServerLimits limits) {
      this.limits = limits;
      return this;
    }

    /** Requires {@code authorization: Bearer <token>} on Generation and reflection (not on health). */
    public Builder optAuthToken(String token) {
      this.authToken = token;
      return this;
    }

    public Builder optDrainTimeout(Duration timeout) {
      this.drainTimeout = timeout;
      return this;
    }

    /**
     * Told (on the scheduler thread, once) if the scheduler stops on its own, after health turned
     * NOT_SERVING: e.g. to shut the process down so a supervisor restarts it.
     */
    public Builder optOnSchedulerFailure(Consumer<Throwable> listener) {
      this.onSchedulerFailure = listener;
      return this;
    }

    /** Handler threads (validation, tokenization); model work never runs there. */
    public Builder optHandlerThreads(int n) {
      this.handlerThreads = n;
      return this;
    }

    /**
     * Keep the ServerBuilder's own executor (e.g. {@code directExecutor()} for in-process tests) instead of
     * the fixed handler pool.
     */
    public Builder optKeepBuilderExecutor() {
      this.executor = false;
      return this;
    }

    public SeqMatchServer build() {
      java.util.List<String> problems = new java.util.ArrayList<>();
      if (serverBuilder == null) {
        problems.add("serverBuilder is required");
      }
      if (core != null && (tokenizer != null || limits != null)) {
        problems.add("a shared serving core brings its tokenizer and limits (optTokenizer / optLimits not allowed)");
      }
      if (core == null) {
        problems.addAll(ServingCore.problems(engine, tokenizer, limits == null ? ServerLimits.defaults() : limits));
      }
      if (authToken != null && authToken.isBlank()) {
        problems.add("auth token must not be blank");
      }
      if (drainTimeout == null || drainTimeout.isNegative()) {
        problems.add("drain timeout must be >= 0 (got " + drainTimeout + ")");
      }
      if (handlerThreads < 1) {
        problems.add("handler threads must be >= 1 (got " + handlerThreads + ")");
      }
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException("invalid SeqMatchServer: " + String.join("; ", problems));
      }
      return new SeqMatchServer(this, core != null ? core
          : ServingCore.create(engine, tokenizer, limits == null ? ServerLimits.defaults() : limits));
    }
  }
}
