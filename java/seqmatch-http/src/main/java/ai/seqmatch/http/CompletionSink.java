/*
 * The HTTP side of a serving-core Session: writes OpenAI's completion (or chat completion) JSON, or, for
 * stream: true, Server-Sent Events: a "data: {chunk}" line per edit, an optional usage chunk, "data: [DONE]".
 * Called only from the scheduler thread; Netty queues the writes onto the channel's event loop in order.
 * Flow control: isReady() is the channel's writability (Netty's high water mark), so a client that reads
 * slowly fills the session's bounded buffer and its row pauses (Session).
 *
 * Deletions. A plain client (the default) gets text that is already right: the core runs the request
 * commit-only, so a token arrives only once it can no longer be deleted, and this sink sends only text that
 * extends what it has sent, so "".join(deltas) equals the final text. A client that asks for
 * seqmatch.backspace_events gets every edit as it happens: a chunk may carry "backspace": n (n tokens were
 * deleted) and "delete_chars": k (remove the last k Unicode code points of the text) besides the text to
 * append; applying each chunk as text = text[:len-k] + text_field rebuilds the final text.
 */
package ai.seqmatch.http;

import ai.seqmatch.sample.FinishReason;
import ai.seqmatch.serving.GenerationEvent;
import ai.seqmatch.serving.GenerationSink;
import ai.seqmatch.serving.ServingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;

final class CompletionSink implements GenerationSink {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Channel channel;
  private final CompletionRequest request;
  private final boolean chat;
  private final String id;
  private final String model;
  private final long created;
  private final boolean keepAlive;
  private final Runnable onDone;
  private final StringBuilder sent = new StringBuilder(); // plain streams: the text sent so far
  private final StringBuilder current = new StringBuilder(); // plain streams: the text as the events build it
  private boolean headSent;
  private GenerationEvent.Finished finished;

  CompletionSink(Channel channel, CompletionRequest request, boolean chat, String id, String model, long created,
      boolean keepAlive, Runnable onDone) {
    this.channel = channel;
    this.request = request;
    this.chat = chat;
    this.id = id;
    this.model = model;
    this.created = created;
    this.keepAlive = keepAlive;
    this.onDone = onDone;
  }

  @Override
  public boolean isReady() {
    return !request.stream() || channel.isWritable();
  }

  @Override
  public void onEvent(GenerationEvent event) {
    if (event instanceof GenerationEvent.Finished f) {
      finished = f;
      if (request.stream()) {
        head();
        String rest = request.backspaceEvents() ? f.tail() : unsent(f.text());
        sse(chunk(rest, 0, 0, f.reason()));
      }
      return;
    }
    if (!request.stream()) {
      return;
    }
    head();
    if (event instanceof GenerationEvent.Token t) {
      if (request.backspaceEvents()) {
        sse(chunk(t.text(), 0, t.deleteChars(), null));
      } else {
        edit(current, t.deleteChars(), t.text());
        String delta = unsent(current.toString());
        if (!delta.isEmpty()) {
          sse(chunk(delta, 0, 0, null));
        }
      }
    } else if (event instanceof GenerationEvent.Backspace b && request.backspaceEvents()) {
      sse(chunk("", b.count(), b.deleteChars(), null));
    }
  }

  /**
   * The part of {@code text} after what was sent, recorded as sent; empty while {@code text} does not
   * extend it (a non-byte-level tokenizer re-rendered text already sent: held until the text extends it).
   */
  private String unsent(String text) {
    if (!text.startsWith(sent.toString())) {
      return "";
    }
    String delta = text.substring(sent.length());
    sent.append(delta);
    return delta;
  }

  /** Deletes {@code deleteChars} code points from the end, then appends {@code text}. */
  private static void edit(StringBuilder sb, int deleteChars, String text) {
    sb.setLength(deleteChars == 0 ? sb.length() : sb.offsetByCodePoints(sb.length(), -deleteChars));
    sb.append(text);
  }

  @Override
  public void onCompleted() {
    onDone.run(); // first: the client may send its next request as soon as this response ends
    if (request.stream()) {
      if (request.includeUsage()) {
        ObjectNode u = envelope(chat ? "chat.completion.chunk" : "text_completion");
        u.putArray("choices");
        u.set("usage", usage(finished.usage()));
        sse(u);
      }
      channel.write(new DefaultHttpContent(Unpooled.copiedBuffer("data: [DONE]\n\n", StandardCharsets.UTF_8)));
      end();
    } else {
      writeFull(HttpResponseStatus.OK, response(finished));
    }
  }

  @Override
  public void onError(ServingException error) {
    onDone.run();
    HttpError e = HttpError.of(error);
    if (headSent) { // the status line is out: the error travels as an event, as OpenAI's streams do
      sse(e.body());
      end();
    } else {
      writeFull(HttpResponseStatus.valueOf(e.status), e.body());
    }
  }

  private void head() {
    if (headSent) {
      return;
    }
    headSent = true;
    HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE)
        .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    if (!keepAlive) {
      r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    channel.write(r);
    if (chat) { // OpenAI's first chat chunk names the role
      ObjectNode c = envelope("chat.completion.chunk");
      ObjectNode choice = c.putArray("choices").addObject();
      choice.put("index", 0);
      choice.putObject("delta").put("role", "assistant").put("content", "");
      choice.putNull("logprobs");
      choice.putNull("finish_reason");
      usageNull(c);
      sse(c);
    }
  }

  private void end() {
    if (keepAlive) {
      channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    } else {
      channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
    }
  }

  private void sse(ObjectNode o) {
    byte[] json;
    try {
      json = JSON.writeValueAsBytes(o);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize a chunk", e);
    }
    channel.write(new DefaultHttpContent(Unpooled.wrappedBuffer("data: ".getBytes(StandardCharsets.US_ASCII),
        json, "\n\n".getBytes(StandardCharsets.US_ASCII))));
  }

  @Override
  public void flush() {
    channel.flush(); // once per drain: the chunks of one step go out together
  }

  private void writeFull(HttpResponseStatus status, ObjectNode body) {
    HttpResponses.json(channel, status, body, keepAlive);
  }

  private ObjectNode envelope(String object) {
    ObjectNode o = JSON.createObjectNode();
    o.put("id", id);
    o.put("object", object);
    o.put("created", created);
    o.put("model", model);
    return o;
  }

  private ObjectNode chunk(String text, int backspace, int deleteChars, FinishReason reason) {
    ObjectNode c = envelope(chat ? "chat.completion.chunk" : "text_completion");
    ObjectNode choice = c.putArray("choices").addObject();
    choice.put("index", 0);
    ObjectNode edit = choice;
    if (chat) {
      edit = choice.putObject("delta");
      edit.put("content", text);
    } else {
      choice.put("text", text);
    }
    if (backspace > 0) {
      edit.put("backspace", backspace);
    }
    if (deleteChars > 0) {
      edit.put("delete_chars", deleteChars);
    }
    choice.putNull("logprobs");
    if (reason == null) {
      choice.putNull("finish_reason");
    } else {
      choice.put("finish_reason", openAi(reason));
      c.set("seqmatch", extras(finished));
    }
    usageNull(c);
    return c;
  }

  private void usageNull(ObjectNode c) {
    if (request.includeUsage()) { // OpenAI: every chunk has "usage": null but the last
      c.putNull("usage");
    }
  }

  private ObjectNode response(GenerationEvent.Finished f) {
    ObjectNode o = envelope(chat ? "chat.completion" : "text_completion");
    ObjectNode choice = o.putArray("choices").addObject();
    choice.put("index", 0);
    if (chat) {
      choice.putObject("message").put("role", "assistant").put("content", f.text());
    } else {
      choice.put("text", f.text());
    }
    choice.putNull("logprobs");
    choice.put("finish_reason", openAi(f.reason()));
    o.set("usage", usage(f.usage()));
    o.set("seqmatch", extras(f));
    return o;
  }

  private static ObjectNode usage(GenerationEvent.Usage u) {
    ObjectNode o = JSON.createObjectNode();
    o.put("prompt_tokens", u.promptTokens());
    o.put("completion_tokens", u.generatedTokens());
    o.put("total_tokens", u.promptTokens() + u.generatedTokens());
    return o;
  }

  /** SeqMatch's own figures: deletions and actions, the seed, the server's timings. */
  private static ObjectNode extras(GenerationEvent.Finished f) {
    ObjectNode o = JSON.createObjectNode();
    GenerationEvent.Usage u = f.usage();
    o.put("backspaces", u.backspaces());
    o.put("actions", u.actions());
    o.put("seed", Long.toUnsignedString(u.seed()));
    o.put("finish_reason", f.reason().name().toLowerCase(java.util.Locale.ROOT));
    o.put("time_to_first_action_ms", u.timeToFirstActionUs() / 1000.0);
    o.put("total_time_ms", u.totalTimeUs() / 1000.0);
    return o;
  }

  /** OpenAI knows "stop" (a natural end or a stop sequence) and "length" (a cap). */
  static String openAi(FinishReason r) {
    return switch (r) {
      case EOS, STOP -> "stop";
      case MAX_NEW_TOKENS, MAX_ACTIONS, LENGTH -> "length";
      case CANCELLED -> "cancelled";
    };
  }
}
