/*
 * Fuzz target: the training config as `seqmatch train` reads it: JSON text, a --set override, the typed
 * accessors and the raw-data extension (data.text / data.jsonl). See FuzzChecks.
 */
package ai.seqmatch.train;

import ai.seqmatch.FuzzChecks;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Tag;

@Tag("fuzz")
class TrainConfigFuzzTest {
  @FuzzTest(maxExecutions = 20000, maxDuration = "60s")
  void parse(byte[] data) throws Exception {
    byte[][] part = FuzzChecks.parts(data, 2); // config JSON NUL override
    String json = new String(part[0], java.nio.charset.StandardCharsets.UTF_8);
    String override = new String(part[1], java.nio.charset.StandardCharsets.UTF_8);
    FuzzChecks.onlyInputErrors(() -> {
      TrainConfig c = TrainConfig.parse(json, "fuzz.json");
      if (!override.isEmpty()) {
        c = c.withOverride(override);
      }
      c.outDir();
      c.maxSteps();
      c.logEvery();
      c.evalEvery();
      c.seed();
      c.modelInit();
      c.rawData().ifPresent(RawData::preparer);
      c.toJson();
    });
  }
}
