/* Runtime facts come from the native core and parse. */
package ai.seqmatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EngineTest {
  @Test
  void reportsRuntime() {
    Engine.RuntimeInfo info = Engine.runtimeInfo();
    System.out.println("runtime: " + info.json());
    assertFalse(info.libtorchVersion().isBlank());
    assertTrue(info.libtorchVersion().matches("\\d+\\.\\d+.*"), info.libtorchVersion());
    assertEquals(info.cudaAvailable(), Engine.cudaAvailable());
    assertTrue(Engine.residentSetBytes() > 0);
  }
}
