/*
 * The connection cap of a Netty server: a handler in the listening channel's own pipeline, ahead of
 * Netty's acceptor, so it sees each accepted connection before gRPC allocates anything for it. Up to
 * maxConnections are let through and counted until they close; one more is closed at once (the client
 * sees the connection reset; gRPC clients report UNAVAILABLE) and logged at most once per 10 s.
 */
package ai.seqmatch.serving;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.util.concurrent.atomic.AtomicInteger;

@ChannelHandler.Sharable
public final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
  private final int maxConnections;
  private final AtomicInteger open = new AtomicInteger();
  private final RateLimitedLog refused = new RateLimitedLog(ConnectionLimiter.class, System.Logger.Level.WARNING,
      10_000);

  public ConnectionLimiter(int maxConnections) {
    this.maxConnections = maxConnections;
  }

  /** The listening channel type that puts this limiter first in its pipeline. */
  public NioServerSocketChannel newServerChannel() {
    NioServerSocketChannel ch = new NioServerSocketChannel();
    ch.pipeline().addFirst("seqmatch-connection-limit", this);
    return ch;
  }

  /** Connections open now (accepted and not yet closed). */
  public int open() {
    return open.get();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    Channel child = (Channel) msg; // a listening channel reads accepted connections
    if (open.incrementAndGet() > maxConnections) {
      open.decrementAndGet();
      child.unsafe().closeForcibly(); // not registered yet: close the socket, nothing else to release
      refused.log(() -> "connections: closed a new connection from " + child.remoteAddress() + " at once, "
          + "the limit of " + maxConnections + " open connections is reached. Hint: raise --max-connections, or lower "
          + "--idle-timeout");
      return;
    }
    child.closeFuture().addListener(f -> open.decrementAndGet());
    ctx.fireChannelRead(child);
  }
}
