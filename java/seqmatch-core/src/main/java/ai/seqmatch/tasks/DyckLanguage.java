/*
 * Dyck-k: balanced, well-nested strings over k bracket pairs. The prompt states a total length N and gives a
 * valid prefix; a completion is valid iff prefix + completion uses only the k pairs, never closes a bracket
 * it did not open (or of another type), ends with nothing open, and is exactly N characters long (± a
 * configurable slack). Any valid continuation counts, not only the reference. Completions are long (about
 * 3N/4 characters), so one early mistake sinks the whole sequence: compounding error is visible.
 *   prompt      "length 12: ([" ,  completion "]){}<>()"   (any of the valid continuations)
 * Tested by DyckLanguageTest.
 */
package ai.seqmatch.tasks;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Complete a Dyck-k prefix to a balanced string of a stated length. */
public final class DyckLanguage implements Task {
  public static final String NAME = "dyck";
  /** Openers and closers, in pair order; k pairs use the first k of each. */
  private static final String OPEN = "([{<";
  private static final String CLOSE = ")]}>";
  private static final Pattern PROMPT = Pattern.compile("length (\\d{1,5}): (.*)", Pattern.DOTALL);

  private final int pairs;
  private final int minLength;
  private final int maxLength;
  private final int maxDepth;
  private final int lengthSlack;
  private final NoiseSampler noise;

  private DyckLanguage(Builder b) {
    pairs = b.pairs;
    minLength = b.minLength;
    maxLength = b.maxLength;
    maxDepth = b.maxDepth;
    lengthSlack = b.lengthSlack;
    List<Character> alphabet = new ArrayList<>();
    for (char c : (OPEN.substring(0, pairs) + CLOSE.substring(0, pairs)).toCharArray()) {
      alphabet.add(c);
    }
    List<Character> brackets = List.copyOf(alphabet);
    noise = prompt -> brackets;
  }

  /** Defaults: 3 pairs "()[]{}", total length 64..240 (even), depth at most 16, exact length. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String describe() {
    return NAME + ": " + pairs + " bracket pairs, total length " + minLength + ".." + maxLength + ", depth <= "
        + maxDepth + ", length slack " + lengthSlack;
  }

  /** Width of a stratum of stated lengths: strata are "length 64-95", "length 96-127", ... */
  private static final int STRATUM_WIDTH = 32;

  /** The stated total length, in buckets of 32 (a split stratum and a report group). "?" for a foreign prompt. */
  @Override
  public String stratum(String prompt) {
    Matcher m = prompt == null ? null : PROMPT.matcher(prompt);
    if (m == null || !m.matches()) {
      return "?";
    }
    int lo = Integer.parseInt(m.group(1)) / STRATUM_WIDTH * STRATUM_WIDTH;
    return "length " + lo + "-" + (lo + STRATUM_WIDTH - 1);
  }

  @Override
  public TaskExample sample(RandomGenerator rng) {
    int n = 2 * rng.nextInt((minLength + 1) / 2, maxLength / 2 + 1);
    StringBuilder s = new StringBuilder(n);
    Deque<Integer> open = new ArrayDeque<>();
    for (int remaining = n; remaining > 0; remaining--) {
      // Parity keeps remaining - depth even, so closing when depth == remaining always finishes the string.
      boolean mustClose = open.size() == remaining || open.size() == maxDepth;
      boolean close = !open.isEmpty() && (mustClose || rng.nextBoolean());
      if (close) {
        s.append(CLOSE.charAt(open.pop()));
      } else {
        int type = rng.nextInt(pairs);
        open.push(type);
        s.append(OPEN.charAt(type));
      }
    }
    int prefix = rng.nextInt(1, n / 4 + 1);
    return new TaskExample("length " + n + ": " + s.substring(0, prefix), s.substring(prefix));
  }

  @Override
  public int maxCompletionLength() {
    return maxLength - 1;
  }

  @Override
  public Optional<NoiseSampler> groundTruthNoise() {
    return Optional.of(noise);
  }

  @Override
  public Verdict verdict(String prompt, String completion) {
    Matcher m = prompt == null ? null : PROMPT.matcher(prompt);
    if (m == null || !m.matches()) {
      return Verdict.wrong("prompt is not a " + NAME + " question");
    }
    int target = Integer.parseInt(m.group(1));
    String prefix = m.group(2);
    Deque<Integer> open = new ArrayDeque<>();
    if (scan(prefix, 0, open) != null) {
      return Verdict.wrong("prompt is not a " + NAME + " question (its prefix is not a valid Dyck prefix)");
    }
    if (completion == null || completion.isEmpty()) {
      return Verdict.wrong("empty completion");
    }
    String problem = scan(completion, prefix.length(), open);
    if (problem != null) {
      return Verdict.wrong(problem);
    }
    if (!open.isEmpty()) {
      return Verdict.wrong("unclosed brackets (" + open.size() + " still open at the end)");
    }
    int total = prefix.length() + completion.length();
    if (Math.abs(total - target) > lengthSlack) {
      return Verdict.wrong("wrong length (got " + total + " characters in all, expected " + target
          + (lengthSlack > 0 ? " ± " + lengthSlack : "") + ")");
    }
    return Verdict.ok();
  }

  /** Pushes/pops {@code s} onto {@code open}; the first problem (positions counted from {@code offset}), or null. */
  private String scan(String s, int offset, Deque<Integer> open) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      int o = OPEN.indexOf(c);
      int cl = CLOSE.indexOf(c);
      if (o >= 0 && o < pairs) {
        open.push(o);
      } else if (cl >= 0 && cl < pairs) {
        if (open.isEmpty()) {
          return "extra closer '" + c + "' at " + (offset + i) + " (nothing is open)";
        }
        int top = open.pop();
        if (top != cl) {
          return "closer '" + c + "' at " + (offset + i) + " does not match '" + OPEN.charAt(top) + "'";
        }
      } else {
        return "bad character '" + (Character.isISOControl(c) || Character.isWhitespace(c)
            ? String.format("\\u%04x", (int) c) : String.valueOf(c)) + "' at " + (offset + i)
            + " (expected one of " + OPEN.substring(0, pairs) + CLOSE.substring(0, pairs) + ")";
      }
    }
    return null;
  }

  /** Fluent builder; {@link #build()} lists every bad value. */
  public static final class Builder {
    private int pairs = 3;
    private int minLength = 64;
    private int maxLength = 240;
    private int maxDepth = 16;
    private int lengthSlack = 0;

    private Builder() {}

    /** Number of bracket types, 1..4: "()", "[]", "{}", "<>". */
    public Builder optPairs(int pairs) {
      this.pairs = pairs;
      return this;
    }

    /** Total length N (prefix + completion), drawn uniformly among the even values in [min, max]. */
    public Builder optLengths(int minLength, int maxLength) {
      this.minLength = minLength;
      this.maxLength = maxLength;
      return this;
    }

    /** Most brackets open at once in generated examples (the checker accepts any depth). */
    public Builder optMaxDepth(int maxDepth) {
      this.maxDepth = maxDepth;
      return this;
    }

    /** How far the total length may be from N and still count as valid (0 = exact). */
    public Builder optLengthSlack(int lengthSlack) {
      this.lengthSlack = lengthSlack;
      return this;
    }

    public DyckLanguage build() {
      List<String> problems = new ArrayList<>();
      if (pairs < 1 || pairs > OPEN.length()) {
        problems.add("pairs must be in 1..4 (got " + pairs + ")");
      }
      if (minLength < 4 || maxLength > 99_999 || minLength > maxLength || maxLength / 2 < (minLength + 1) / 2) {
        problems.add("lengths must satisfy 4 <= min <= max <= 99999 with an even value between (got "
            + minLength + ".." + maxLength + ")");
      }
      if (maxDepth < 1) {
        problems.add("max depth must be >= 1 (got " + maxDepth + ")");
      }
      if (lengthSlack < 0) {
        problems.add("length slack must be >= 0 (got " + lengthSlack + ")");
      }
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException(NAME + ": " + String.join("; ", problems));
      }
      return new DyckLanguage(this);
    }
  }
}
