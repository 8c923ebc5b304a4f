/*
 * Writes prepared token data (".smtok"), the format both training front ends read
 * (native/src/data/dataset.h): magic "SMTOK01\0", u64 n_examples, u64 n_tokens, n x (u32 prompt_length,
 * u32 length), then n_tokens x i32 ids, all little-endian. The header and index come first but their
 * sizes are known only at the end, so examples are streamed into two temp files (index, ids) and joined
 * into a third that is renamed into place: memory stays constant however much data is written, and a
 * reader never sees half a file. The joined bytes' CRC-32C is returned, for prepare.json (PreparedFiles).
 * Tested by SmtokTest.
 */
package ai.seqmatch.data;

import ai.seqmatch.InvalidInputException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * A streaming writer of one {@code .smtok} file: {@link #add} examples, then {@link #commit}; {@link
 * #close} without commit removes the temp files and leaves any existing file untouched.
 */
public final class SmtokWriter implements AutoCloseable {
  /** "SMTOK01" and a NUL byte. */
  static final byte[] MAGIC = {'S', 'M', 'T', 'O', 'K', '0', '1', 0};

  static final int HEADER_BYTES = 24;

  private static final int BUFFER = 1 << 16;

  /**
   * What a committed file holds.
   *
   * @param examples number of examples
   * @param tokens ids over all examples
   * @param targetTokens ids after each example's prompt (the ones trained on)
   * @param bytes file size
   * @param crc32c CRC-32C of the whole file
   */
  public record Summary(long examples, long tokens, long targetTokens, long bytes, long crc32c) {}

  private final Path file;
  private final Path indexTmp;
  private final Path idsTmp;
  private final OutputStream index;
  private final OutputStream ids;
  private final ByteBuffer pair = le(8);
  private final ByteBuffer id = le(4);
  private long examples;
  private long tokens;
  private long targetTokens;
  private boolean done;

  private SmtokWriter(Path file) throws IOException {
    this.file = file;
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    String name = file.getFileName().toString();
    indexTmp = Files.createTempFile(dir, name + ".index-", ".tmp");
    idsTmp = Files.createTempFile(dir, name + ".ids-", ".tmp");
    index = new BufferedOutputStream(Files.newOutputStream(indexTmp), BUFFER);
    ids = new BufferedOutputStream(Files.newOutputStream(idsTmp), BUFFER);
  }

  /**
   * A writer whose temp files lie next to {@code file} (so the final rename stays on one file system).
   *
   * @throws UncheckedIOException if the directory cannot be written
   */
  public static SmtokWriter open(Path file) {
    try {
      return new SmtokWriter(file);
    } catch (IOException e) {
      throw new UncheckedIOException("data " + file + ": cannot write: " + e.getMessage(), e);
    }
  }

  /** Writes {@code examples} to {@code file} atomically. */
  public static Summary write(Path file, List<Example> examples) {
    try (SmtokWriter w = open(file)) {
      examples.forEach(w::add);
      return w.commit();
    }
  }

  /**
   * The prompt length stored for {@code e}: its prompt, or 1 (the first token) for a text chunk without
   * one, since the format requires every example to start in a given state (1 <= prompt_length).
   */
  public static int promptLength(Example e) {
    return Math.max(1, e.prompt().length);
  }

  /**
   * Appends one example.
   *
   * @throws InvalidInputException for an empty example or an id outside [0, 2^31)
   */
  public void add(Example e) {
    if (done) {
      throw new IllegalStateException("smtok writer for " + file + " is already committed or closed");
    }
    if (e.length() == 0) {
      throw new InvalidInputException("data " + file + ": example " + examples + " is empty (expected >= 1 token)");
    }
    long[] all = e.tokens();
    for (long t : all) {
      if (t < 0 || t > Integer.MAX_VALUE) {
        throw new InvalidInputException("data " + file + ": example " + examples + " has token id " + t
            + " (expected 0 <= id < 2^31)");
      }
    }
    try {
      index.write(pair.clear().putInt(promptLength(e)).putInt(all.length).array());
      for (long t : all) {
        ids.write(id.clear().putInt((int) t).array());
      }
    } catch (IOException x) {
      throw failed(x);
    }
    examples++;
    tokens += all.length;
    targetTokens += all.length - promptLength(e);
  }

  /** Examples added so far. */
  public long examples() {
    return examples;
  }

  /** Joins header, index and ids into the final file and renames it into place. */
  public Summary commit() {
    if (done) {
      throw new IllegalStateException("smtok writer for " + file + " is already committed or closed");
    }
    done = true;
    Path out = null;
    try {
      index.close();
      ids.close();
      out = Files.createTempFile(file.toAbsolutePath().getParent(), file.getFileName() + ".", ".tmp");
      CRC32C crc = new CRC32C();
      long bytes;
      try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(out), BUFFER)) {
        byte[] header = le(HEADER_BYTES).put(MAGIC).putLong(examples).putLong(tokens).array();
        os.write(header);
        crc.update(header);
        bytes = header.length + append(indexTmp, os, crc) + append(idsTmp, os, crc);
      }
      Files.move(out, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      out = null;
      return new Summary(examples, tokens, targetTokens, bytes, crc.getValue());
    } catch (IOException x) {
      throw failed(x);
    } finally {
      deleteQuietly(out);
      deleteTemps();
    }
  }

  /** Removes the temp files unless committed; an existing {@code file} is left as it was. */
  @Override
  public void close() {
    if (!done) {
      done = true;
      try {
        index.close();
        ids.close();
      } catch (IOException ignored) {
        // The write is being abandoned; only the temp files remain to remove.
      }
    }
    deleteTemps();
  }

  private static long append(Path part, OutputStream os, CRC32C crc) throws IOException {
    long n = 0;
    byte[] buf = new byte[BUFFER];
    try (InputStream in = Files.newInputStream(part)) {
      for (int r = in.read(buf); r >= 0; r = in.read(buf)) {
        os.write(buf, 0, r);
        crc.update(buf, 0, r);
        n += r;
      }
    }
    return n;
  }

  private void deleteTemps() {
    deleteQuietly(indexTmp);
    deleteQuietly(idsTmp);
  }

  private static void deleteQuietly(Path p) {
    if (p != null) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException ignored) {
        // Best effort: a stray temp file is harmless and named *.tmp.
      }
    }
  }

  private UncheckedIOException failed(IOException x) {
    return new UncheckedIOException("data " + file + ": write failed: " + x.getMessage(), x);
  }

  private static ByteBuffer le(int bytes) {
    return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
  }
}
