/*
 * Writes prepared token data (".smtok"), the format both training front ends read
 * (native/src/data/dataset.h): magic "SMTOK01\0", u64 n_examples, u64 n_tokens, n x (u32 prompt_length,
 * u32 length), then n_tokens x i32 ids, all little-endian. Written to a temp file and renamed into
 * place, so a reader never sees half a file. Tested by SmtokTest.
 */
package ai.seqmatch.data;

import ai.seqmatch.InvalidInputException;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/** Static writer of {@code .smtok} files. */
public final class SmtokWriter {
  /** "SMTOK01" and a NUL byte. */
  static final byte[] MAGIC = {'S', 'M', 'T', 'O', 'K', '0', '1', 0};

  static final int HEADER_BYTES = 24;

  private SmtokWriter() {}

  /**
   * The prompt length stored for {@code e}: its prompt, or 1 (the first token) for a text chunk without
   * one, since the format requires every example to start in a given state (1 <= prompt_length).
   */
  public static int promptLength(Example e) {
    return Math.max(1, e.prompt().length);
  }

  /**
   * Writes {@code examples} to {@code file} atomically (temp file + rename).
   *
   * @throws InvalidInputException for an empty example or an id outside [0, 2^31)
   * @throws java.io.UncheckedIOException if the file cannot be written
   */
  public static void write(Path file, List<Example> examples) {
    long nTokens = 0;
    for (int i = 0; i < examples.size(); i++) {
      Example e = examples.get(i);
      if (e.length() == 0) {
        throw new InvalidInputException("data " + file + ": example " + i + " is empty (expected >= 1 token)");
      }
      for (long id : e.tokens()) {
        if (id < 0 || id > Integer.MAX_VALUE) {
          throw new InvalidInputException("data " + file + ": example " + i + " has token id " + id
              + " (expected 0 <= id < 2^31)");
        }
      }
      nTokens += e.length();
    }
    Path dir = file.toAbsolutePath().getParent();
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
      try (OutputStream os = Files.newOutputStream(tmp);
          DataOutputStream out = new DataOutputStream(new BufferedOutputStream(os, 1 << 16))) {
        out.write(MAGIC);
        out.write(le(16).putLong(examples.size()).putLong(nTokens).array());
        ByteBuffer pair = le(8);
        for (Example e : examples) {
          out.write(pair.clear().putInt(promptLength(e)).putInt(e.length()).array());
        }
        ByteBuffer id = le(4);
        for (Example e : examples) {
          for (long t : e.tokens()) {
            out.write(id.clear().putInt((int) t).array());
          }
        }
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("data " + file + ": write failed: " + e.getMessage(), e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // Best effort: the write itself already failed or succeeded; a stray temp file is harmless.
        }
      }
    }
  }

  private static ByteBuffer le(int bytes) {
    return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
  }
}
