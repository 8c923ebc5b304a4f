/*
 * Netty server and channel builders with SeqMatch's defaults: bind 127.0.0.1 unless told otherwise,
 * optional TLS from PEM files (JDK provider: TLS 1.2/1.3 with ALPN, no netty-tcnative needed), a cap on
 * concurrent streams per connection. Used by `seqmatch serve` / `seqmatch client` and the tests.
 */
package ai.seqmatch.grpc;

import ai.seqmatch.InvalidInputException;
import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import java.io.File;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLException;

public final class NettyTransport {
  private NettyTransport() {}

  /**
   * A Netty server builder on {@code host:port} (port 0 = any free port).
   *
   * @param certChain PEM certificate chain, or null for plaintext (then {@code privateKey} must be null too)
   * @param privateKey PEM PKCS#8 private key
   * @param maxConcurrentStreams HTTP/2 streams per connection
   */
  public static NettyServerBuilder server(String host, int port, Path certChain, Path privateKey,
      int maxConcurrentStreams) {
    NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
        .maxConcurrentCallsPerConnection(maxConcurrentStreams);
    if ((certChain == null) != (privateKey == null)) {
      throw new InvalidInputException("tls: give both --tls-cert and --tls-key (got only "
          + (certChain == null ? "--tls-key" : "--tls-cert") + ")");
    }
    if (certChain != null) {
      readable(certChain, "--tls-cert");
      readable(privateKey, "--tls-key");
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

  private static void readable(Path p, String flag) {
    if (!Files.isReadable(p)) {
      throw new InvalidInputException(flag + " " + p + ": no such readable file");
    }
  }
}
