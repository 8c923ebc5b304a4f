/* ByteTokenizer: exact round trips, special ids, range errors. Run: mvn -pl java/seqmatch-core test -Dtest=ByteTokenizerTest */
package ai.seqmatch.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.InvalidInputException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ByteTokenizerTest {
  @Test
  void roundTripsAnyString() {
    try (Tokenizer t = new ByteTokenizer()) {
      for (String s : TextSamples.FIXED) {
        assertEquals(s, t.decode(t.encode(s)), s);
      }
      Random rng = new Random(7);
      for (int i = 0; i < 200; i++) {
        String s = TextSamples.random(rng, rng.nextInt(20));
        assertEquals(s, t.decode(t.encode(s)));
      }
    }
  }

  @Test
  void idsAreUtf8Bytes() {
    try (Tokenizer t = new ByteTokenizer()) {
      assertArrayEquals(new long[] {0x48, 0x69}, t.encode("Hi"));
      assertArrayEquals(new long[] {0xC3, 0xA9}, t.encode("é"));
      assertEquals(0, t.encode("").length);
      assertArrayEquals(new long[] {'<', 'e', 'o', 's', '>'}, t.encode("<eos>")); // never a special from text
    }
  }

  @Test
  void specialsFollowTheBytes() {
    try (Tokenizer t = new ByteTokenizer()) {
      assertEquals(new SpecialTokens(-1, 256, 257, 258), t.specials());
      assertEquals(259, t.vocabSize());
      assertEquals(256, t.baseVocabSize());
      assertTrue(t.isSpecial(258));
      assertFalse(t.isSpecial(255));
      long[] ids = {'a', 256, 'b', 258, 257};
      assertEquals("a<eos>b<bkspc><pad>", t.decode(ids));
      assertEquals("ab", t.decode(ids, true));
      assertTrue(Tokenizers.withSeqMatchSpecials(t) == t, "nothing to append");
    }
  }

  @Test
  void outOfRangeIdIsAOneLineError() {
    try (Tokenizer t = new ByteTokenizer()) {
      InvalidInputException e = assertThrows(InvalidInputException.class, () -> t.decode(new long[] {1, 259}));
      assertEquals("decode: token id out of range at index 1 (got 259, expected 0..258). "
          + "Hint: the ids come from a model with a different vocabulary", e.getMessage());
    }
  }
}
