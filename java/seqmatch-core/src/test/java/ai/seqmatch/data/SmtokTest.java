/* .smtok round trip and the checks a reader owes a damaged file (same rules as native read_smtok). */
package ai.seqmatch.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.InvalidInputException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SmtokTest {
  @TempDir Path tmp;

  @Test
  void roundTripsAndStoresTheDocumentedLayout() throws Exception {
    Path f = tmp.resolve("a.smtok");
    List<Example> in = List.of(new Example(new long[0], new long[] {5, 6, 7}),
        new Example(new long[] {256, 1}, new long[] {2, 256}));
    SmtokWriter.write(f, in);
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
    byte[] magic = new byte[8];
    b.get(magic);
    assertArrayEquals("SMTOK01\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII), magic);
    assertEquals(2, b.getLong());
    assertEquals(7, b.getLong());
    assertEquals(1, b.getInt()); // a text chunk: its first token is the prompt
    assertEquals(3, b.getInt());
    assertEquals(2, b.getInt());
    assertEquals(4, b.getInt());
    assertEquals(5, b.getInt());
    assertEquals(24 + 16 + 28, Files.size(f));

    List<Example> out = SmtokReader.read(f);
    assertEquals(new Example(new long[] {5}, new long[] {6, 7}), out.get(0));
    assertEquals(in.get(1), out.get(1));
    assertTrue(Files.list(tmp).allMatch(p -> p.equals(f)), "no temp file left behind");
  }

  @Test
  void rejectsDamagedFiles() throws Exception {
    Path f = tmp.resolve("a.smtok");
    SmtokWriter.write(f, List.of(new Example(new long[] {1}, new long[] {2, 3})));
    byte[] bytes = Files.readAllBytes(f);

    Path truncated = tmp.resolve("t.smtok");
    Files.write(truncated, Arrays.copyOf(bytes, bytes.length - 4));
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> SmtokReader.read(truncated));
    assertTrue(e.getMessage().startsWith("data " + truncated + ": size"), e.getMessage());

    Path magic = tmp.resolve("m.smtok");
    byte[] bad = bytes.clone();
    bad[0] = 'X';
    Files.write(magic, bad);
    assertTrue(assertThrows(InvalidInputException.class, () -> SmtokReader.read(magic)).getMessage()
        .contains("bad magic"));

    Path prompt = tmp.resolve("p.smtok");
    byte[] p0 = bytes.clone();
    p0[24] = 0; // prompt_length 0
    Files.write(prompt, p0);
    assertTrue(assertThrows(InvalidInputException.class, () -> SmtokReader.read(prompt)).getMessage()
        .contains("need 1 <= prompt_length <= length"));

    assertThrows(InvalidInputException.class, () -> SmtokReader.read(tmp.resolve("missing.smtok")));
    assertThrows(InvalidInputException.class,
        () -> SmtokWriter.write(tmp.resolve("neg.smtok"), List.of(new Example(new long[] {-2}, new long[0]))));
  }
}
