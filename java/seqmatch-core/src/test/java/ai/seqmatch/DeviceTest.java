/* Device spellings accepted and rejected in Java, before native code sees them. */
package ai.seqmatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class DeviceTest {
  @Test
  void parsesLibtorchSpellings() {
    assertEquals(Device.cpu(), Device.of("cpu"));
    assertEquals("cuda", Device.of("cuda").toString());
    assertEquals("cuda:1", Device.of(" cuda:1 ").toString());
  }

  @Test
  void rejectsTyposWithHint() {
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> Device.of("gpu"));
    assertEquals(true, e.getMessage().contains("Hint"));
    assertThrows(InvalidInputException.class, () -> Device.of("cpu:3"));
  }
}
