/*
 * NumPy .npy files holding a 2-D float32 or float64 matrix in C order (format versions 1-3), the way users hand
 * MAUVE precomputed features; a writer for tests and exports. Every read defect is an InvalidInputException of
 * one line naming the file.
 */
package ai.seqmatch.eval.mauve;

import ai.seqmatch.InvalidInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A 2-D feature matrix read from a .npy file: rows are points, columns are feature dimensions. */
public final class Npy {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  private Npy() {}

  /** Reads FILE as a rows x cols matrix of doubles (float32 values are widened exactly). */
  public static double[][] read(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot read: " + e.getMessage(), e);
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (bytes.length < MAGIC.length + 2) {
      throw bad(file, "not a NumPy .npy file (too short for the header)");
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (bytes[i] != MAGIC[i]) {
        throw bad(file, "not a NumPy .npy file (wrong magic bytes)");
      }
    }
    int major = bytes[6] & 0xff;
    int headerLen;
    int headerStart;
    if (major == 1) {
      headerLen = Short.toUnsignedInt(buf.getShort(8));
      headerStart = 10;
    } else if (major == 2 || major == 3) {
      if (bytes.length < 12) {
        throw bad(file, "truncated header");
      }
      long len = Integer.toUnsignedLong(buf.getInt(8));
      if (len > Integer.MAX_VALUE) {
        throw bad(file, "header length " + len + " is implausible");
      }
      headerLen = (int) len;
      headerStart = 12;
    } else {
      throw bad(file, "unsupported .npy format version " + major + " (expected 1, 2 or 3)");
    }
    if ((long) headerStart + headerLen > bytes.length) {
      throw bad(file, "truncated header");
    }
    String header = new String(bytes, headerStart, headerLen,
        major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    String descr = field(file, header, DESCR, "descr");
    if (field(file, header, FORTRAN, "fortran_order").equals("True")) {
      throw bad(file, "Fortran-order arrays are not supported (save with np.ascontiguousarray)");
    }
    int width;
    ByteOrder order;
    switch (descr) {
      case "<f4", "|f4", "=f4" -> { width = 4; order = ByteOrder.LITTLE_ENDIAN; }
      case ">f4" -> { width = 4; order = ByteOrder.BIG_ENDIAN; }
      case "<f8", "|f8", "=f8" -> { width = 8; order = ByteOrder.LITTLE_ENDIAN; }
      case ">f8" -> { width = 8; order = ByteOrder.BIG_ENDIAN; }
      default -> throw bad(file, "unsupported dtype '" + descr + "' (expected float32 or float64)");
    }
    long[] shape = shape(file, field(file, header, SHAPE, "shape"));
    if (shape.length != 2) {
      throw bad(file, "expected a 2-D array (points x features), got " + shape.length + "-D");
    }
    if (shape[0] == 0 || shape[1] == 0) {
      throw bad(file, "empty array of shape (" + shape[0] + ", " + shape[1] + ")");
    }
    int dataStart = headerStart + headerLen;
    long need = Math.multiplyExact(Math.multiplyExact(shape[0], shape[1]), width);
    if (bytes.length - dataStart < need) {
      throw bad(file, "truncated data: shape (" + shape[0] + ", " + shape[1] + ") needs " + need
          + " bytes, the file has " + (bytes.length - dataStart));
    }
    if (shape[0] > Integer.MAX_VALUE || shape[1] > Integer.MAX_VALUE) {
      throw bad(file, "array too large");
    }
    int rows = (int) shape[0];
    int cols = (int) shape[1];
    ByteBuffer data = ByteBuffer.wrap(bytes, dataStart, (int) need).slice().order(order);
    double[][] m = new double[rows][cols];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        double v = width == 4 ? data.getFloat() : data.getDouble();
        if (!Double.isFinite(v)) {
          throw bad(file, "non-finite value " + v + " at row " + i + ", column " + j);
        }
        m[i][j] = v;
      }
    }
    return m;
  }

  /**
   * Writes M as a little-endian float32 (or float64) C-order .npy file (format 1.0), atomically: a temporary file
   * in the same directory is moved over FILE, so a reader never sees half a matrix.
   */
  public static void write(Path file, double[][] m, boolean float32) throws IOException {
    int rows = m.length;
    int cols = rows == 0 ? 0 : m[0].length;
    String dict = "{'descr': '" + (float32 ? "<f4" : "<f8") + "', 'fortran_order': False, 'shape': (" + rows
        + ", " + cols + "), }";
    // The format pads the header with spaces and a newline so the data starts on a 64-byte boundary.
    int unpadded = MAGIC.length + 4 + dict.length() + 1;
    String header = dict + " ".repeat((64 - unpadded % 64) % 64) + "\n";
    int width = float32 ? 4 : 8;
    ByteBuffer out = ByteBuffer.allocate(MAGIC.length + 4 + header.length() + rows * cols * width)
        .order(ByteOrder.LITTLE_ENDIAN);
    out.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
    out.put(header.getBytes(StandardCharsets.ISO_8859_1));
    for (double[] row : m) {
      if (row.length != cols) {
        throw new IllegalArgumentException("ragged matrix: rows of " + cols + " and " + row.length + " values");
      }
      for (double v : row) {
        if (float32) {
          out.putFloat((float) v);
        } else {
          out.putDouble(v);
        }
      }
    }
    Path abs = file.toAbsolutePath();
    Path tmp = Files.createTempFile(abs.getParent(), abs.getFileName() + ".", ".tmp");
    try {
      Files.write(tmp, out.array());
      Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static String field(Path file, String header, Pattern p, String name) {
    Matcher m = p.matcher(header);
    if (!m.find()) {
      throw bad(file, "header has no valid '" + name + "' entry");
    }
    return m.group(1);
  }

  private static long[] shape(Path file, String text) {
    String[] parts = text.split(",");
    int n = 0;
    long[] dims = new long[parts.length];
    for (String part : parts) {
      String s = part.strip();
      if (s.isEmpty()) {
        continue;
      }
      try {
        dims[n++] = Long.parseLong(s.endsWith("L") ? s.substring(0, s.length() - 1) : s);
      } catch (NumberFormatException e) {
        throw bad(file, "header has an invalid shape (" + text + ")");
      }
    }
    return Arrays.copyOf(dims, n);
  }

  private static InvalidInputException bad(Path file, String what) {
    return new InvalidInputException(file + ": " + what);
  }
}
