/*
 * Netty server and channel builders with SeqMatch's defaults: bind 127.0.0.1 unless told otherwise,
 * optional TLS from PEM files (JDK provider: TLS 1.2/1.3 with ALPN, no netty-tcnative needed; the pair is
 * checked at start-up by TlsFiles), a cap on concurrent streams per connection, and ConnectionLimits (a
 * cap on open connections, handshake and idle timeouts). Used by `seqmatch serve` / `seqmatch client` and
 * the tests.
 */
package ai.seqmatch.grpc;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.serving.ConnectionLimiter;
import ai.seqmatch.serving.ConnectionLimits;
import ai.seqmatch.serving.TlsFiles;
import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.File;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

public final class NettyTransport {
  private NettyTransport() {}

  /** {@link #server(String, int, Path, Path, int, ConnectionLimits)} with the default connection limits. */
  public static NettyServerBuilder server(String host, int port, Path certChain, Path privateKey,
      int maxConcurrentStreams) {
    return server(host, port, certChain, privateKey, maxConcurrentStreams, ConnectionLimits.defaults());
  }

  /**
   * A Netty server builder on {@code host:port} (port 0 = any free port).
   *
   * @param certChain PEM certificate chain, or null for plaintext (then {@code privateKey} must be null too)
   * @param privateKey PEM PKCS#8 private key; it must be the certificate's (checked now)
   * @param maxConcurrentStreams HTTP/2 streams per connection
   * @param connections the cap on open connections and the connection timeouts
   */
  public static NettyServerBuilder server(String host, int port, Path certChain, Path privateKey,
      int maxConcurrentStreams, ConnectionLimits connections) {
    ConnectionLimiter limiter = new ConnectionLimiter(connections.maxConnections());
    NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
        .maxConcurrentCallsPerConnection(maxConcurrentStreams)
        .channelFactory(limiter::newServerChannel) // NIO, so the event loops below are NIO too
        .bossEventLoopGroup(EventLoops.BOSS).workerEventLoopGroup(EventLoops.WORKER)
        .handshakeTimeout(connections.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
    if (!connections.idleTimeout().isZero()) {
      b.maxConnectionIdle(connections.idleTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }
    if (!connections.maxConnectionAge().isZero()) {
      b.maxConnectionAge(connections.maxConnectionAge().toMillis(), TimeUnit.MILLISECONDS)
          .maxConnectionAgeGrace(connections.maxConnectionAgeGrace().toMillis(), TimeUnit.MILLISECONDS);
    }
    if (TlsFiles.checkPair(certChain, privateKey)) {
      try {
        SslContext ssl = GrpcSslContexts.configure(
            io.netty.handler.ssl.SslContextBuilder.forServer(certChain.toFile(), privateKey.toFile()),
            SslProvider.JDK).build();
        b.sslContext(ssl);
      } catch (SSLException | IllegalArgumentException e) {
        throw new InvalidInputException("tls: cannot use " + certChain + " / " + privateKey + " (" + e.getMessage()
            + "). Hint: PEM certificate chain and PEM PKCS#8 key (openssl pkcs8 -topk8 -nocrypt)");
      }
    }
    return b;
  }

  /** A channel to {@code target} (host:port): TLS trusting {@code trustCa} (PEM), or plaintext if null. */
  public static ManagedChannel channel(String target, Path trustCa) {
    NettyChannelBuilder b = NettyChannelBuilder.forTarget(target);
    if (trustCa == null) {
      return b.usePlaintext().build();
    }
    readable(trustCa, "--tls-ca");
    try {
      File ca = trustCa.toFile();
      return b.sslContext(GrpcSslContexts.configure(io.netty.handler.ssl.SslContextBuilder.forClient()
          .trustManager(ca), SslProvider.JDK).build()).build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new InvalidInputException("tls: cannot use CA file " + trustCa + " (" + e.getMessage() + ")");
    }
  }

  /**
   * One process-wide pair of NIO event loop groups for every server (as grpc's own defaults): daemon
   * threads, never shut down, so servers started and stopped in one JVM (tests) share them.
   */
  private static final class EventLoops {
    static final EventLoopGroup BOSS = new NioEventLoopGroup(1, new DefaultThreadFactory("seqmatch-netty-boss", true));
    static final EventLoopGroup WORKER = new NioEventLoopGroup(0, new DefaultThreadFactory("seqmatch-netty-worker",
        true));
  }

  private static void readable(Path p, String flag) {
    if (!Files.isReadable(p)) {
      throw new InvalidInputException(flag + " " + p + ": no such readable file");
    }
  }
}
