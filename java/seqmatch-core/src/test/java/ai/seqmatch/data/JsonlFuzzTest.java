/*
 * Fuzz target: what `seqmatch prepare` does with a JSONL input (DataReader, Chunker, Split into a Dataset),
 * under both bad-line policies. See FuzzChecks.
 */
package ai.seqmatch.data;

import ai.seqmatch.FuzzChecks;
import ai.seqmatch.tokenize.ByteTokenizer;
import ai.seqmatch.tokenize.Tokenizers;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;

@Tag("fuzz")
class JsonlFuzzTest {
  private static final Path FILE = FuzzChecks.scratch("fuzz.jsonl");

  @FuzzTest(maxExecutions = 20000, maxDuration = "60s")
  void prepare(FuzzedDataProvider in) throws Exception {
    int seqLen = in.consumeInt(2, 64);
    BadLinePolicy policy = in.consumeBoolean() ? BadLinePolicy.FAIL : BadLinePolicy.SKIP;
    Files.write(FILE, in.consumeRemainingAsBytes());
    FuzzChecks.onlyInputErrors(() -> Dataset.builder(Tokenizers.withSeqMatchSpecials(new ByteTokenizer()), seqLen)
        .addFile(FILE).optValidationFraction(0.2).optBadLinePolicy(policy).build());
  }
}
