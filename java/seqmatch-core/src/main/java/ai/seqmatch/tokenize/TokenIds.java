/* Shared id range check, so every tokenizer reports a bad id with the same one-line message. */
package ai.seqmatch.tokenize;

import ai.seqmatch.InvalidInputException;

final class TokenIds {
  private TokenIds() {}

  static void checkRange(long[] ids, int vocabSize) {
    for (int i = 0; i < ids.length; i++) {
      checkRange(ids[i], i, vocabSize);
    }
  }

  static void checkRange(long id, int index, int vocabSize) {
    if (id < 0 || id >= vocabSize) {
      throw new InvalidInputException(
          "decode: token id out of range at index " + index + " (got " + id + ", expected 0.."
              + (vocabSize - 1) + "). Hint: the ids come from a model with a different vocabulary");
    }
  }
}
