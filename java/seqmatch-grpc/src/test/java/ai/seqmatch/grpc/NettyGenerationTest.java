/*
 * The suite over a real Netty socket on 127.0.0.1:0, on the ONNX Runtime KV-cache engine, plus the
 * transport's connection limits (ConnectionLimits) with raw TCP sockets: a connection over
 * --max-connections is closed at once while the others stay open; a connection that never finishes its
 * handshake, and one without calls for the idle timeout, are closed and their slot serves a new client.
 */
package ai.seqmatch.grpc;

import ai.seqmatch.grpc.v1.GenerateRequest;
import ai.seqmatch.onnx.OrtModel;
import ai.seqmatch.serving.ConnectionLimits;
import ai.seqmatch.serving.TestModels;
import ai.seqmatch.serving.engine.OrtStepEngine;
import ai.seqmatch.serving.engine.StepEngine;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.ServerBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NettyGenerationTest extends AbstractReliabilitySuite {
  private static OrtModel ort;

  @BeforeAll
  static void loadOrt() {
    ort = OrtModel.load(TestModels.onnx(), ai.seqmatch.onnx.ExecutionProvider.CPU, 1);
  }

  @AfterAll
  static void closeOrt() {
    ort.close();
  }

  @Override
  protected StepEngine newEngine() {
    return new OrtStepEngine(ort);
  }

  /** The native engine: the exporter refuses a NaN checkpoint (its validation forward), as it should. */
  @Override
  protected StepEngine newNanEngine() {
    return ai.seqmatch.serving.engine.RecomputeStepEngine.load(TestModels.nanCheckpoint());
  }

  @Override
  protected ServerBuilder<?> newServerBuilder() {
    return NettyTransport.server("127.0.0.1", 0, null, null, 100);
  }

  @Override
  protected ManagedChannel newChannel(SeqMatchServer server) {
    return NettyTransport.channel("127.0.0.1:" + server.port(), null);
  }

  @Override
  protected boolean inProcess() {
    return false;
  }

  private static final GenerateRequest SHORT = text("Hi").setMaxNewTokens(4).setSeed(1).build();

  /** A server with these connection limits on a new engine; both are closed after the test. */
  private SeqMatchServer limited(ConnectionLimits limits) {
    StepEngine e = newEngine();
    SeqMatchServer s = SeqMatchServer.builder(NettyTransport.server("127.0.0.1", 0, null, null, 100, limits), e)
        .optTokenizer(tokenizer).build().start();
    extra.add(() -> {
      s.shutdown(Duration.ofSeconds(2));
      e.close();
    });
    return s;
  }

  @Test
  void connectionsOverTheLimitAreClosedAtOnce() throws Exception {
    SeqMatchServer s = limited(ConnectionLimits.defaults().withMaxConnections(3)); // 10 s handshake
    List<Socket> held = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        held.add(new Socket("127.0.0.1", s.port())); // accepted in order, before the fourth
      }
      try (Socket excess = new Socket("127.0.0.1", s.port())) {
        assertTrue(closedWithin(excess, 20_000), "the connection over the limit stayed open");
      }
      for (Socket h : held) {
        assertFalse(closedWithin(h, 200), "a connection within the limit was closed");
      }
      ManagedChannel refused = NettyTransport.channel("127.0.0.1:" + s.port(), null);
      try {
        StatusRuntimeException ex = assertThrows(StatusRuntimeException.class,
            () -> new SeqMatchClient(refused, null).generate(SHORT, Duration.ofSeconds(10)));
        assertEquals(Status.Code.UNAVAILABLE, ex.getStatus().getCode(), ex.getStatus().toString());
      } finally {
        refused.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      for (Socket h : held) {
        h.close();
      }
      assertTrue(servesANewClient(s), "no client served once the held connections closed");
    } finally {
      for (Socket h : held) {
        h.close();
      }
    }
  }

  @Test
  void aConnectionThatNeverHandshakesIsClosed() throws Exception {
    SeqMatchServer s = limited(ConnectionLimits.defaults().withMaxConnections(1)
        .withHandshakeTimeout(Duration.ofMillis(300)));
    try (Socket silent = new Socket("127.0.0.1", s.port())) { // sends no HTTP/2 preface
      assertTrue(closedWithin(silent, 20_000), "a connection without a handshake stayed open");
      assertTrue(servesANewClient(s), "its slot did not serve a new client");
    }
  }

  @Test
  void aConnectionWithoutCallsIsClosedAfterTheIdleTimeout() throws Exception {
    SeqMatchServer s = limited(ConnectionLimits.defaults().withMaxConnections(1).withIdleTimeout(Duration.ofSeconds(1)));
    ManagedChannel idle = NettyTransport.channel("127.0.0.1:" + s.port(), null);
    try {
      new SeqMatchClient(idle, null).generate(SHORT, TIMEOUT);
      assertEquals(ConnectivityState.READY, idle.getState(false));
      assertTrue(waitFor(() -> idle.getState(false) == ConnectivityState.IDLE), "the idle connection stayed open");
      assertTrue(servesANewClient(s), "its slot did not serve a new client");
      assertTrue(waitFor(() -> serves(idle)), "the idle client did not reconnect"); // once the other's slot is free
    } finally {
      idle.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** Whether the server closes {@code socket} within {@code millis} (whatever it sent before, e.g. SETTINGS). */
  private static boolean closedWithin(Socket socket, int millis) throws IOException {
    socket.setSoTimeout(millis);
    InputStream in = socket.getInputStream();
    byte[] buf = new byte[256];
    try {
      while (in.read(buf) >= 0) {
        // the server's HTTP/2 settings: keep reading until it closes or goes quiet
      }
      return true;
    } catch (SocketTimeoutException quiet) {
      return false;
    } catch (SocketException reset) {
      return true;
    }
  }

  /** A fresh channel gets a generation within 20 s (a freed slot is counted down asynchronously). */
  private static boolean servesANewClient(SeqMatchServer s) {
    return waitFor(() -> {
      ManagedChannel ch = NettyTransport.channel("127.0.0.1:" + s.port(), null);
      try {
        return serves(ch);
      } finally {
        ch.shutdownNow();
      }
    });
  }

  private static boolean serves(ManagedChannel ch) {
    try {
      return new SeqMatchClient(ch, null).generate(SHORT, Duration.ofSeconds(5)).getGeneratedIdsCount() > 0;
    } catch (StatusRuntimeException e) {
      return false;
    }
  }
}
