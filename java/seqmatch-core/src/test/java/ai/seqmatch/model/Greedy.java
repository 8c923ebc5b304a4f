/*
 * Greedy decoding by full recompute, as HF generate(do_sample=False) does it: a row that emitted
 * eos keeps emitting the pad token, which HF sets to eos when the config has none.
 */
package ai.seqmatch.model;

final class Greedy {
  private Greedy() {}

  /** Returns [rows, promptLen + steps] ids, row-major. */
  static long[] decode(CausalLM model, long[] prompt, int rows, int promptLen, int steps) {
    long vocab = model.config().vocabSize();
    long eos = model.config().eosTokenId();
    long pad = model.config().padTokenId() >= 0 ? model.config().padTokenId() : eos;
    int total = promptLen + steps;
    long[] seq = new long[rows * total];
    boolean[] done = new boolean[rows];
    for (int b = 0; b < rows; b++) {
      System.arraycopy(prompt, b * promptLen, seq, b * total, promptLen);
    }
    for (int len = promptLen; len < total; len++) {
      long[] ids = new long[rows * len];
      for (int b = 0; b < rows; b++) {
        System.arraycopy(seq, b * total, ids, b * len, len);
      }
      float[] logits = model.forward(ids, rows, len);
      for (int b = 0; b < rows; b++) {
        int base = (int) (((long) b * len + len - 1) * vocab);
        int best = 0;
        for (int v = 1; v < vocab; v++) {
          if (logits[base + v] > logits[base + best]) {
            best = v; // strict '>' keeps the first maximum, like torch.argmax
          }
        }
        long next = done[b] ? pad : best;
        done[b] |= eos >= 0 && next == eos;
        seq[b * total + len] = next;
      }
    }
    return seq;
  }
}
