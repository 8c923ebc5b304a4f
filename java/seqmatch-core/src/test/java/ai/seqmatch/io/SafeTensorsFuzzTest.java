/*
 * Fuzz target: the Java safetensors reader (header length, JSON header, dtypes, shapes, offsets) on
 * arbitrary bytes, then reading every tensor it indexed. See FuzzChecks. Its checks allocate nothing
 * before validating, so the JVM's default heap suffices however large the sizes the fuzzer writes.
 */
package ai.seqmatch.io;

import ai.seqmatch.FuzzChecks;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;

@Tag("fuzz")
class SafeTensorsFuzzTest {
  private static final Path FILE = FuzzChecks.scratch("fuzz.safetensors");

  @FuzzTest(maxExecutions = 20000, maxDuration = "60s")
  void open(byte[] data) throws Exception {
    Files.write(FILE, data);
    FuzzChecks.onlyInputErrors(() -> {
      SafeTensors st = SafeTensors.open(FILE);
      for (String name : st.names()) {
        switch (st.info(name).dtype()) {
          case F32, F16, BF16 -> st.floats(name);
          case I64, I32 -> st.longs(name);
          default -> st.info(name).numel();
        }
      }
    });
  }
}
