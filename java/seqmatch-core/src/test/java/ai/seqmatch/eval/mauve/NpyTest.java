package ai.seqmatch.eval.mauve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.InvalidInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {
  @TempDir Path dir;

  private static final double[][] M = {{1.5, -2, 0.25}, {3, 4, 5e-3}};

  @Test
  void roundTripsFloat32AndFloat64() throws IOException {
    for (boolean f32 : new boolean[] {true, false}) {
      Path f = dir.resolve("m" + f32 + ".npy");
      Npy.write(f, M, f32);
      double[][] back = Npy.read(f);
      for (int i = 0; i < M.length; i++) {
        for (int j = 0; j < M[i].length; j++) {
          assertEquals(f32 ? (float) M[i][j] : M[i][j], back[i][j], 0.0);
        }
      }
    }
  }

  /** A header as numpy itself writes it: format 2.0, big-endian float64, Python 2 style long dims. */
  @Test
  void readsVersion2BigEndianHeaders() throws IOException {
    String header = "{'descr': '>f8', 'fortran_order': False, 'shape': (1L, 2L), }\n";
    ByteBuffer b = ByteBuffer.allocate(12 + header.length() + 16);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0});
    b.order(ByteOrder.LITTLE_ENDIAN).putInt(header.length());
    b.put(header.getBytes(StandardCharsets.ISO_8859_1));
    b.order(ByteOrder.BIG_ENDIAN).putDouble(7.5).putDouble(-1);
    Path f = dir.resolve("v2.npy");
    Files.write(f, b.array());
    assertArrayEquals(new double[] {7.5, -1}, Npy.read(f)[0]);
  }

  @Test
  void badFilesAreOneLineErrorsNamingTheFile() throws IOException {
    Path good = dir.resolve("good.npy");
    Npy.write(good, M, true);
    byte[] bytes = Files.readAllBytes(good);
    String header = new String(bytes, 10, bytes.length - 10 - 24, StandardCharsets.ISO_8859_1);

    assertBad("wrong magic", write("magic.npy", "not numpy at all".getBytes(StandardCharsets.US_ASCII)));
    assertBad("truncated data", write("short.npy", Arrays.copyOf(bytes, bytes.length - 3)));
    assertBad("dtype 'i8'", withHeader("int.npy", bytes, header.replace("'<f4'", "'i8'")));
    assertBad("2-D", withHeader("three.npy", bytes, header.replace("(2, 3)", "(2, 3, 1)")));
    assertBad("2-D", withHeader("one.npy", bytes, header.replace("(2, 3)", "(6,)")));
    assertBad("Fortran", withHeader("fortran.npy", bytes, header.replace("False", "True")));
    assertBad("empty array", withHeader("empty.npy", bytes, header.replace("(2, 3)", "(0, 3)")));

    byte[] nan = bytes.clone();
    ByteBuffer.wrap(nan).order(ByteOrder.LITTLE_ENDIAN).putFloat(bytes.length - 8, Float.NaN);
    assertBad("non-finite value NaN at row 1, column 1", write("nan.npy", nan));
    byte[] inf = bytes.clone();
    ByteBuffer.wrap(inf).order(ByteOrder.LITTLE_ENDIAN).putFloat(bytes.length - 24, Float.POSITIVE_INFINITY);
    assertBad("non-finite value Infinity at row 0, column 0", write("inf.npy", inf));
    assertBad("cannot read", dir.resolve("missing.npy"));
  }

  /** Same length header (spaces absorb the difference), so the data offset stays valid. */
  private Path withHeader(String name, byte[] bytes, String header) throws IOException {
    String padded = header.strip();
    int len = bytes.length - 10 - 24;
    padded = padded + " ".repeat(len - padded.length() - 1) + "\n";
    byte[] out = bytes.clone();
    System.arraycopy(padded.getBytes(StandardCharsets.ISO_8859_1), 0, out, 10, len);
    return write(name, out);
  }

  private Path write(String name, byte[] bytes) throws IOException {
    Path f = dir.resolve(name);
    Files.write(f, bytes);
    return f;
  }

  private static void assertBad(String expected, Path file) {
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> Npy.read(file));
    assertTrue(e.getMessage().startsWith(file.toString() + ": "), e.getMessage());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertTrue(!e.getMessage().contains("\n"), e.getMessage());
  }
}
