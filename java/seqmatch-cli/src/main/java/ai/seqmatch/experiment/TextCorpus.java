/*
 * The data of `seqmatch experiment text`: a plain-text corpus cut into items (blank-line-separated paragraphs,
 * e.g. one speech of tinyshakespeare), deduplicated, shuffled with the split seed and split BY DISTINCT ITEM
 * into test, validation and train, so no held-out prompt or continuation occurs in training. A held-out item
 * long enough gives one prompt (its first promptChars characters) and its true continuation (the next
 * continuationChars characters), the reference text of MAUVE. Tested by TextExperimentTest.
 */
package ai.seqmatch.experiment;

import ai.seqmatch.InvalidInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/** Static splitting of a corpus. */
final class TextCorpus {
  private TextCorpus() {}

  /** A held-out prompt, the item's true continuation, and the whole item (for perplexity). */
  record Prompt(String prompt, String continuation, String item) {}

  /** Training items and held-out prompts; no item is in two parts. */
  record Split(List<String> train, List<Prompt> validation, List<Prompt> test) {}

  /** The corpus's distinct non-blank paragraphs, in corpus order. */
  static List<String> items(Path corpus) {
    if (!Files.isRegularFile(corpus)) {
      throw new InvalidInputException("--corpus: no such file " + corpus + " (a UTF-8 text file; paragraphs "
          + "separated by blank lines are the items)");
    }
    String text;
    try {
      text = Files.readString(corpus, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new InvalidInputException("--corpus: cannot read " + corpus + " as UTF-8: " + e.getMessage(), e);
    }
    Set<String> items = new LinkedHashSet<>();
    for (String p : text.replace("\r\n", "\n").split("\n\\s*\n")) {
      if (!p.isBlank()) {
        items.add(p.strip());
      }
    }
    return new ArrayList<>(items);
  }

  /**
   * Shuffles the distinct items with {@code seed}; the first long-enough ones give the test prompts, the next
   * the validation prompts; every other item is training text.
   */
  static Split split(Path corpus, int test, int validation, int promptChars, int continuationChars, long seed) {
    List<String> items = items(corpus);
    Collections.shuffle(items, new Random(seed));
    List<Prompt> t = new ArrayList<>();
    List<Prompt> v = new ArrayList<>();
    List<String> train = new ArrayList<>();
    int need = promptChars + continuationChars;
    for (String item : items) {
      boolean eligible = item.length() >= need;
      if (eligible && t.size() < test) {
        t.add(prompt(item, promptChars, continuationChars));
      } else if (eligible && v.size() < validation) {
        v.add(prompt(item, promptChars, continuationChars));
      } else {
        train.add(item);
      }
    }
    if (t.size() < test || v.size() < validation || train.isEmpty()) {
      throw new InvalidInputException("--corpus " + corpus + ": " + items.size() + " distinct paragraphs give "
          + t.size() + " test and " + v.size() + " validation prompts of " + need + "+ characters and "
          + train.size() + " training paragraphs (need " + test + ", " + validation + " and >= 1). Hint: lower "
          + "--test, --validation, --prompt-chars or --continuation-chars");
    }
    return new Split(train, v, t);
  }

  private static Prompt prompt(String item, int promptChars, int continuationChars) {
    return new Prompt(item.substring(0, promptChars), item.substring(promptChars, promptChars + continuationChars),
        item);
  }
}
