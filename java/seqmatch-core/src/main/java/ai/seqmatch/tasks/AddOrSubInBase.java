/*
 * The "add-or-sub-in-base" arithmetic task of Cundy & Ermon 2024 (SequenceMatch, §5.1): the prompt asks for
 * a sum or difference of two numbers written in a base from 2 to 16, the completion is the result in that
 * base. Format (fixed, parsed back by the checker):
 *   prompt      "In base 7, what is 25 - 163?\n"
 *   completion  "-135"
 * Digits are 0-9 then a-f, LOWERCASE ONLY: the checker rejects "A" in base 16, because the completion must be
 * the exact canonical string (no leading zeros except "0" itself, no "-0", no "+", no spaces).
 * Tested by AddOrSubInBaseTest.
 */
package ai.seqmatch.tasks;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Addition or subtraction of two non-negative numbers in base b; the answer may be negative. */
public final class AddOrSubInBase implements Task {
  public static final String NAME = "add-or-sub-in-base";
  /** Longest completion the checker parses; anything longer is wrong without further work. */
  static final int MAX_CHECKED_LENGTH = 4096;
  private static final Pattern PROMPT =
      Pattern.compile("In base (\\d{1,2}), what is ([0-9a-f]{1,4096}) ([+-]) ([0-9a-f]{1,4096})\\?\n");

  private final int minBase;
  private final int maxBase;
  private final int minDigits;
  private final int maxDigits;
  private final Noise noise;

  private AddOrSubInBase(Builder b) {
    minBase = b.minBase;
    maxBase = b.maxBase;
    minDigits = b.minDigits;
    maxDigits = b.maxDigits;
    noise = new Noise();
  }

  /** Defaults: bases 2..16, operands of 1..6 digits. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String describe() {
    return NAME + ": bases " + minBase + ".." + maxBase + ", operands of " + minDigits + ".." + maxDigits
        + " digits";
  }

  @Override
  public TaskExample sample(RandomGenerator rng) {
    int base = rng.nextInt(minBase, maxBase + 1);
    boolean add = rng.nextBoolean();
    BigInteger a = operand(base, rng);
    BigInteger b = operand(base, rng);
    BigInteger result = add ? a.add(b) : a.subtract(b);
    return new TaskExample(prompt(base, a, add ? '+' : '-', b), result.toString(base));
  }

  /** The prompt text for {@code a op b} in {@code base} (operands must be non-negative). */
  public static String prompt(int base, BigInteger a, char op, BigInteger b) {
    return "In base " + base + ", what is " + a.toString(base) + " " + op + " " + b.toString(base) + "?\n";
  }

  @Override
  public int maxCompletionLength() {
    return maxDigits + 2; // a carry digit, or a '-' sign
  }

  @Override
  public Optional<NoiseSampler> groundTruthNoise() {
    return Optional.of(noise);
  }

  /** "base B, D digits": D is the longer operand's length (a split stratum). "?" for a foreign prompt. */
  @Override
  public String stratum(String prompt) {
    Question q = Question.parse(prompt);
    if (q == null) {
      return "?";
    }
    int digits = Math.max(q.a().toString(q.base()).length(), q.b().toString(q.base()).length());
    return "base " + q.base() + ", " + digits + (digits == 1 ? " digit" : " digits");
  }

  /** "base B". */
  @Override
  public String group(String prompt) {
    Question q = Question.parse(prompt);
    return q == null ? "?" : "base " + q.base();
  }

  /**
   * Per stratum: 2 operators × ordered operand pairs whose longer operand has D digits, i.e. C(D)² − C(D−1)²
   * with C(D) the operands of minDigits..D digits (saturating at Long.MAX_VALUE).
   */
  @Override
  public Map<String, Long> distinctProblems() {
    Map<String, Long> out = new LinkedHashMap<>();
    for (int base = minBase; base <= maxBase; base++) {
      BigInteger below = BigInteger.ZERO;
      BigInteger upTo = BigInteger.ZERO;
      BigInteger b = BigInteger.valueOf(base);
      for (int d = minDigits; d <= maxDigits; d++) {
        BigInteger ofLength = d == 1 ? b : b.subtract(BigInteger.ONE).multiply(b.pow(d - 1));
        upTo = upTo.add(ofLength);
        BigInteger n = upTo.pow(2).subtract(below.pow(2)).shiftLeft(1);
        below = upTo;
        out.put("base " + base + ", " + d + (d == 1 ? " digit" : " digits"),
            n.bitLength() < 63 ? n.longValue() : Long.MAX_VALUE);
      }
    }
    return out;
  }

  @Override
  public Verdict verdict(String prompt, String completion) {
    Question q = Question.parse(prompt);
    if (q == null) {
      return Verdict.wrong("prompt is not an " + NAME + " question");
    }
    if (completion == null || completion.isEmpty()) {
      return Verdict.wrong("empty answer");
    }
    if (completion.length() > MAX_CHECKED_LENGTH) {
      return Verdict.wrong("answer too long (got " + completion.length() + " characters)");
    }
    String expected = q.answer().toString(q.base());
    String problem = formatProblem(completion, q.base());
    if (problem != null) {
      return Verdict.wrong(problem + " (expected " + expected + ")");
    }
    if (!completion.equals(expected)) {
      return Verdict.wrong("wrong value (got " + completion + ", expected " + expected + ")");
    }
    return Verdict.ok();
  }

  /** Why {@code s} is not a canonical base-{@code base} integer, or null if it is one. */
  private static String formatProblem(String s, int base) {
    String digits = s.startsWith("-") ? s.substring(1) : s;
    if (digits.isEmpty()) {
      return "no digits";
    }
    for (int i = 0; i < digits.length(); i++) {
      char c = digits.charAt(i);
      int v = Character.digit(c, 16);
      if (v >= 0 && Character.isUpperCase(c)) {
        return "uppercase digit '" + c + "' (digits are lowercase)";
      }
      if (v < 0 || v >= base) {
        return "not a base-" + base + " number (bad character '" + printable(c) + "' at " + (s.length()
            - digits.length() + i) + ")";
      }
    }
    if (digits.length() > 1 && digits.charAt(0) == '0') {
      return "leading zero";
    }
    if (s.startsWith("-") && digits.equals("0")) {
      return "negative zero";
    }
    return null;
  }

  private static String printable(char c) {
    return Character.isISOControl(c) || Character.isWhitespace(c) ? String.format("\\u%04x", (int) c)
        : String.valueOf(c);
  }

  private BigInteger operand(int base, RandomGenerator rng) {
    int n = rng.nextInt(minDigits, maxDigits + 1);
    BigInteger big = BigInteger.valueOf(base);
    BigInteger v = BigInteger.valueOf(n == 1 ? rng.nextInt(base) : rng.nextInt(1, base));
    for (int i = 1; i < n; i++) {
      v = v.multiply(big).add(BigInteger.valueOf(rng.nextInt(base)));
    }
    return v;
  }

  /** A parsed prompt. */
  record Question(int base, BigInteger a, boolean add, BigInteger b) {
    BigInteger answer() {
      return add ? a.add(b) : a.subtract(b);
    }

    /** The question in {@code prompt}, or null if it is not one this task writes. */
    static Question parse(String prompt) {
      if (prompt == null || prompt.length() > 2 * MAX_CHECKED_LENGTH) {
        return null;
      }
      Matcher m = PROMPT.matcher(prompt);
      if (!m.matches()) {
        return null;
      }
      int base = Integer.parseInt(m.group(1));
      if (base < 2 || base > 16 || !canonical(m.group(2), base) || !canonical(m.group(4), base)) {
        return null;
      }
      return new Question(base, new BigInteger(m.group(2), base), m.group(3).equals("+"),
          new BigInteger(m.group(4), base));
    }

    private static boolean canonical(String digits, int base) {
      return formatProblem(digits, base) == null;
    }
  }

  /** The digits of the prompt's base (a '-' is replaced by a digit: a dropped sign). */
  private static final class Noise implements NoiseSampler {
    @Override
    public List<Character> alphabet(String prompt) {
      Question q = Question.parse(prompt);
      if (q == null) {
        return List.of();
      }
      List<Character> out = new ArrayList<>(q.base());
      for (int d = 0; d < q.base(); d++) {
        out.add(Character.forDigit(d, 16));
      }
      return out;
    }
  }

  /** Fluent builder; {@link #build()} lists every bad value. */
  public static final class Builder {
    private int minBase = 2;
    private int maxBase = 16;
    private int minDigits = 1;
    private int maxDigits = 6;

    private Builder() {}

    public Builder optBases(int minBase, int maxBase) {
      this.minBase = minBase;
      this.maxBase = maxBase;
      return this;
    }

    /** Digits per operand, drawn uniformly from [minDigits, maxDigits]. */
    public Builder optDigits(int minDigits, int maxDigits) {
      this.minDigits = minDigits;
      this.maxDigits = maxDigits;
      return this;
    }

    public AddOrSubInBase build() {
      List<String> problems = new ArrayList<>();
      if (minBase < 2 || maxBase > 16 || minBase > maxBase) {
        problems.add("bases must satisfy 2 <= min <= max <= 16 (got " + minBase + ".." + maxBase + ")");
      }
      if (minDigits < 1 || maxDigits > 1000 || minDigits > maxDigits) {
        problems.add("digits must satisfy 1 <= min <= max <= 1000 (got " + minDigits + ".." + maxDigits + ")");
      }
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException(NAME + ": " + String.join("; ", problems));
      }
      return new AddOrSubInBase(this);
    }
  }
}
