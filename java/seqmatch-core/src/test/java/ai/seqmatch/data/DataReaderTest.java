/* DataReader: JSONL happy path and every bad-line reason, exact file:line messages, both policies. */
package ai.seqmatch.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.seqmatch.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataReaderTest {
  @TempDir Path dir;

  @Test
  void readsTextAndPairs() throws Exception {
    Path f = Files.writeString(dir.resolve("a.jsonl"),
        "{\"text\": \"hello\"}\n{\"prompt\": \"\", \"completion\": \"c\", \"extra\": 1}\n");
    Path txt = Files.writeString(dir.resolve("b.txt"), "whole\nfile\n");
    DataReader r = new DataReader(BadLinePolicy.FAIL);
    assertEquals(List.of(new Row.Text(f.toString(), 1, "hello"), new Row.Pair(f.toString(), 2, "", "c")), r.read(f));
    assertEquals(List.of(new Row.Text(txt.toString(), 1, "whole\nfile\n")), r.read(txt));
  }

  @Test
  void badLinesAreSkippedWithExactMessages() throws Exception {
    Path f = Files.writeString(dir.resolve("bad.jsonl"), String.join("\n",
        "{\"text\": \"ok\"}",
        "",
        "{\"text\": ",
        "[1, 2]",
        "{\"text\": 5}",
        "{\"text\": \"\"}",
        "{\"prompt\": \"p\"}",
        "{\"completion\": \"c\"}",
        "{\"prompt\": \"p\", \"completion\": null}",
        "{\"title\": \"x\"}",
        "{\"prompt\": \"p\", \"completion\": \"c\"}") + "\n");
    DataReader r = new DataReader(BadLinePolicy.SKIP);
    List<Row> rows = r.read(f);
    assertEquals(2, rows.size());
    String n = f.toString();
    assertEquals(List.of(
        n + ":2: empty line",
        n + ":3: invalid JSON: Unexpected end-of-input within/between Object entries",
        n + ":4: expected a JSON object (got array)",
        n + ":5: field \"text\" must be a string (got number)",
        n + ":6: field \"text\" is empty",
        n + ":7: missing field \"completion\"",
        n + ":8: missing field \"prompt\"",
        n + ":9: field \"completion\" must be a string (got null)",
        n + ":10: missing field \"text\" or \"prompt\"/\"completion\""), r.skipped());
  }

  @Test
  void failPolicyThrowsTheFirstMessage() throws Exception {
    Path f = Files.writeString(dir.resolve("bad.jsonl"), "{\"text\": \"ok\"}\n{\"text\": 5}\n");
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> new DataReader(BadLinePolicy.FAIL).read(f));
    assertEquals(f + ":2: field \"text\" must be a string (got number)", e.getMessage());
  }

  @Test
  void missingAndNonUtf8Files() throws Exception {
    Path missing = dir.resolve("none.txt");
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> new DataReader(BadLinePolicy.SKIP).read(missing));
    assertEquals("data: cannot read " + missing + ": no such file. Hint: check --data paths", e.getMessage());
    Path latin1 = Files.write(dir.resolve("l.txt"), new byte[] {'c', 'a', 'f', (byte) 0xE9});
    e = assertThrows(InvalidInputException.class, () -> new DataReader(BadLinePolicy.SKIP).read(latin1));
    assertEquals("data: cannot read " + latin1 + ": not valid UTF-8. Hint: re-encode it as UTF-8", e.getMessage());
  }
}
