/*
 * `seqmatch train` with objective gdc++: the Java front end and the native seqmatch-train binary run the same
 * distribution-matching steps (same losses and constraint satisfaction on the same config, one mechanism);
 * constraints the CLI cannot score are exit-2 errors naming them.
 */
package ai.seqmatch.cli;

import static ai.seqmatch.cli.TrainFixtures.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCommandGdcTest {
  @TempDir Path tmp;

  private Path config(String constraints, Path out) throws IOException {
    Path c = tmp.resolve("gdc-" + out.getFileName() + ".json");
    Files.writeString(c, "{\"model\": {\"vocab_size\": 259, \"n_positions\": 16, \"n_embd\": 16, \"n_layer\": 1,"
        + " \"n_head\": 2, \"eos_token_id\": 256, \"pad_token_id\": 257, \"bkspc_token_id\": 258,"
        + " \"tokenizer\": {\"type\": \"byte\"}}, \"objective\": {\"type\": \"gdc++\"},"
        + " \"gdc\": {\"samples\": 8, \"max_new_tokens\": 6, \"constraints\": " + constraints + "},"
        + " \"optim\": {\"weight_decay\": 0.0}, \"max_steps\": 6, \"log_every\": 1, \"eval_every\": 0,"
        + " \"checkpoint_every\": 3, \"out_dir\": \"" + out.toString().replace("\\", "/") + "\"}");
    return c;
  }

  @Test
  void javaAndNativeFrontEndsRunTheSameSteps() throws Exception {
    String digit = "[{\"scorer\": \"regex\", \"pattern\": \"[0-9]\", \"name\": \"digit\"}]";
    Path javaOut = tmp.resolve("java");
    Path nativeOut = tmp.resolve("native");
    TrainFixtures.Run j = cli("train", "--config", config(digit, javaOut).toString(), "--quiet");
    assertEquals(0, j.code(), j.err());
    TrainFixtures.Run n = TrainFixtures.runNative("--config", config(digit, nativeOut).toString(), "--quiet");
    assertEquals(0, n.code(), n.out());
    List<JsonNode> a = TrainFixtures.trainLines(javaOut);
    List<JsonNode> b = TrainFixtures.trainLines(nativeOut);
    assertEquals(6, a.size());
    assertEquals(6, b.size());
    for (int i = 0; i < a.size(); i++) {
      for (String f : List.of("loss", "gdc_q_digit", "gdc_pi_digit", "gdc_kl_pi_a", "gdc_weight_var")) {
        assertEquals(b.get(i).get(f).asDouble(), a.get(i).get(f).asDouble(), 0.0, f + " at step " + (i + 1));
      }
    }
    assertTrue(Files.isRegularFile(javaOut.resolve("checkpoints/step-0000003/proposal.pt")));
    assertTrue(Files.isRegularFile(javaOut.resolve("final/model.safetensors")));
  }

  @Test
  void constraintsTheCliCannotScoreAreExit2() throws Exception {
    TrainFixtures.Run r = cli("train", "--config",
        config("[{\"scorer\": \"external\", \"name\": \"mine\"}]", tmp.resolve("e")).toString(), "--quiet");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("constraint 'mine' has scorer external, which only the Java API provides"), r.err());
    r = cli("train", "--config", config("[{\"scorer\": \"onnx\", \"name\": \"clf\", \"model\": \"missing.onnx\","
        + " \"class\": \"0\"}]", tmp.resolve("o")).toString(), "--quiet");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("gdc.constraints[clf].model: no such file"), r.err());
    TrainFixtures.Run n = TrainFixtures.runNative("--config",
        config("[{\"scorer\": \"external\", \"name\": \"mine\"}]", tmp.resolve("n")).toString(), "--quiet");
    assertEquals(2, n.code(), n.out());
    assertTrue(n.out().contains("constraint 'mine' has scorer external, which the Java front end scores"), n.out());
  }
}
