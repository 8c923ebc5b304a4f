/*
 * Fuzz target: the native checkpoint loader (native/src/model/safetensors.cpp, checkpoint.cpp) through
 * JNI, on arbitrary model.safetensors bytes beside a fixed, tiny config.json. The native code is not
 * instrumented, so this is mutation without coverage feedback, started from a valid checkpoint (seed);
 * a native crash takes the forked JVM down, which surefire reports as a failure. See FuzzChecks.
 */
package ai.seqmatch.model;

import ai.seqmatch.Device;
import ai.seqmatch.FuzzChecks;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;

@Tag("fuzz")
class NativeCheckpointFuzzTest {
  /** Small enough that a valid model.safetensors (the seed) fits libFuzzer's default 4096-byte inputs. */
  static final ModelConfig CONFIG = ModelConfig.builder(8).optNPositions(4).optNEmbd(4).optNLayer(1).optNHead(1)
      .optEosTokenId(7).build();

  private static final Path WEIGHTS = FuzzChecks.scratch("model.safetensors");
  private static final Path DIR = WEIGHTS.getParent();

  static {
    Path tmp = DIR.resolve("tmp-model");
    try (CausalLM m = CausalLM.create(CONFIG, 1, Device.cpu())) {
      m.save(tmp);
      Files.move(tmp.resolve("config.json"), DIR.resolve("config.json"));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    DIR.resolve("config.json").toFile().deleteOnExit();
  }

  @FuzzTest(maxExecutions = 20000, maxDuration = "60s")
  void load(byte[] data) throws Exception {
    Files.write(WEIGHTS, data);
    FuzzChecks.onlyInputErrors(() -> {
      try (CausalLM m = CausalLM.load(DIR, Device.cpu())) {
        m.forward(new long[] {1, 2}, 1, 2);
      }
    });
  }
}
