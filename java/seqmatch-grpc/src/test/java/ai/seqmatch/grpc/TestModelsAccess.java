/* Public access to the fixtures for tests in other packages. */
package ai.seqmatch.grpc;

import java.nio.file.Path;

public final class TestModelsAccess {
  private TestModelsAccess() {}

  public static Path checkpoint() {
    return TestModels.checkpoint();
  }

  public static Path onnx() {
    return TestModels.onnx();
  }

  public static Path loopingCheckpoint() {
    return TestModels.loopingCheckpoint();
  }

  public static Path loopingOnnx() {
    return TestModels.loopingOnnx();
  }

  public static Path nanCheckpoint() {
    return TestModels.nanCheckpoint();
  }

  public static Path nanOnnx() {
    return TestModels.nanOnnx();
  }
}
