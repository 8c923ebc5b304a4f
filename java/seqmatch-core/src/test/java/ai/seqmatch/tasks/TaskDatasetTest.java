/* Deterministic JSONL task data, disjoint splits, the registry, and the trainer's noise-candidate JSON. */
package ai.seqmatch.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.data.BadLinePolicy;
import ai.seqmatch.data.DataReader;
import ai.seqmatch.data.Row;
import ai.seqmatch.tokenize.ByteTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskDatasetTest {
  @TempDir Path tmp;

  @Test
  void sameSeedSameData() throws Exception {
    Task t = TaskRegistry.get("add-or-sub-in-base");
    Path a = tmp.resolve("a.jsonl");
    Path b = tmp.resolve("b.jsonl");
    TaskDataset.write(t, 50, 9, a);
    TaskDataset.write(t, 50, 9, b);
    assertEquals(Files.readString(a), Files.readString(b));
    assertNotEquals(TaskDataset.sample(t, 50, 9), TaskDataset.sample(t, 50, 10));
    List<Row> rows = new DataReader(BadLinePolicy.FAIL).read(a);
    assertEquals(50, rows.size());
    for (Row r : rows) {
      Row.Pair p = (Row.Pair) r;
      assertTrue(t.check(p.prompt(), p.completion()), p.prompt() + p.completion());
    }
    assertEquals(List.of(), List.of(tmp.toFile().list()).stream().filter(f -> f.endsWith(".tmp")).toList());
  }

  @Test
  void splitsShareNoPrompt() {
    Task t = AddOrSubInBase.builder().optBases(2, 3).optDigits(1, 3).build(); // a small space: collisions happen
    TaskDataset.Splits s = TaskDataset.writeSplits(t, tmp.resolve("d"), 300, 50, 50, 1);
    DataReader reader = new DataReader(BadLinePolicy.FAIL);
    Set<String> test = prompts(reader.read(s.test()));
    Set<String> validation = prompts(reader.read(s.validation()));
    List<Row> train = reader.read(s.train());
    assertEquals(300, train.size());
    assertEquals(50, reader.read(s.test()).size());
    for (Row r : train) {
      String p = ((Row.Pair) r).prompt();
      assertTrue(!test.contains(p) && !validation.contains(p), p);
    }
    validation.forEach(p -> assertTrue(!test.contains(p), p));
  }

  @Test
  void tooFewDistinctPromptsIsAClearError() {
    Task t = AddOrSubInBase.builder().optBases(2, 2).optDigits(1, 1).build(); // 8 distinct prompts
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> TaskDataset.sample(t, 5, 0, Set.copyOf(TaskDataset.sample(t, 200, 1).stream()
            .map(TaskExample::prompt).toList())));
    assertTrue(e.getMessage().contains("too few distinct prompts"), e.getMessage());
  }

  private static Set<String> prompts(List<Row> rows) {
    Set<String> out = new HashSet<>();
    rows.forEach(r -> out.add(((Row.Pair) r).prompt()));
    return out;
  }

  @Test
  void registryNamesTasksAndListsThemOnUnknownNames() {
    assertEquals(List.of("add-or-sub-in-base", "dyck"), TaskRegistry.names());
    assertEquals("dyck", TaskRegistry.get("dyck").name());
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> TaskRegistry.get("sort"));
    assertEquals("unknown task (got \"sort\", expected one of add-or-sub-in-base, dyck). Hint: 'seqmatch tasks "
        + "list' shows them", e.getMessage());
  }

  @Test
  void noiseCandidatesJsonUsesByteIds() throws Exception {
    Task t = AddOrSubInBase.builder().optBases(2, 3).build();
    Path out = tmp.resolve("noise.json");
    NoiseCandidates.write(t.groundTruthNoise().orElseThrow().candidates(), new ByteTokenizer(), out);
    JsonNode j = new ObjectMapper().readTree(out.toFile());
    // '0' = 48 -> ['1','2'], '1' = 49 -> ['0','2'], '2' = 50 -> ['0','1'], '-' = 45 -> ['1','2']
    assertEquals("{\"45\":[49,50],\"48\":[49,50],\"49\":[48,50],\"50\":[48,49]}", j.toString());
  }

  @Test
  void multiTokenCharactersAreRejected() {
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> NoiseCandidates.toJson(java.util.Map.of('é', List.of('e')), new ByteTokenizer()));
    assertTrue(e.getMessage().contains("is 2 tokens"), e.getMessage());
  }
}
