/*
 * Transport limits of a Netty server (NettyTransport.server; `seqmatch serve` flags): how many TCP
 * connections may be open at once, how long a new connection may take to finish its TLS / HTTP/2
 * handshake, how long a connection may sit without a call, and optionally a maximum age. Together they
 * bound the file descriptors a client can hold (docs/RELIABILITY.md "Connection limits").
 */
package ai.seqmatch.serving;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Limits on connections.
 *
 * @param maxConnections open TCP connections at most; more are closed as soon as they are accepted
 * @param handshakeTimeout time from accept until the client's HTTP/2 settings (TLS handshake included);
 *     a connection that takes longer is closed
 * @param idleTimeout a connection with no call in flight for this long is closed (HTTP/2 GOAWAY, so
 *     clients reconnect transparently); zero = never
 * @param maxConnectionAge a connection is asked to close (GOAWAY) after this long, calls in flight get
 *     {@code maxConnectionAgeGrace} to finish; zero = never
 * @param maxConnectionAgeGrace see maxConnectionAge
 */
public record ConnectionLimits(int maxConnections, Duration handshakeTimeout, Duration idleTimeout,
    Duration maxConnectionAge, Duration maxConnectionAgeGrace) {
  /** 1000 connections, 10 s handshake, 5 min idle, no maximum age. */
  public static ConnectionLimits defaults() {
    return new ConnectionLimits(1000, Duration.ofSeconds(10), Duration.ofMinutes(5), Duration.ZERO,
        Duration.ofSeconds(30));
  }

  /** Throws IllegalArgumentException naming every bad limit. */
  public ConnectionLimits {
    List<String> problems = new ArrayList<>();
    if (maxConnections < 1) {
      problems.add("max_connections must be >= 1 (got " + maxConnections + ")");
    }
    positive(problems, "handshake_timeout", handshakeTimeout, false);
    positive(problems, "idle_timeout", idleTimeout, true);
    positive(problems, "max_connection_age", maxConnectionAge, true);
    positive(problems, "max_connection_age_grace", maxConnectionAgeGrace, true);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("invalid connection limits: " + String.join("; ", problems));
    }
  }

  private static void positive(List<String> problems, String name, Duration d, boolean zeroAllowed) {
    if (d == null || d.isNegative() || (!zeroAllowed && d.isZero())) {
      problems.add(name + " must be " + (zeroAllowed ? ">= 0" : "> 0") + " (got " + d + ")");
    }
  }

  public ConnectionLimits withMaxConnections(int n) {
    return new ConnectionLimits(n, handshakeTimeout, idleTimeout, maxConnectionAge, maxConnectionAgeGrace);
  }

  public ConnectionLimits withHandshakeTimeout(Duration d) {
    return new ConnectionLimits(maxConnections, d, idleTimeout, maxConnectionAge, maxConnectionAgeGrace);
  }

  /** Zero turns the idle timeout off. */
  public ConnectionLimits withIdleTimeout(Duration d) {
    return new ConnectionLimits(maxConnections, handshakeTimeout, d, maxConnectionAge, maxConnectionAgeGrace);
  }

  /** Zero turns the maximum age off. */
  public ConnectionLimits withMaxConnectionAge(Duration age, Duration grace) {
    return new ConnectionLimits(maxConnections, handshakeTimeout, idleTimeout, age, grace);
  }
}
