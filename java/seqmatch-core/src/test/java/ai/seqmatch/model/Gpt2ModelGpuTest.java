/*
 * The same weights (saved on CPU, loaded on CUDA) give the same logits; skipped visibly without a GPU.
 * Run on a GPU machine: mvn verify -Dseqmatch.cmake.preset=cuda-release -Dtorch.prefix=<libtorch>
 */
package ai.seqmatch.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.seqmatch.Device;
import ai.seqmatch.Engine;
import ai.seqmatch.Fixtures;
import ai.seqmatch.InvalidInputException;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("gpu")
class CausalLMGpuTest {
  // TF32 may be used for CUDA matmuls; 1e-3 absolute on logits of magnitude ~1 covers its 10-bit mantissa.
  private static final float ATOL = 1e-3f;

  @TempDir Path tmp;

  @Test
  void cudaMatchesCpu() {
    assumeTrue(Engine.cudaAvailable(), "no CUDA device: skipping GPU parity");
    long[] ids = {1, 2, 3, 4, 5, 6, 7, 8};
    try (CausalLM cpu = CausalLM.create(Fixtures.tinyConfig(), 11, Device.cpu())) {
      cpu.save(tmp);
    }
    try (CausalLM cpu = CausalLM.load(tmp, Device.cpu());
        CausalLM gpu = CausalLM.load(tmp, Device.cuda())) {
      assertEquals("cuda", gpu.device().type());
      float[] want = cpu.forward(ids, 2, 4);
      float[] got = gpu.forward(ids, 2, 4);
      for (int i = 0; i < want.length; i++) {
        assertEquals(want[i], got[i], ATOL, "logit " + i);
      }
    }
  }

  @Test
  void cudaWithoutGpuIsBadInput() {
    assumeTrue(!Engine.cudaAvailable(), "CUDA present: nothing to reject");
    assertThrows(InvalidInputException.class, () -> CausalLM.create(Fixtures.tinyConfig(), 1, Device.cuda()));
  }
}
