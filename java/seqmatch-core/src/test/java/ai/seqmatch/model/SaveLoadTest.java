/* save -> load round trip: same config, bit-identical logits. */
package ai.seqmatch.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.Device;
import ai.seqmatch.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SaveLoadTest {
  @TempDir Path tmp;

  @Test
  void roundTripIsBitExact() {
    ModelConfig config = Fixtures.tinyConfig().toBuilder().optEosTokenId(31).optBkspcTokenId(30).build();
    long[] ids = {1, 2, 3, 4, 5, 6, 7, 8};
    Path dir = tmp.resolve("ckpt");
    float[] before;
    try (CausalLM model = CausalLM.create(config, 42, Device.cpu())) {
      before = model.forward(ids, 2, 4);
      model.save(dir);
    }
    assertTrue(Files.isRegularFile(dir.resolve("config.json")));
    assertTrue(Files.isRegularFile(dir.resolve("model.safetensors")));
    try (CausalLM loaded = CausalLM.load(dir, Device.cpu())) {
      assertEquals(config, loaded.config());
      assertArrayEquals(before, loaded.forward(ids, 2, 4)); // exact float equality, element by element
    }
  }
}
