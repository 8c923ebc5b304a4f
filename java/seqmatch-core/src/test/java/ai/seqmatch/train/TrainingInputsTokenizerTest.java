/*
 * TrainingInputs and checkpoint confinement: a tokenizer named by an absolute or "../" path in the training
 * config is copied into each checkpoint as tokenizer.json and the spec names that copy, since a checkpoint's
 * config.json may only name files inside it (Tokenizers.fromSpec).
 */
package ai.seqmatch.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingInputsTokenizerTest {
  @TempDir Path tmp;

  @Test
  void aTokenizerOutsideTheRunIsCopiedInUnderAPlainName() throws Exception {
    Path tok = Files.writeString(tmp.resolve("elsewhere.json"), "{}");
    String relative = Path.of("").toAbsolutePath().relativize(tok.toAbsolutePath()).toString(); // "../..../elsewhere.json"
    for (String named : new String[] {tok.toAbsolutePath().toString(), relative}) {
      TrainConfig c = TrainConfig.parse("{\"out_dir\": \"" + tmp.resolve("run") + "\", \"model\": {\"tokenizer\": "
          + "{\"type\": \"hf\", \"file\": \"" + named + "\"}}}", "test");
      TrainingInputs in = TrainingInputs.resolve(c, line -> {});
      assertEquals("tokenizer.json", in.config().get("model.tokenizer.file").orElseThrow().asText(), named);
      assertEquals(Map.of("tokenizer.json", Path.of(named)), in.checkpointFiles());
    }
  }
}
