/*
 * The OpenAI-compatible HTTP server: Netty's HTTP/1.1 codec over a ServingCore (its own scheduler shared
 * with the gRPC server when both run). Pipeline per connection: [TLS] -> HTTP codec -> 100-continue ->
 * aggregator (bodies up to ServerLimits.maxInboundMessageBytes, larger ones get 413 as an OpenAI error
 * object and the connection closes) -> idle timer ->
 * HttpHandler. The listening channel carries the same ConnectionLimiter as gRPC's, and TLS files are
 * checked by the same TlsFiles. Event loops do I/O only; a small pool parses requests and tokenizes.
 * shutdown() drains: /health turns 503, new generations get 503, streams in flight finish within the
 * timeout, then every connection is closed (which cancels what is left).
 */
package ai.seqmatch.http;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.serving.ConnectionLimiter;
import ai.seqmatch.serving.ConnectionLimits;
import ai.seqmatch.serving.ServingCore;
import ai.seqmatch.serving.TlsFiles;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;

/** Build with {@code HttpServer.builder(core)}; start(); close() drains. */
public final class HttpServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(HttpServer.class.getName());

  private final Builder b;
  private final ServingCore core;
  private final SslContext ssl;
  private final ChatTemplate chatTemplate; // null: chat completions answer 400
  private final byte[] expectedAuthorization; // "Bearer <token>", or null: open
  private final Playground playground = new Playground();
  private final ChannelGroup channels = new DefaultChannelGroup("seqmatch-http", GlobalEventExecutor.INSTANCE);
  private final AtomicInteger sessions = new AtomicInteger();
  private final ExecutorService handlers;
  private final long startedEpochSeconds = System.currentTimeMillis() / 1000;
  private EventLoopGroup boss;
  private EventLoopGroup workers;
  private Channel listener;
  private volatile boolean draining;
  private boolean stopped;

  private HttpServer(Builder b, SslContext ssl, ChatTemplate chatTemplate) {
    this.b = b;
    this.core = b.core;
    this.ssl = ssl;
    this.chatTemplate = chatTemplate;
    this.expectedAuthorization = b.authToken == null ? null
        : ("Bearer " + b.authToken).getBytes(StandardCharsets.US_ASCII);
    this.handlers = Executors.newFixedThreadPool(b.handlerThreads, new DefaultThreadFactory("seqmatch-http-handler",
        true));
  }

  /** A server for {@code core} on 127.0.0.1, any free port, plaintext, no token. */
  public static Builder builder(ServingCore core) {
    return new Builder(core);
  }

  /** Binds and serves; the core is started too (if it is not already). */
  public HttpServer start() {
    core.start();
    boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("seqmatch-http-boss", true),
        NioIoHandler.newFactory());
    workers = new MultiThreadIoEventLoopGroup(b.ioThreads, new DefaultThreadFactory("seqmatch-http-io", true),
        NioIoHandler.newFactory());
    ConnectionLimiter limiter = new ConnectionLimiter(b.connections.maxConnections());
    long idleMillis = b.connections.idleTimeout().toMillis();
    int maxBody = core.limits().maxInboundMessageBytes();
    ServerBootstrap sb = new ServerBootstrap().group(boss, workers).channelFactory(limiter::newServerChannel)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 * 1024, 64 * 1024))
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            channels.add(ch);
            ChannelPipeline p = ch.pipeline();
            if (ssl != null) {
              SslHandler h = ssl.newHandler(ch.alloc());
              h.setHandshakeTimeoutMillis(b.connections.handshakeTimeout().toMillis());
              p.addLast("tls", h);
            }
            p.addLast("http", new HttpServerCodec());
            p.addLast("continue", new HttpServerExpectContinueHandler());
            p.addLast("aggregate", new HttpObjectAggregator(maxBody) {
              @Override
              protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
                HttpResponses.error(ctx.channel(), new HttpError(413, "invalid_request_error", null,
                    "request_too_large", "the request body is larger than " + maxBody + " bytes (the server's "
                    + "max_inbound_message_bytes)"), false); // closes: the rest of the body is not read
              }
            });
            if (idleMillis > 0) {
              p.addLast("idle", new IdleStateHandler(0, 0, idleMillis, TimeUnit.MILLISECONDS));
            }
            p.addLast("seqmatch", new HttpHandler(HttpServer.this));
          }
        });
    try {
      listener = sb.bind(new InetSocketAddress(b.host, b.port)).syncUninterruptibly().channel();
    } catch (RuntimeException e) {
      boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      handlers.shutdownNow();
      throw new InvalidInputException("http: cannot listen on " + b.host + ":" + b.port + " (" + e.getMessage()
          + ")");
    }
    return this;
  }

  /** The bound port (useful with port 0). */
  public int port() {
    return ((InetSocketAddress) listener.localAddress()).getPort();
  }

  /** Generations in flight over HTTP. */
  public int sessions() {
    return sessions.get();
  }

  /**
   * Graceful stop: /health 503 and new generations refused (503), generations in flight finish within
   * {@code timeout}, then every connection closes (cancelling the rest). Returns whether all finished in
   * time. Idempotent. The core stays the caller's.
   */
  public synchronized boolean shutdown(Duration timeout) {
    if (stopped) {
      return true;
    }
    stopped = true;
    draining = true;
    long deadline = System.nanoTime() + timeout.toNanos();
    if (listener != null) {
      listener.close().syncUninterruptibly();
    }
    while (sessions.get() > 0 && System.nanoTime() - deadline < 0) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    boolean clean = sessions.get() == 0;
    channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    handlers.shutdownNow();
    if (boss != null) {
      boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
    if (!clean) {
      LOG.log(System.Logger.Level.WARNING, "http: drain timeout reached, the remaining streams were closed");
    }
    return clean;
  }

  /** {@link #shutdown(Duration)} with the builder's drain timeout. */
  @Override
  public void close() {
    shutdown(b.drainTimeout);
  }

  ServingCore core() {
    return core;
  }

  Playground playground() {
    return playground;
  }

  ExecutorService handlers() {
    return handlers;
  }

  byte[] expectedAuthorization() {
    return expectedAuthorization;
  }

  String modelName() {
    return b.modelName;
  }

  long startedEpochSeconds() {
    return startedEpochSeconds;
  }

  boolean isDraining() {
    return draining;
  }

  void sessionStarted() {
    sessions.incrementAndGet();
  }

  void sessionEnded() {
    sessions.decrementAndGet();
  }

  /** The chat rendered by the model's template and tokenized (the template writes its own start token). */
  long[] chatPrompt(List<ChatTemplate.Message> messages) {
    if (chatTemplate == null) {
      throw HttpError.badRequest("messages", "this model has no chat template (no chat_template in its "
          + "tokenizer_config.json). Hint: use /v1/completions with a prompt");
    }
    if (core.tokenizer() == null) {
      throw HttpError.badRequest("messages", "this model has no tokenizer, so chat messages cannot be encoded. "
          + "Hint: use /v1/completions with token ids");
    }
    return core.tokenizer().encode(chatTemplate.render(messages));
  }

  /** Required: the core; the rest are optional. */
  public static final class Builder {
    private final ServingCore core;
    private String host = "127.0.0.1";
    private int port;
    private Path tlsCert;
    private Path tlsKey;
    private String authToken;
    private ConnectionLimits connections = ConnectionLimits.defaults();
    private Duration drainTimeout = Duration.ofSeconds(30);
    private String modelName = "seqmatch";
    private Path modelDir;
    private int handlerThreads = 2;
    private int ioThreads = 2;

    private Builder(ServingCore core) {
      this.core = core;
    }

    /** Bind address and port (0 = any free port). */
    public Builder optAddress(String host, int port) {
      this.host = host;
      this.port = port;
      return this;
    }

    /** TLS from a PEM certificate chain and its PEM PKCS#8 key (checked at build: a mismatch is bad input). */
    public Builder optTls(Path certChain, Path privateKey) {
      this.tlsCert = certChain;
      this.tlsKey = privateKey;
      return this;
    }

    /** Requires {@code Authorization: Bearer <token>} on /v1 (not on /health, /metrics or the page). */
    public Builder optAuthToken(String token) {
      this.authToken = token;
      return this;
    }

    public Builder optConnectionLimits(ConnectionLimits limits) {
      this.connections = limits;
      return this;
    }

    public Builder optDrainTimeout(Duration timeout) {
      this.drainTimeout = timeout;
      return this;
    }

    /** The id /v1/models reports and requests may name. */
    public Builder optModelName(String name) {
      this.modelName = name;
      return this;
    }

    /** The model directory whose tokenizer_config.json may hold a chat_template. */
    public Builder optModelDir(Path dir) {
      this.modelDir = dir;
      return this;
    }

    public Builder optHandlerThreads(int n) {
      this.handlerThreads = n;
      return this;
    }

    public HttpServer build() {
      java.util.List<String> problems = new java.util.ArrayList<>();
      if (core == null) {
        problems.add("core is required");
      }
      if (port < 0 || port > 65535) {
        problems.add("port must be in 0..65535 (got " + port + ")");
      }
      if (authToken != null && authToken.isBlank()) {
        problems.add("auth token must not be blank");
      }
      if (connections == null) {
        problems.add("connection limits must not be null");
      }
      if (drainTimeout == null || drainTimeout.isNegative()) {
        problems.add("drain timeout must be >= 0 (got " + drainTimeout + ")");
      }
      if (modelName == null || modelName.isBlank()) {
        problems.add("model name must not be blank");
      }
      if (handlerThreads < 1) {
        problems.add("handler threads must be >= 1 (got " + handlerThreads + ")");
      }
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException("invalid HttpServer: " + String.join("; ", problems));
      }
      ChatTemplate template = modelDir == null ? null : ChatTemplate.load(modelDir).orElse(null);
      return new HttpServer(this, ssl(), template);
    }

    private SslContext ssl() {
      if (!TlsFiles.checkPair(tlsCert, tlsKey)) {
        return null;
      }
      try {
        return SslContextBuilder.forServer(tlsCert.toFile(), tlsKey.toFile()).sslProvider(SslProvider.JDK).build();
      } catch (SSLException | IllegalArgumentException e) {
        throw new InvalidInputException("tls: cannot use " + tlsCert + " / " + tlsKey + " (" + e.getMessage()
            + "). Hint: PEM certificate chain and PEM PKCS#8 key (openssl pkcs8 -topk8 -nocrypt)");
      }
    }
  }
}
