/* `seqmatch tasks list|generate` as users run them: files, determinism, noise JSON, one-line errors. */
package ai.seqmatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class TasksCommandTest {
  @TempDir Path tmp;

  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = SeqMatchCli.newCommandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  /** Exit 2, one line naming the problem, then the help hint. */
  static void assertBadInput(Run r, String command, String... mentions) {
    assertEquals(2, r.code(), r.err());
    String[] lines = r.err().strip().split("\n");
    assertEquals(2, lines.length, r.err());
    assertTrue(lines[0].startsWith("seqmatch " + command + ": "), lines[0]);
    for (String m : mentions) {
      assertTrue(lines[0].contains(m), "expected '" + m + "' in: " + lines[0]);
    }
    assertEquals("Try 'seqmatch " + command + " --help'", lines[1]);
  }

  @Test
  void listNamesEveryTask() throws Exception {
    Run r = run("tasks", "list");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("add-or-sub-in-base  (add-or-sub-in-base: bases 2..16"), r.out());
    assertTrue(r.out().contains("\ndyck  ("), r.out());
    JsonNode j = new ObjectMapper().readTree(run("tasks", "list", "--json").out());
    assertEquals("dyck", j.get("tasks").get(1).get("name").asText());
  }

  @Test
  void generateIsDeterministicAndWritesNoise() throws Exception {
    Path a = tmp.resolve("a.jsonl");
    Path noise = tmp.resolve("noise.json");
    Run r = run("tasks", "generate", "--task", "add-or-sub-in-base", "--n", "20", "--seed", "3", "--out", a.toString(),
        "--noise-candidates", noise.toString(), "--tokenizer", "byte");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("wrote 20 examples of add-or-sub-in-base to "), r.out());
    Path b = tmp.resolve("b.jsonl");
    assertEquals(0, run("tasks", "generate", "--task", "add-or-sub-in-base", "--n", "20", "--seed", "3", "--out",
        b.toString()).code());
    assertEquals(Files.readString(a), Files.readString(b));
    assertEquals(20, Files.readAllLines(a).size());
    JsonNode first = new ObjectMapper().readTree(Files.readAllLines(a).get(0));
    assertTrue(first.get("prompt").asText().startsWith("In base "), first.toString());
    JsonNode n = new ObjectMapper().readTree(noise.toFile());
    assertEquals("seqmatch-noise/2", n.get("format").asText());
    assertEquals(20, n.get("examples").size()); // one per written prompt (distinct: the space is large)
    int base = Integer.parseInt(first.get("prompt").asText().replaceAll("^In base (\\d+),(?s).*$", "$1"));
    assertEquals(base, n.get("alphabets").get(n.get("examples").get(0).get("alphabet").asInt()).size());
  }

  @Test
  void generateSplits() throws Exception {
    Run r = run("tasks", "generate", "--task", "dyck", "--splits", "30,5,5", "--out-dir", tmp.resolve("d").toString(),
        "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertEquals(3, j.get("files").size());
    assertEquals(30, Files.readAllLines(tmp.resolve("d/train.jsonl")).size());
    assertEquals(5, Files.readAllLines(tmp.resolve("d/test.jsonl")).size());
  }

  @Test
  void badArgumentsExit2WithOneLine() {
    String out = tmp.resolve("x.jsonl").toString();
    assertBadInput(run("tasks", "generate", "--task", "sort", "--n", "5", "--out", out), "tasks generate",
        "unknown task (got \"sort\", expected one of add-or-sub-in-base, dyck)");
    assertBadInput(run("tasks", "generate", "--task", "dyck", "--out", out), "tasks generate", "--n");
    assertBadInput(run("tasks", "generate", "--task", "dyck", "--n", "5"), "tasks generate", "--out");
    assertBadInput(run("tasks", "generate", "--task", "dyck", "--n", "0", "--out", out, "--out-dir", "d"),
        "tasks generate", "both", "--n >= 1");
    assertBadInput(run("tasks", "generate", "--task", "dyck", "--out-dir", "d", "--splits", "1,2"), "tasks generate",
        "--splits");
    assertBadInput(run("tasks", "generate", "--task", "dyck", "--n", "5", "--out", out, "--noise-candidates",
        tmp.resolve("n.json").toString(), "--tokenizer", tmp.resolve("nowhere").toString()), "tasks generate",
        "nowhere");
    assertBadInput(run("tasks", "generate", "--n", "5", "--out", out), "tasks generate", "--task");
    assertEquals(2, run("tasks").code());
  }
}
