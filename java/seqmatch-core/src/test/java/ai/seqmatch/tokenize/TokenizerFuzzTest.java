/*
 * Fuzz target: tokenizer loading from the bytes of a checkpoint directory: config.json (its
 * "seqmatch.tokenizer" spec and special-token ids) and tokenizer.json, then encoding and decoding a
 * string with whatever loaded. See FuzzChecks. The seed corpus holds small valid tokenizer.json files
 * (BPE, WordLevel) so the mutations reach DJL's parser and the Java vocabulary code.
 */
package ai.seqmatch.tokenize;

import ai.seqmatch.FuzzChecks;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Tag;

@Tag("fuzz")
class TokenizerFuzzTest {
  private static final Path TOKENIZER = FuzzChecks.scratch("tokenizer.json");
  private static final Path DIR = TOKENIZER.getParent();

  @FuzzTest(maxExecutions = 20000, maxDuration = "60s")
  void load(byte[] data) throws Exception {
    byte[][] part = FuzzChecks.parts(data, 3); // config.json NUL tokenizer.json NUL text
    Files.write(DIR.resolve("config.json"), part[0]);
    Files.write(TOKENIZER, part[1]);
    String text = new String(part[2], java.nio.charset.StandardCharsets.UTF_8);
    FuzzChecks.onlyInputErrors(() -> {
      Optional<Tokenizer> base = Tokenizers.load(DIR);
      if (base.isPresent()) {
        try (Tokenizer t = Tokenizers.withSeqMatchSpecials(base.get())) {
          long[] ids = t.encode(text);
          t.decode(ids, false);
          t.decode(ids, true);
        }
      }
    });
  }
}
