/* The suite over a real Netty socket on 127.0.0.1:0, on the ONNX Runtime KV-cache engine. */
package ai.seqmatch.grpc;

import ai.seqmatch.grpc.engine.OrtStepEngine;
import ai.seqmatch.grpc.engine.StepEngine;
import ai.seqmatch.onnx.OrtModel;
import io.grpc.ManagedChannel;
import io.grpc.ServerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

class NettyGenerationTest extends AbstractGenerationSuite {
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
}
