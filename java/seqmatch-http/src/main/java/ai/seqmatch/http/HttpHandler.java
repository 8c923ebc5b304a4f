/*
 * One HTTP/1.1 connection: routes requests (OpenAI's /v1 endpoints, /health, /metrics, the playground),
 * checks the bearer token on /v1, and hands generations to a handler thread, which parses, renders the chat
 * template, tokenizes and submits a Session to the core (model work never runs on the event loop). The
 * connection going away cancels its session, so its row is freed before the next step; the channel turning
 * writable again resumes a paused row (Scheduler.ready).
 */
package ai.seqmatch.http;

import ai.seqmatch.serving.PreparedRequest;
import ai.seqmatch.serving.ServingException;
import ai.seqmatch.serving.Session;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.UUID;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

final class HttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  /** A generation of this connection; {@code ended} makes its end count once (it ends, or the client goes). */
  private record Running(Session session, AtomicBoolean ended) {}

  private final AtomicReference<Running> running = new AtomicReference<>(); // the connection's current one

  HttpHandler(HttpServer server) {
    this.server = server;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
    boolean keepAlive = HttpUtil.isKeepAlive(req);
    String path = new QueryStringDecoder(req.uri()).path();
    HttpMethod method = req.method();
    try {
      if (path.equals("/health")) {
        only(method, HttpMethod.GET);
        health(ctx, keepAlive);
      } else if (path.equals("/metrics")) {
        only(method, HttpMethod.GET);
        HttpResponses.bytes(ctx.channel(), HttpResponseStatus.OK, "text/plain; version=0.0.4; charset=utf-8",
            server.core().prometheus().getBytes(StandardCharsets.UTF_8), keepAlive);
      } else if (path.equals("/") || path.startsWith("/playground/")) {
        only(method, HttpMethod.GET);
        Playground.File f = (path.equals("/") ? server.playground().index()
            : server.playground().file(path.substring("/playground/".length())))
            .orElseThrow(() -> new HttpError(404, "invalid_request_error", null, "not_found", "no such page: "
                + path + (path.equals("/") ? " (this build has no playground page)" : "")));
        HttpResponses.bytes(ctx.channel(), HttpResponseStatus.OK, f.contentType(), f.bytes(), keepAlive);
      } else if (path.startsWith("/v1/")) {
        authorize(req);
        switch (path) {
          case "/v1/models" -> {
            only(method, HttpMethod.GET);
            models(ctx, keepAlive);
          }
          case "/v1/completions", "/v1/chat/completions" -> {
            only(method, HttpMethod.POST);
            byte[] body = ByteBufUtil.getBytes(req.content());
            boolean chat = path.equals("/v1/chat/completions");
            try {
              server.handlers().execute(() -> generate(ctx, body, chat, keepAlive));
            } catch (RejectedExecutionException e) {
              throw new HttpError(503, "service_unavailable", null, "unavailable", "server is shutting down");
            }
          }
          default -> throw new HttpError(404, "invalid_request_error", null, "not_found", "no such endpoint: "
              + path);
        }
      } else {
        throw new HttpError(404, "invalid_request_error", null, "not_found", "no such endpoint: " + path);
      }
    } catch (HttpError e) {
      HttpResponses.error(ctx.channel(), e, keepAlive);
    }
  }

  private static void only(HttpMethod got, HttpMethod allowed) {
    if (!got.equals(allowed)) {
      throw new HttpError(405, "invalid_request_error", null, "method_not_allowed", "method " + got
          + " not allowed here (expected " + allowed + ")");
    }
  }

  /** 401 unless {@code Authorization: Bearer <token>} matches (constant-time); open when no token is set. */
  private void authorize(FullHttpRequest req) {
    byte[] expected = server.expectedAuthorization();
    if (expected == null) {
      return;
    }
    String got = req.headers().get(HttpHeaderNames.AUTHORIZATION);
    if (got == null || !MessageDigest.isEqual(expected, got.getBytes(StandardCharsets.US_ASCII))) {
      throw new HttpError(401, "invalid_request_error", null, "invalid_api_key", got == null
          ? "missing Authorization header. Hint: send 'Authorization: Bearer <token>'" : "invalid bearer token");
    }
  }

  private void health(ChannelHandlerContext ctx, boolean keepAlive) {
    boolean serving = !server.isDraining() && server.core().isServing();
    ObjectNode o = JSON.createObjectNode().put("status", serving ? "serving" : "not_serving");
    HttpResponses.json(ctx.channel(), serving ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, o,
        keepAlive);
  }

  private void models(ChannelHandlerContext ctx, boolean keepAlive) {
    ObjectNode o = JSON.createObjectNode().put("object", "list");
    ObjectNode m = o.putArray("data").addObject();
    m.put("id", server.modelName());
    m.put("object", "model");
    m.put("created", server.startedEpochSeconds());
    m.put("owned_by", "seqmatch");
    m.put("max_model_len", server.core().info().nPositions());
    HttpResponses.json(ctx.channel(), HttpResponseStatus.OK, o, keepAlive);
  }

  /** On a handler thread: parse, check, tokenize, submit; every refusal is an OpenAI error object. */
  private void generate(ChannelHandlerContext ctx, byte[] body, boolean chat, boolean keepAlive) {
    try {
      if (server.isDraining()) {
        throw new HttpError(503, "service_unavailable", null, "unavailable", "server is shutting down. Hint: "
            + "retry on another replica");
      }
      JsonNode json;
      try {
        json = JSON.readTree(body);
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw HttpError.badRequest(null, "the request body is not valid JSON (" + e.getOriginalMessage() + ")");
      } catch (IOException e) {
        throw HttpError.badRequest(null, "cannot read the request body (" + e.getMessage() + ")");
      }
      CompletionRequest r = CompletionRequest.parse(json, chat);
      if (r.model() != null && !r.model().equals(server.modelName())) {
        throw new HttpError(404, "invalid_request_error", "model", "model_not_found", "model '" + r.model()
            + "' is not served here (this server serves '" + server.modelName() + "'; see GET /v1/models)");
      }
      if (chat) {
        r = r.withPromptIds(server.chatPrompt(r.messages()));
      }
      PreparedRequest p = server.core().prepare(r.spec(), chat ? CompletionRequest.CHAT_FIELDS
          : CompletionRequest.FIELDS);
      String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
      Running[] self = new Running[1]; // set before submit(), read by the scheduler thread after it
      CompletionSink sink = new CompletionSink(ctx.channel(), r, chat, id, server.modelName(),
          System.currentTimeMillis() / 1000, keepAlive, () -> done(self[0]));
      Session s = r.stream() ? server.core().streamingSession(p, sink) : server.core().unarySession(p, sink);
      Running run = new Running(s, new AtomicBoolean());
      self[0] = run;
      running.set(run);
      server.sessionStarted();
      try {
        server.core().submit(s);
      } catch (ServingException e) {
        done(run);
        throw e;
      }
      if (!ctx.channel().isActive()) { // the client left before the session was registered
        server.core().scheduler().cancel(s);
        done(run);
      }
    } catch (ServingException e) {
      HttpResponses.error(ctx.channel(), HttpError.of(e), keepAlive);
    } catch (HttpError e) {
      HttpResponses.error(ctx.channel(), e, keepAlive);
    } catch (RuntimeException e) {
      HttpResponses.error(ctx.channel(), new HttpError(500, "server_error", null, null, "cannot handle the request ("
          + e.getClass().getSimpleName() + ": " + e.getMessage() + ")"), keepAlive);
    }
  }

  /** Counted once per generation, whoever comes first (its end, or the connection closing). */
  private void done(Running r) {
    running.compareAndSet(r, null); // a keep-alive connection may already run its next request
    if (r.ended().compareAndSet(false, true)) {
      server.sessionEnded();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    Running r = running.get();
    if (r != null) { // the client went away: free the row before the next step
      server.core().scheduler().cancel(r.session());
      done(r);
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    Running r = running.get();
    if (r != null && ctx.channel().isWritable()) {
      server.core().scheduler().ready(r.session());
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent && running.get() == null) { // idle with no generation in flight
      ctx.close();
    } else {
      ctx.fireUserEventTriggered(evt);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close(); // a reset connection, a malformed request line: channelInactive frees the row
  }
}
