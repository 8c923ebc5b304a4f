/* Dyck-k checker on valid and invalid continuations, and generated examples always valid. */
package ai.seqmatch.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DyckLanguageTest {
  private final DyckLanguage task = DyckLanguage.builder().build();

  private void wrong(String prompt, String completion, String reasonPart) {
    Verdict v = task.verdict(prompt, completion);
    assertFalse(v.correct(), prompt + completion);
    assertTrue(v.reason().contains(reasonPart), "reason '" + v.reason() + "' lacks '" + reasonPart + "'");
  }

  @Test
  void acceptsAnyBalancedContinuationOfTheStatedLength() {
    assertTrue(task.check("length 8: ([", "]){}()"));
    assertTrue(task.check("length 8: ([", "])(){}"));
    assertTrue(task.check("length 8: ([", "]{}())"));
    assertEquals(Verdict.ok(), task.verdict("length 4: ", "([])"));
  }

  @Test
  void rejectsWrongNestingUnclosedExtraClosersAndBadCharacters() {
    wrong("length 8: ([", ")]{}()", "closer ')' at 2 does not match '['");
    wrong("length 8: ([", "]({}(", "unclosed brackets (3 still open");
    wrong("length 8: ()", ")(()()", "extra closer ')' at 2");
    wrong("length 8: ([", "]) {}()", "bad character '\\u0020' at 4");
    wrong("length 8: ([", "])<>()", "bad character '<'");
    wrong("length 8: ([", "])x()", "bad character 'x'");
    wrong("length 8: ([", "", "empty completion");
    wrong("length 8: ([", null, "empty completion");
    wrong("length 8: ([", "])", "wrong length (got 4 characters in all, expected 8)");
    wrong("length 8: ([", "]){}(){}", "wrong length (got 10");
  }

  @Test
  void unknownPromptsAreWrongNotErrors() {
    for (String p : new String[] {null, "", "len 8: (", "length 8: (]", "length 8: )", "length x: (", "length 8: (a"}) {
      Verdict v = task.verdict(p, ")");
      assertFalse(v.correct(), String.valueOf(p));
      assertTrue(v.reason().startsWith("prompt is not"), v.reason());
    }
  }

  @Test
  void slackAndPairsAreConfigurable() {
    DyckLanguage loose = DyckLanguage.builder().optPairs(4).optLengthSlack(2).build();
    assertTrue(loose.check("length 8: ([", "])<>"));
    assertFalse(loose.check("length 8: ([", "])"));
    IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
        () -> DyckLanguage.builder().optPairs(5).optLengths(10, 6).optLengthSlack(-1).build());
    assertTrue(ex.getMessage().contains("pairs") && ex.getMessage().contains("lengths")
        && ex.getMessage().contains("slack"), ex.getMessage());
  }

  @Test
  void generatedExamplesAreValidLongAndRespectTheConfiguration() {
    SplittableRandom rng = new SplittableRandom(5);
    int minCompletion = Integer.MAX_VALUE;
    int maxCompletion = 0;
    for (int i = 0; i < 5000; i++) {
      TaskExample e = task.sample(rng);
      assertTrue(task.check(e.prompt(), e.completion()), e.prompt() + " | " + e.completion() + ": "
          + task.verdict(e.prompt(), e.completion()).reason());
      int n = Integer.parseInt(e.prompt().substring(7, e.prompt().indexOf(':')));
      assertTrue(n % 2 == 0 && n >= 64 && n <= 240, "length " + n);
      assertTrue(e.completion().chars().allMatch(c -> "()[]{}".indexOf(c) >= 0));
      minCompletion = Math.min(minCompletion, e.completion().length());
      maxCompletion = Math.max(maxCompletion, e.completion().length());
      assertTrue(e.completion().length() <= task.maxCompletionLength());
      // A single wrong character anywhere makes it invalid.
      char[] c = e.completion().toCharArray();
      int pos = rng.nextInt(c.length);
      c[pos] = NoiseSampler.draw(task.groundTruthNoise().orElseThrow().alphabet(e.prompt()), c[pos], rng).orElseThrow();
      assertFalse(task.check(e.prompt(), new String(c)), "noised " + new String(c));
    }
    assertTrue(minCompletion >= 48, "shortest completion " + minCompletion);
    assertTrue(maxCompletion >= 200, "longest completion " + maxCompletion);
  }

  @Test
  void noiseCandidatesAreTheOtherBrackets() {
    List<Character> alphabet = task.groundTruthNoise().orElseThrow().alphabet("length 8: ([");
    assertEquals(List.of('(', '[', '{', ')', ']', '}'), alphabet);
    SplittableRandom rng = new SplittableRandom(1);
    for (char truth : "([{)]}".toCharArray()) {
      for (int i = 0; i < 50; i++) {
        assertNotEquals(truth, NoiseSampler.draw(alphabet, truth, rng).orElseThrow());
      }
    }
  }
}
