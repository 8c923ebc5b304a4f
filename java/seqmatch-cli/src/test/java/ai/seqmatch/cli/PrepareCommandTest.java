/* `seqmatch prepare`: .smtok output readable back, bad JSONL lines skipped (listed) or failing with exit 2. */
package ai.seqmatch.cli;

import static ai.seqmatch.cli.TrainFixtures.cli;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.data.Example;
import ai.seqmatch.data.SmtokReader;
import ai.seqmatch.tokenize.ByteTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrepareCommandTest {
  @TempDir Path tmp;

  private Path jsonlWithBadLines() throws Exception {
    Path f = tmp.resolve("pairs.jsonl");
    Files.writeString(f, String.join("\n",
        "{\"prompt\": \"2+2=\", \"completion\": \"4\"}",
        "{\"prompt\": \"3+4=\", \"completion\": ",
        "{\"text\": \"a plain text row that is long enough to chunk into a few pieces\"}",
        "[1, 2]",
        "{\"prompt\": \"1+1=\", \"completion\": \"2\"}") + "\n");
    return f;
  }

  @Test
  void skipsBadLinesAndListsThem() throws Exception {
    Path in = jsonlWithBadLines();
    Path out = tmp.resolve("out");
    TrainFixtures.Run r = cli("prepare", "--input", in.toString(), "--seq-len", "16", "--validation-fraction",
        "0", "--out", out.toString(), "--json");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("prepare: skipped " + in + ":2: invalid JSON"), r.err());
    assertTrue(r.err().contains(in + ":4: expected a JSON object (got array)"), r.err());
    JsonNode report = new ObjectMapper().readTree(r.out());
    assertEquals(2, report.get("skipped").asInt());
    assertEquals(259, report.get("vocab_size").asInt());
    assertEquals(258, report.at("/special_ids/bkspc").asInt());
    assertEquals(new ObjectMapper().readTree(out.resolve("prepare.json").toFile()), report);

    List<Example> train = SmtokReader.read(out.resolve("train.smtok"));
    assertEquals(report.at("/train/examples").asInt(), train.size());
    // Pair rows keep their prompt (<eos> start + prompt bytes) out of the loss: prompt_length = its length.
    Example pair = train.stream().filter(e -> e.tokens().length < 16).findFirst().orElseThrow();
    try (ByteTokenizer tok = new ByteTokenizer()) {
      long[] prompt = tok.encode("2+2=");
      assertEquals(prompt.length + 1, pair.prompt().length);
      assertArrayEquals(new long[] {'4', ByteTokenizer.EOS}, pair.completion());
    }
    // Text chunks: exactly seq-len tokens, the first one as the prompt.
    Example chunk = train.stream().filter(e -> e.tokens().length == 16).findFirst().orElseThrow();
    assertEquals(1, chunk.prompt().length);
    assertTrue(Files.isRegularFile(out.resolve("validation.smtok")));
    assertFalse(Files.exists(out.resolve("tokenizer.json")), "byte tokenizer: nothing to copy");
  }

  @Test
  void failsAtTheFirstBadLineWithFileAndLine() throws Exception {
    Path in = jsonlWithBadLines();
    Path out = tmp.resolve("out");
    TrainFixtures.Run r = cli("prepare", "--input", in.toString(), "--seq-len", "16", "--bad-lines", "fail",
        "--out", out.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.firstErrLine().startsWith("seqmatch prepare: " + in + ":2: invalid JSON"), r.err());
    assertFalse(Files.exists(out.resolve("train.smtok")));
  }

  @Test
  void badOptionsAreReportedTogether() {
    TrainFixtures.Run r = cli("prepare", "--input", "x.txt", "--seq-len", "1", "--validation-fraction", "2",
        "--out", tmp.toString());
    assertEquals(2, r.code());
    assertTrue(r.firstErrLine().contains("--seq-len must be >= 2") && r.firstErrLine().contains("--validation-fraction"),
        r.err());
    TrainFixtures.Run policy = cli("prepare", "--input", "x.txt", "--seq-len", "8", "--bad-lines", "ignore",
        "--out", tmp.toString());
    assertEquals(2, policy.code());
  }

  @Test
  void trainRefusesAPreparedFileThatNoLongerMatchesItsReport() throws Exception {
    Path in = Files.writeString(tmp.resolve("in.txt"), "some text to prepare, long enough for chunks. ".repeat(40));
    Path data = tmp.resolve("data");
    assertEquals(0, cli("prepare", "--input", in.toString(), "--seq-len", "16", "--out", data.toString()).code());
    // What a prepare killed between writing train.smtok and prepare.json used to leave: other data under
    // the old report.
    Path other = tmp.resolve("other");
    assertEquals(0, cli("prepare", "--input", in.toString(), "--seq-len", "8", "--out", other.toString()).code());
    Files.copy(other.resolve("train.smtok"), data.resolve("train.smtok"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Path config = Files.writeString(tmp.resolve("train.json"), "{\"out_dir\": \"" + tmp.resolve("run")
        + "\", \"max_steps\": 1, \"data\": {\"train\": \"" + data.resolve("train.smtok") + "\"}}");
    TrainFixtures.Run r = cli("train", "--config", config.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.firstErrLine().startsWith("seqmatch train: data " + data.resolve("train.smtok") + ": does not match "
        + data.resolve("prepare.json")), r.err());
  }
}
