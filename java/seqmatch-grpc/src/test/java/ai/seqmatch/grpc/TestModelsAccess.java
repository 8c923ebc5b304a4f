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
}
