/* Whole (non-streamed) HTTP responses: JSON bodies, Prometheus text, static files; keep-alive aware. */
package ai.seqmatch.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

final class HttpResponses {
  private static final ObjectMapper JSON = new ObjectMapper();

  private HttpResponses() {}

  static ChannelFuture json(Channel ch, HttpResponseStatus status, ObjectNode body, boolean keepAlive) {
    byte[] bytes;
    try {
      bytes = JSON.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize a response", e);
    }
    return bytes(ch, status, "application/json", bytes, keepAlive);
  }

  static ChannelFuture error(Channel ch, HttpError e, boolean keepAlive) {
    return json(ch, HttpResponseStatus.valueOf(e.status), e.body(), keepAlive);
  }

  static ChannelFuture bytes(Channel ch, HttpResponseStatus status, String contentType, byte[] body,
      boolean keepAlive) {
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType).setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    if (!keepAlive) {
      r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    ChannelFuture f = ch.writeAndFlush(r);
    if (!keepAlive) {
      f.addListener(ChannelFutureListener.CLOSE);
    }
    return f;
  }
}
