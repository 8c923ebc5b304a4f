/*
 * The no-retype rule's bookkeeping for one row (DESIGN.md §3 "Generation"), the Java twin of the banned
 * sets in native/src/sample/decoder.cpp; the ONNX Runtime generator and the server's step engines share
 * it. After <bkspc> the state and its logits are exactly those before the deleted token, so a
 * deterministic decoder would type it again and loop: a token deleted at a state is banned at that
 * state. States are named by depth (generated tokens in the state), which suffices because appending
 * a token at depth d clears every set deeper than d: those belonged to another prefix. Where the bans
 * would leave no allowed action (a tiny vocabulary tried out) the rule yields, as natively.
 */
package ai.seqmatch.sample;

import java.util.ArrayList;
import java.util.List;

/** Tokens deleted at each depth of one row's current prefix. Not thread-safe (one row, one thread). */
public final class RetypeBans {
  private final List<long[]> banned = new ArrayList<>(); // per depth: the deleted tokens, in order
  private final List<Integer> counts = new ArrayList<>();

  /** Records that {@code <bkspc>} deleted {@code token}, leaving a state of {@code depth} generated tokens. */
  public void deleted(int depth, long token) {
    while (banned.size() <= depth) {
      banned.add(new long[4]);
      counts.add(0);
    }
    long[] set = banned.get(depth);
    int n = counts.get(depth);
    if (n == set.length) {
      set = java.util.Arrays.copyOf(set, 2 * n);
      banned.set(depth, set);
    }
    set[n] = token;
    counts.set(depth, n + 1);
  }

  /** Records that a token was appended to a state of {@code depth}: the sets of deeper states are void. */
  public void appended(int depth) {
    while (banned.size() > depth + 1) {
      banned.remove(banned.size() - 1);
      counts.remove(counts.size() - 1);
    }
  }

  /**
   * Masks (-inf) the tokens banned at a state of {@code depth} in its logits {@code x}, unless that would
   * leave no action allowed. Returns how many were masked.
   */
  public int mask(float[] x, int depth) {
    if (depth >= banned.size() || counts.get(depth) == 0) {
      return 0;
    }
    long[] set = banned.get(depth);
    int n = counts.get(depth);
    int allowed = 0;
    for (int v = 0; v < x.length; v++) {
      if (x[v] > Float.NEGATIVE_INFINITY && !contains(set, n, v)) {
        allowed++;
      }
    }
    if (allowed == 0) {
      return 0; // the rule yields rather than leave the row without an action
    }
    int masked = 0;
    for (int i = 0; i < n; i++) {
      int v = (int) set[i];
      if (v >= 0 && v < x.length && x[v] > Float.NEGATIVE_INFINITY) {
        x[v] = Float.NEGATIVE_INFINITY;
        masked++;
      }
    }
    return masked;
  }

  private static boolean contains(long[] set, int n, long v) {
    for (int i = 0; i < n; i++) {
      if (set[i] == v) {
        return true;
      }
    }
    return false;
  }
}
