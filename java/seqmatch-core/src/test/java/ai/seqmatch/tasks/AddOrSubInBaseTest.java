/* The arithmetic task's checker on hand-made answers, its generator against a long-arithmetic oracle, its noise. */
package ai.seqmatch.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class AddOrSubInBaseTest {
  private final AddOrSubInBase task = AddOrSubInBase.builder().build();

  private void right(String prompt, String completion) {
    Verdict v = task.verdict(prompt, completion);
    assertTrue(v.correct(), prompt + completion + ": " + v.reason());
    assertEquals("ok", v.reason());
  }

  private void wrong(String prompt, String completion, String reasonPart) {
    Verdict v = task.verdict(prompt, completion);
    assertFalse(v.correct(), "expected wrong: " + prompt + completion);
    assertFalse(task.check(prompt, completion));
    assertTrue(v.reason().contains(reasonPart), "reason '" + v.reason() + "' lacks '" + reasonPart + "'");
  }

  @Test
  void checksThePapersExampleAndNegativeResults() {
    String p = "In base 7, what is 25 - 163?\n"; // 19 - 94 = -75 = -(1*49 + 3*7 + 5)
    right(p, "-135");
    wrong(p, "135", "wrong value");
    wrong(p, "-136", "wrong value (got -136, expected -135)");
    wrong(p, "-0135", "leading zero");
    wrong(p, "--135", "not a base-7 number");
    wrong(p, "-", "no digits");
    wrong(p, "-138", "not a base-7 number (bad character '8'");
  }

  @Test
  void base2AndZero() {
    right("In base 2, what is 101 + 11?\n", "1000");
    wrong("In base 2, what is 101 + 11?\n", "01000", "leading zero");
    wrong("In base 2, what is 101 + 11?\n", "8", "not a base-2 number");
    wrong("In base 2, what is 101 + 11?\n", "1002", "not a base-2 number");
    right("In base 2, what is 1 - 1?\n", "0");
    wrong("In base 2, what is 1 - 1?\n", "-0", "negative zero");
    wrong("In base 2, what is 1 - 1?\n", "00", "leading zero");
    right("In base 2, what is 0 - 1?\n", "-1");
  }

  @Test
  void base16IsLowercaseOnly() {
    right("In base 16, what is ff + 1?\n", "100");
    right("In base 16, what is ff - 100?\n", "-1");
    right("In base 16, what is ff + ff?\n", "1fe");
    wrong("In base 16, what is ff + ff?\n", "1FE", "uppercase digit 'F'");
    wrong("In base 16, what is ff + ff?\n", "0x1fe", "not a base-16 number");
    wrong("In base 16, what is FF + 1?\n", "100", "prompt is not");
  }

  @Test
  void rejectsWhitespaceSignsLeadingZerosAndGarbage() {
    String p = "In base 10, what is 3 + 4?\n";
    right(p, "7");
    for (String bad : new String[] {"007", "07", "+7", " 7", "7 ", "7\n", "\t7", "7.0", "seven", "7<eos>", "７", "\u0000"}) {
      assertFalse(task.check(p, bad), bad);
    }
    wrong(p, "-7", "wrong value");
    wrong(p, "", "empty answer");
    wrong(p, null, "empty answer");
    wrong(p, "1".repeat(AddOrSubInBase.MAX_CHECKED_LENGTH + 1), "answer too long");
    wrong(p, "9".repeat(400), "wrong value");
  }

  @Test
  void unknownPromptsAreWrongNotErrors() {
    for (String p : new String[] {null, "", "hello", "In base 17, what is 1 + 1?\n", "In base 1, what is 0 + 0?\n",
        "In base 10, what is 08 + 1?\n", "In base 10, what is 1 * 1?\n", "In base 10, what is 1 + 1?",
        "In base 7, what is 9 + 1?\n", "In base 10, what is -1 + 1?\n"}) {
      Verdict v = task.verdict(p, "2");
      assertFalse(v.correct(), String.valueOf(p));
      assertTrue(v.reason().startsWith("prompt is not"), v.reason());
    }
  }

  @Test
  void longOperandsAreExact() {
    BigInteger a = new BigInteger("f".repeat(40), 16);
    String p = AddOrSubInBase.prompt(16, a, '+', BigInteger.ONE);
    right(p, "1" + "0".repeat(40));
    wrong(p, "1" + "0".repeat(39), "wrong value");
  }

  private static final Pattern Q = Pattern.compile("In base (\\d+), what is (\\w+) ([+-]) (\\w+)\\?\n");

  @Test
  void generatedAnswersPassTheCheckerAndAnIndependentOracle() {
    SplittableRandom rng = new SplittableRandom(7);
    int[] bases = new int[17];
    for (int i = 0; i < 20_000; i++) {
      TaskExample e = task.sample(rng);
      Matcher m = Q.matcher(e.prompt());
      assertTrue(m.matches(), e.prompt());
      int base = Integer.parseInt(m.group(1));
      bases[base]++;
      long a = Long.parseLong(m.group(2), base);
      long b = Long.parseLong(m.group(4), base);
      assertTrue(m.group(2).length() <= 6 && m.group(4).length() <= 6, e.prompt());
      assertEquals(Long.toString(m.group(3).equals("+") ? a + b : a - b, base), e.completion(), e.prompt());
      assertTrue(task.check(e.prompt(), e.completion()), e.prompt() + e.completion());
      assertTrue(e.completion().length() <= task.maxCompletionLength());
    }
    for (int base = 2; base <= 16; base++) {
      assertTrue(bases[base] > 800, "base " + base + " drawn " + bases[base] + " times");
    }
  }

  @Test
  void configurationIsHonouredAndValidated() {
    AddOrSubInBase t = AddOrSubInBase.builder().optBases(2, 2).optDigits(8, 8).build();
    SplittableRandom rng = new SplittableRandom(1);
    for (int i = 0; i < 200; i++) {
      TaskExample e = t.sample(rng);
      assertTrue(e.prompt().startsWith("In base 2, "), e.prompt());
      Matcher m = Q.matcher(e.prompt());
      assertTrue(m.matches());
      assertEquals(8, m.group(2).length());
      assertTrue(t.check(e.prompt(), e.completion()));
    }
    IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
        () -> AddOrSubInBase.builder().optBases(1, 17).optDigits(0, 3).build());
    assertTrue(ex.getMessage().contains("bases") && ex.getMessage().contains("digits"), ex.getMessage());
  }

  @Test
  void noiseIsAnotherDigitOfThePromptsBase() {
    NoiseSampler noise = task.groundTruthNoise().orElseThrow();
    assertEquals(List.of(), noise.alphabet("not a question"));
    SplittableRandom rng = new SplittableRandom(3);
    for (int i = 0; i < 3000; i++) {
      TaskExample e = task.sample(rng);
      Matcher m = Q.matcher(e.prompt());
      assertTrue(m.matches());
      int base = Integer.parseInt(m.group(1));
      assertEquals(base, noise.alphabet(e.prompt()).size());
      for (int pos = 0; pos < e.completion().length(); pos++) {
        char truth = e.completion().charAt(pos);
        char n = NoiseSampler.draw(noise.alphabet(e.prompt()), truth, rng).orElseThrow();
        assertNotEquals(truth, n);
        int d = Character.digit(n, 16);
        assertTrue(d >= 0 && d < base && !Character.isUpperCase(n), "noise " + n + " in base " + base);
      }
    }
  }

  @Test
  void strataAndDistinctCounts() {
    AddOrSubInBase t = AddOrSubInBase.builder().optBases(2, 3).optDigits(1, 2).build();
    // base 2: operands of 1 digit {0,1}, of 2 digits {10,11}: max length 1: 2·2² = 8;
    // max length 2: 2·(4² − 2²) = 24
    // base 3: 1 digit: 3 operands -> 18; 2 digits: 6 more -> 2·(9² − 3²) = 144
    assertEquals(Map.of("base 2, 1 digit", 8L, "base 2, 2 digits", 24L, "base 3, 1 digit", 18L,
        "base 3, 2 digits", 144L), t.distinctProblems());
    Map<String, java.util.Set<String>> seen = new java.util.HashMap<>();
    SplittableRandom rng = new SplittableRandom(5);
    for (int i = 0; i < 20000; i++) {
      TaskExample e = t.sample(rng);
      seen.computeIfAbsent(t.stratum(e.prompt()), k -> new java.util.HashSet<>()).add(e.prompt());
    }
    seen.forEach((k, v) -> assertEquals(t.distinctProblems().get(k), (long) v.size(), k)); // brute force
    assertEquals("base 3", t.group("In base 3, what is 12 + 2?\n"));
    assertEquals("base 3, 2 digits", t.stratum("In base 3, what is 12 + 2?\n"));
    assertEquals(Long.MAX_VALUE, AddOrSubInBase.builder().optDigits(1, 1000).build().distinctProblems()
        .get("base 16, 1000 digits"));
  }
}
