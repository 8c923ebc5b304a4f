/*
 * What every fuzz target (the *FuzzTest classes) requires of a parser given arbitrary bytes: it either
 * succeeds or throws the project's own input error (SeqMatchException: InvalidInputException,
 * CheckpointException, ...) whose message is one line, as the CLIs print it ("seqmatch X: <message>",
 * exit 2). Any other exception, an Error included, is a bug the fuzzer reports with its input.
 */
package ai.seqmatch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Static checks shared by the fuzz targets. */
public final class FuzzChecks {
  private FuzzChecks() {}

  /** A parser call under test. */
  @FunctionalInterface
  public interface Call {
    void run() throws Exception;
  }

  /** Runs {@code call}; rethrows anything but a one-line SeqMatchException. */
  public static void onlyInputErrors(Call call) throws Exception {
    try {
      call.run();
    } catch (SeqMatchException e) {
      String m = e.getMessage();
      if (m == null || m.isBlank() || m.contains("\n") || m.contains("\r")) {
        throw new AssertionError("input error without a one-line message: " + m, e);
      }
    }
  }

  /** A path named {@code name} in a fresh temp directory (both removed when the JVM exits), for targets
   * whose parser reads files. */
  public static Path scratch(String name) {
    try {
      Path dir = Files.createTempDirectory("seqmatch-fuzz");
      dir.toFile().deleteOnExit();
      Path f = dir.resolve(name);
      f.toFile().deleteOnExit();
      return f;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * {@code data} cut at its first {@code n - 1} NUL bytes into n parts (missing parts empty): a layout
   * that seed files can be written in by hand, e.g. config.json NUL tokenizer.json NUL text.
   */
  public static byte[][] parts(byte[] data, int n) {
    byte[][] out = new byte[n][];
    int from = 0;
    for (int k = 0; k < n; k++) {
      int to = from;
      while (k < n - 1 && to < data.length && data[to] != 0) {
        to++;
      }
      to = k == n - 1 ? data.length : to;
      out[k] = java.util.Arrays.copyOfRange(data, Math.min(from, data.length), Math.max(Math.min(from, data.length), to));
      from = to + 1;
    }
    return out;
  }
}
