/*
 * A base tokenizer with SeqMatch's specials (<eos>, <pad>, <bkspc>, whichever it lacks) appended after
 * its vocabulary. Made by Tokenizers.withSeqMatchSpecials; tested by TokenizersTest.
 */
package ai.seqmatch.tokenize;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Owns {@code base}: closing this closes it. Encoding is the base's, so text never yields an appended id. */
final class ExtendedTokenizer implements Tokenizer {
  private final Tokenizer base;
  private final String[] names; // names[i] is the text of id base.vocabSize() + i
  private final SpecialTokens specials;

  ExtendedTokenizer(Tokenizer base, String[] names, SpecialTokens specials) {
    this.base = base;
    this.names = names.clone();
    this.specials = specials;
  }

  @Override
  public long[] encode(String text) {
    return base.encode(text);
  }

  @Override
  public String decode(long[] ids, boolean skipSpecial) {
    TokenIds.checkRange(ids, vocabSize());
    if (base.isByteLevel()) { // one byte buffer, so a char split around an appended id decodes as streamed
      ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length * 4);
      for (long id : ids) {
        if (!(skipSpecial && isSpecial(id))) {
          out.writeBytes(tokenBytes(id));
        }
      }
      return Utf8.decodeLossy(out.toByteArray());
    }
    StringBuilder text = new StringBuilder();
    int start = 0;
    for (int i = 0; i <= ids.length; i++) {
      if (i == ids.length || ids[i] >= base.vocabSize()) {
        text.append(base.decode(Arrays.copyOfRange(ids, start, i), skipSpecial));
        if (i < ids.length && !skipSpecial) {
          text.append(names[(int) (ids[i] - base.vocabSize())]);
        }
        start = i + 1;
      }
    }
    return text.toString();
  }

  @Override
  public int vocabSize() {
    return base.vocabSize() + names.length;
  }

  @Override
  public int baseVocabSize() {
    return base.vocabSize();
  }

  @Override
  public SpecialTokens specials() {
    return specials;
  }

  @Override
  public boolean isSpecial(long id) {
    return id >= base.vocabSize() ? id < vocabSize() : base.isSpecial(id);
  }

  @Override
  public boolean isByteLevel() {
    return base.isByteLevel();
  }

  @Override
  public byte[] tokenBytes(long id) {
    TokenIds.checkRange(id, 0, vocabSize());
    return id >= base.vocabSize()
        ? names[(int) (id - base.vocabSize())].getBytes(StandardCharsets.UTF_8)
        : base.tokenBytes(id);
  }

  @Override
  public void close() {
    base.close();
  }

  @Override
  public String toString() {
    return base + " + " + Arrays.toString(names) + " -> " + specials;
  }
}
