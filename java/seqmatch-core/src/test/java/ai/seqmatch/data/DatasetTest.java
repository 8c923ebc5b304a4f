/*
 * Dataset: deterministic, disjoint splits (by document, by chunk, by row), unigram counts, settings
 * errors, and (when ../shared data is present) GPT-2 chunk counts on tinyshakespeare.
 */
package ai.seqmatch.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.seqmatch.tokenize.ByteTokenizer;
import ai.seqmatch.tokenize.HfTokenizer;
import ai.seqmatch.tokenize.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetTest {
  @TempDir Path dir;
  private final Tokenizer bytes = new ByteTokenizer();

  private Path docsFile(int n) throws Exception {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.append("{\"text\": \"[").append(i).append("]").append("x".repeat(i % 7)).append("\"}\n");
    }
    return Files.writeString(dir.resolve("docs.jsonl"), sb.toString());
  }

  private Dataset build(Path f, long seed) {
    return Dataset.builder(bytes, 8).addFile(f).optValidationFraction(0.2).optSeed(seed).build();
  }

  @Test
  void documentSplitIsDeterministicAndDisjoint() throws Exception {
    Path f = docsFile(50);
    Dataset a = build(f, 3);
    Dataset b = build(f, 3);
    assertEquals(a.train(), b.train());
    assertEquals(a.validation(), b.validation());
    assertNotEquals(a.validation(), build(f, 4).validation());
    // Whole documents go to one side: the "[i]" markers seen in the two splits never overlap.
    Set<String> trainDocs = markers(a.train());
    Set<String> valDocs = markers(a.validation());
    // Each document goes to validation with probability 0.2 (Split): 10 of 50 expected, sd 2.8.
    assertTrue(valDocs.size() >= 4 && valDocs.size() <= 16, valDocs::toString);
    trainDocs.retainAll(valDocs);
    assertEquals(Set.of(), trainDocs);
  }

  private Set<String> markers(List<Example> chunks) {
    StringBuilder text = new StringBuilder();
    chunks.forEach(e -> text.append(bytes.decode(e.completion(), true)));
    Set<String> out = new HashSet<>();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\[(\\d+)]").matcher(text);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  @Test
  void singleTextFileIsSplitByChunk() throws Exception {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 100; i++) {
      text.append(String.format("%07d|", i)); // 8 bytes: chunk i holds exactly this
    }
    Path f = Files.writeString(dir.resolve("one.txt"), text); // 800 bytes + EOS
    Dataset d = build(f, 0);
    assertEquals(100, d.train().size() + d.validation().size()); // the 1-token tail (EOS) is dropped
    // Each chunk goes to validation with probability 0.2 (Split): 20 expected, sd 4.
    assertTrue(d.validation().size() >= 8 && d.validation().size() <= 32, () -> "" + d.validation().size());
    Set<Example> union = new HashSet<>(d.train());
    union.addAll(d.validation());
    assertEquals(100, union.size()); // disjoint, and every chunk used
    assertEquals(build(f, 0).validation(), d.validation());
    assertNotEquals(build(f, 1).validation(), d.validation());
  }

  @Test
  void pairSplitAndTooLongPromptsFollowPolicy() throws Exception {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 20; i++) {
      sb.append("{\"prompt\": \"").append(i % 5 == 0 ? "far too long prompt" : "p" + i).append("\", \"completion\": \"c\"}\n");
    }
    Path f = Files.writeString(dir.resolve("pairs.jsonl"), sb.toString());
    Dataset d = build(f, 1);
    assertEquals(16, d.train().size() + d.validation().size());
    assertEquals(4, d.skipped().size());
    assertTrue(d.skipped().get(0).startsWith(f + ":1: prompt too long (got 20 tokens, expected <= 7"), d.skipped().get(0));
    assertThrows(ai.seqmatch.InvalidInputException.class,
        () -> Dataset.builder(bytes, 8).addFile(f).optBadLinePolicy(BadLinePolicy.FAIL).build());
  }

  @Test
  void unigramCountsCompletionTokensOfTrainOnly() throws Exception {
    Path f = Files.writeString(dir.resolve("one.txt"), "aab");
    Dataset d = Dataset.builder(bytes, 2).addFile(f).optValidationFraction(0).build();
    // stream a a b <eos> -> chunks [a a] [b <eos>]
    UnigramTable u = d.unigram();
    assertEquals(4, u.total());
    assertEquals(2, u.count('a'));
    assertEquals(1, u.count('b'));
    assertEquals(1, u.count(ByteTokenizer.EOS));
    assertEquals(259, u.counts().length);
    assertEquals(0.5, u.probabilities()['a']);
  }

  @Test
  void invalidSettingsAreAllReported() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Dataset.builder(bytes, 1).optValidationFraction(1.5).build());
    assertEquals("dataset: invalid settings: seqLen must be >= 2 (got 1); validationFraction must be in [0, 1)"
        + " (got 1.5); no data files (call addFile)", e.getMessage());
  }

  @Test
  void tinyShakespeareWithGpt2() throws Exception {
    Path shakespeare = Path.of("../../../shared/data/tinyshakespeare.txt").toAbsolutePath().normalize();
    assumeTrue(Files.isReadable(shakespeare), "skipped: " + shakespeare + " not readable (shared data absent)");
    Path gpt2 = Path.of(getClass().getResource("/tokenize/gpt2/tokenizer.json").toURI());
    try (Tokenizer t = HfTokenizer.load(gpt2)) {
      Dataset d = Dataset.builder(t, 1024).addFile(shakespeare).optValidationFraction(0.1).build();
      // 338025 GPT-2 tokens (as nanoGPT reports) + 1 EOS = 338026 -> 330 full chunks of 1024.
      assertEquals(330, d.train().size() + d.validation().size());
      int v = d.validation().size(); // 33 expected (probability 0.1 per chunk), sd 5.5
      assertTrue(v >= 16 && v <= 50, () -> "validation chunks: " + v);
      assertEquals((330L - v) * 1024, d.unigram().total());
    }
  }
}
