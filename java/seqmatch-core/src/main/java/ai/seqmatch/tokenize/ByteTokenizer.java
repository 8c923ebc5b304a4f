/*
 * The built-in, zero-download tokenizer: one token per UTF-8 byte, then three specials. Any string
 * round-trips exactly. Tested by ByteTokenizerTest.
 */
package ai.seqmatch.tokenize;

import java.nio.charset.StandardCharsets;

/**
 * Byte-level tokenizer. Ids 0..255 are the bytes of the UTF-8 text; then {@code <eos>} = 256, {@code
 * <pad>} = 257, {@code <bkspc>} = 258 (vocabSize 259). There is no BOS: as in GPT-2, the {@code <eos>}
 * that ends one document is what the next one starts after, and one id fewer keeps the model smaller.
 */
public final class ByteTokenizer implements Tokenizer {
  public static final int EOS = 256;
  public static final int PAD = 257;
  public static final int BKSPC = 258;
  private static final String[] NAMES = {"<eos>", "<pad>", "<bkspc>"};
  private static final SpecialTokens SPECIALS = new SpecialTokens(SpecialTokens.NONE, EOS, PAD, BKSPC);

  @Override
  public long[] encode(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    long[] ids = new long[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      ids[i] = bytes[i] & 0xFF;
    }
    return ids;
  }

  @Override
  public String decode(long[] ids, boolean skipSpecial) {
    TokenIds.checkRange(ids, vocabSize());
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(ids.length);
    for (long id : ids) {
      if (!(skipSpecial && isSpecial(id))) {
        out.writeBytes(tokenBytes(id));
      }
    }
    // Lossy on purpose: a model may emit bytes that are not valid UTF-8; they show as U+FFFD.
    return Utf8.decodeLossy(out.toByteArray());
  }

  @Override
  public int vocabSize() {
    return 259;
  }

  @Override
  public int baseVocabSize() {
    return 256;
  }

  @Override
  public SpecialTokens specials() {
    return SPECIALS;
  }

  @Override
  public boolean isSpecial(long id) {
    return id >= 256 && id < vocabSize();
  }

  @Override
  public boolean isByteLevel() {
    return true;
  }

  @Override
  public byte[] tokenBytes(long id) {
    TokenIds.checkRange(id, 0, vocabSize());
    return id < 256 ? new byte[] {(byte) id} : NAMES[(int) id - 256].getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void close() {}

  @Override
  public String toString() {
    return "ByteTokenizer{vocabSize=259}";
  }
}
