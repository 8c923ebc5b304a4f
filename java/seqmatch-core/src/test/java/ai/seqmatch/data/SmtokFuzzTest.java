/* Fuzz target: SmtokReader on arbitrary bytes (the file train reads). See FuzzChecks. */
package ai.seqmatch.data;

import ai.seqmatch.FuzzChecks;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;

@Tag("fuzz")
class SmtokFuzzTest {
  private static final Path FILE = FuzzChecks.scratch("fuzz.smtok");

  @FuzzTest(maxExecutions = 20000, maxDuration = "60s")
  void read(byte[] data) throws Exception {
    Files.write(FILE, data);
    FuzzChecks.onlyInputErrors(() -> SmtokReader.read(FILE));
  }
}
