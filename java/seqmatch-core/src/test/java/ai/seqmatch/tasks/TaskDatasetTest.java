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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
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
    assertEquals(50, test.size()); // 50 rows, 50 distinct prompts
    assertEquals(50, validation.size());
    for (Row r : train) {
      String p = ((Row.Pair) r).prompt();
      assertTrue(!test.contains(p) && !validation.contains(p), p);
    }
    validation.forEach(p -> assertTrue(!test.contains(p), p));
  }

  @Test
  void quickstartSizedSplitIsDistinctAndEveryTestStratumIsTrained() {
    Task t = AddOrSubInBase.builder().optBases(2, 10).optDigits(1, 1).build(); // 768 distinct problems
    TaskDataset.Split s = TaskDataset.split(t, 2000, 150, 200, 4);
    Set<String> test = new HashSet<>();
    s.test().forEach(e -> test.add(e.prompt()));
    assertEquals(200, test.size());
    Set<String> trainStrata = new HashSet<>();
    s.train().forEach(e -> trainStrata.add(t.stratum(e.prompt())));
    Map<String, Long> heldOut = new HashMap<>();
    for (TaskExample e : s.test()) {
      assertTrue(trainStrata.contains(t.stratum(e.prompt())), t.stratum(e.prompt()));
      heldOut.merge(t.stratum(e.prompt()), 1L, Long::sum);
    }
    s.validation().forEach(e -> heldOut.merge(t.stratum(e.prompt()), 1L, Long::sum));
    // at most half of each stratum is held out: base 2 has 8 problems, so at most 4
    heldOut.forEach((k, n) -> assertTrue(n <= t.distinctProblems().get(k) / 2, k + ": " + n));
    assertEquals(9, t.distinctProblems().size()); // one stratum per base
    assertEquals(s, TaskDataset.split(t, 2000, 150, 200, 4)); // deterministic
  }

  @Test
  void askingForMoreDistinctPromptsThanExistIsAnErrorNamingTheCounts() {
    Task t = AddOrSubInBase.builder().optBases(2, 10).optDigits(1, 1).build();
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> TaskDataset.split(t, 100, 500, 200, 0));
    assertEquals("task data: asked for 200 test + 500 validation distinct prompts, but add-or-sub-in-base: bases "
        + "2..10, operands of 1..1 digits has 768 distinct problems and at most 384 may be held out (half of each "
        + "stratum stays for training). Hint: ask for fewer, or a larger task configuration", e.getMessage());
  }

  @Test
  void distinctDrawsEveryProblemOnceAndNoMore() {
    Task t = AddOrSubInBase.builder().optBases(2, 3).optDigits(1, 1).build(); // 2·4 + 2·9 = 26 problems
    List<TaskExample> all = TaskDataset.distinct(t, 26, 5);
    assertEquals(26, all.stream().map(TaskExample::prompt).distinct().count());
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> TaskDataset.distinct(t, 27, 5));
    assertTrue(e.getMessage().contains("asked for 27 distinct prompts") && e.getMessage().contains("only 26"),
        e.getMessage());
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
  void noiseCandidatesJsonHoldsEachPromptsAlphabetInByteIds() throws Exception {
    Task t = AddOrSubInBase.builder().optBases(2, 3).build();
    Path out = tmp.resolve("noise.json");
    List<TaskExample> rows = List.of(new TaskExample("In base 2, what is 1 + 1?\n", "10"),
        new TaskExample("In base 3, what is 2 - 1?\n", "1"), new TaskExample("In base 2, what is 1 + 1?\n", "10"));
    NoiseCandidates.write(t, rows, new ByteTokenizer(), out);
    JsonNode j = new ObjectMapper().readTree(out.toFile());
    assertEquals("seqmatch-noise/2", j.path("format").asText());
    assertEquals(94, j.path("uniform").size()); // '!'..'~'
    assertEquals(33, j.path("uniform").get(0).asInt());
    assertEquals("[[48,49],[48,49,50]]", j.path("alphabets").toString()); // '0','1' | '0','1','2'
    assertEquals(2, j.path("examples").size()); // distinct prompts
    assertEquals(1, j.path("examples").get(1).path("alphabet").asInt());
    long[] ids = new ByteTokenizer().encodePrompt("In base 3, what is 2 - 1?\n");
    assertEquals(ids.length, j.path("examples").get(1).path("prompt_ids").size());
    assertEquals(ids[3], j.path("examples").get(1).path("prompt_ids").get(3).asLong());
  }

  @Test
  void multiTokenCharactersAreRejected() {
    Task accented = new Task() {
      @Override
      public String name() {
        return "accented";
      }

      @Override
      public TaskExample sample(java.util.random.RandomGenerator rng) {
        return new TaskExample("q", "e");
      }

      @Override
      public Verdict verdict(String prompt, String completion) {
        return Verdict.ok();
      }

      @Override
      public int maxCompletionLength() {
        return 1;
      }

      @Override
      public java.util.Optional<NoiseSampler> groundTruthNoise() {
        return java.util.Optional.of(prompt -> List.of('e', '\u00e9'));
      }

      @Override
      public String describe() {
        return "accented";
      }
    };
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> NoiseCandidates.toJson(accented, List.of(new TaskExample("q", "e")), new ByteTokenizer()));
    assertTrue(e.getMessage().contains("is 2 tokens"), e.getMessage());
  }
}
