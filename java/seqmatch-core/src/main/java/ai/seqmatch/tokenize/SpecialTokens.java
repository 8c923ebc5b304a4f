/*
 * Ids of the special tokens SeqMatch cares about; NONE (-1) marks an absent one, as in ModelConfig and
 * the native ModelSpec. Tested by SpecialTokensTest.
 */
package ai.seqmatch.tokenize;

/**
 * Special-token ids of a tokenizer.
 *
 * @param bos start of sequence, or {@link #NONE}
 * @param eos end of document / episode, or {@link #NONE}
 * @param pad padding, or {@link #NONE}
 * @param bkspc the SequenceMatch {@code <bkspc>} action, or {@link #NONE}
 */
public record SpecialTokens(long bos, long eos, long pad, long bkspc) {
  /** Marks an absent token (same value as {@code ModelConfig.NO_TOKEN}). */
  public static final long NONE = -1;

  public SpecialTokens {
    for (long id : new long[] {bos, eos, pad, bkspc}) {
      if (id < NONE) {
        throw new IllegalArgumentException(
            "special tokens: ids must be >= 0, or -1 for none (got bos=" + bos + ", eos=" + eos + ", pad="
                + pad + ", bkspc=" + bkspc + ")");
      }
    }
  }

  /** No special tokens at all. */
  public static SpecialTokens none() {
    return new SpecialTokens(NONE, NONE, NONE, NONE);
  }

  public boolean hasBos() {
    return bos != NONE;
  }

  public boolean hasEos() {
    return eos != NONE;
  }

  public boolean hasPad() {
    return pad != NONE;
  }

  public boolean hasBkspc() {
    return bkspc != NONE;
  }

  /** True if {@code id} is one of the four ids here. */
  public boolean contains(long id) {
    return id != NONE && (id == bos || id == eos || id == pad || id == bkspc);
  }

  public SpecialTokens withBos(long id) {
    return new SpecialTokens(id, eos, pad, bkspc);
  }

  public SpecialTokens withEos(long id) {
    return new SpecialTokens(bos, id, pad, bkspc);
  }

  public SpecialTokens withPad(long id) {
    return new SpecialTokens(bos, eos, id, bkspc);
  }

  public SpecialTokens withBkspc(long id) {
    return new SpecialTokens(bos, eos, pad, id);
  }
}
