/*
 * Text <-> token ids. Implementations: ByteTokenizer (built in, zero download), HfTokenizer (any Hugging
 * Face tokenizer.json through DJL) and the wrapper made by Tokenizers.withSeqMatchSpecials. Streaming
 * text for generation goes through StreamingDecoder. Tested by ByteTokenizerTest, HfTokenizerTest.
 */
package ai.seqmatch.tokenize;

/**
 * A tokenizer. Ids run from 0 to {@link #vocabSize()} - 1; ids at or above {@link #baseVocabSize()} are
 * the special tokens SeqMatch appended (see {@link Tokenizers#withSeqMatchSpecials}). Encoding never
 * produces a SeqMatch-appended special from text. Close it when done (HfTokenizer holds native memory).
 */
public interface Tokenizer extends AutoCloseable {

  /** Token ids of {@code text}, with no BOS/EOS added. */
  long[] encode(String text);

  /**
   * The token every prompt starts with, in training data and at generation alike: BOS, else EOS (a prompt
   * starts after a document boundary, GPT-2's convention), else {@link SpecialTokens#NONE}.
   */
  default long promptStartToken() {
    SpecialTokens sp = specials();
    return sp.hasBos() ? sp.bos() : sp.eos();
  }

  /**
   * Ids of a prompt as the model saw prompts in training ({@code data.Chunker}): {@link #promptStartToken()}
   * then {@link #encode}. Every path that turns prompt text into ids (generate, eval, serving) goes through
   * here, so generation never sees positions shifted against training.
   */
  default long[] encodePrompt(String text) {
    long[] ids = encode(text);
    long start = promptStartToken();
    if (start == SpecialTokens.NONE) {
      return ids;
    }
    long[] out = new long[ids.length + 1];
    out[0] = start;
    System.arraycopy(ids, 0, out, 1, ids.length);
    return out;
  }

  /** Text of {@code ids}, special tokens rendered as their names. */
  default String decode(long[] ids) {
    return decode(ids, false);
  }

  /**
   * Text of {@code ids}; with {@code skipSpecial} special tokens contribute nothing.
   *
   * @throws ai.seqmatch.InvalidInputException if an id is outside [0, vocabSize())
   */
  String decode(long[] ids, boolean skipSpecial);

  /** Number of ids this tokenizer knows: the embedding rows a model needs, appended specials included. */
  int vocabSize();

  /** Size of the underlying vocabulary, without the specials SeqMatch appended after it. */
  default int baseVocabSize() {
    return vocabSize();
  }

  SpecialTokens specials();

  /** True for special tokens (those {@code decode(ids, true)} drops), including the tokenizer's own. */
  boolean isSpecial(long id);

  /**
   * True if every token stands for a fixed byte string, so that the text of a sequence is the UTF-8
   * decoding of the concatenated {@link #tokenBytes}. Lets StreamingDecoder work in O(1) per token.
   */
  boolean isByteLevel();

  /**
   * Bytes token {@code id} contributes to the UTF-8 text (a special token: its name).
   *
   * @throws UnsupportedOperationException if {@link #isByteLevel()} is false
   */
  byte[] tokenBytes(long id);

  /**
   * The text {@code ids} add after {@code context}: decode(context + ids) minus decode(context), or
   * decode(ids) when the context's text is not a prefix of the joint text. Differs from decode(ids) for
   * SentencePiece tokenizers, whose decoder drops the leading space of a text's first token.
   */
  default String decodeContinuation(long[] context, long[] ids, boolean skipSpecial) {
    if (context.length == 0) {
      return decode(ids, skipSpecial);
    }
    long[] joint = java.util.Arrays.copyOf(context, context.length + ids.length);
    System.arraycopy(ids, 0, joint, context.length, ids.length);
    String text = decode(joint, skipSpecial);
    String before = decode(context, skipSpecial);
    return text.startsWith(before) ? text.substring(before.length()) : decode(ids, skipSpecial);
  }

  /** A decoder that turns ids into text one token at a time, with backspace support. */
  default StreamingDecoder streamingDecoder(boolean skipSpecial) {
    return new StreamingDecoder(this, skipSpecial, new long[0]);
  }

  /**
   * Like {@link #streamingDecoder(boolean)} for tokens that continue {@code context} (a prompt): the text
   * is what they add after it, e.g. " Paris" and not "Paris" for SentencePiece, whose decoder drops the
   * leading space of a text's first token.
   */
  default StreamingDecoder streamingDecoder(boolean skipSpecial, long[] context) {
    return new StreamingDecoder(this, skipSpecial, context);
  }

  /** Releases native resources; narrowed to throw nothing so try-with-resources needs no catch. */
  @Override
  void close();
}
