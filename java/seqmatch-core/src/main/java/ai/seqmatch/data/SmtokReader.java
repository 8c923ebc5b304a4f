/*
 * Reads prepared token data (".smtok", format in SmtokWriter and native/src/data/dataset.h). Header
 * and index are checked against the file size before anything is allocated, as the native reader does.
 * Tested by SmtokTest.
 */
package ai.seqmatch.data;

import ai.seqmatch.InvalidInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Static reader of {@code .smtok} files. */
public final class SmtokReader {
  private SmtokReader() {}

  /**
   * The examples of {@code file}, each split at its stored prompt length (a text chunk comes back with
   * its first token as the prompt).
   *
   * @throws InvalidInputException if the file is missing, truncated, or not a .smtok file
   */
  public static List<Example> read(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      ByteBuffer header = readFully(ch, 0, (int) Math.min(size, SmtokWriter.HEADER_BYTES));
      byte[] magic = new byte[8];
      if (size < SmtokWriter.HEADER_BYTES || !Arrays.equals(magicOf(header, magic), SmtokWriter.MAGIC)) {
        throw bad(file, "not a .smtok file (bad magic)");
      }
      long n = header.getLong();
      long nTokens = header.getLong();
      // Bounded before multiplying: a huge count would overflow 8·n or 4·nTokens into a matching size.
      if (n < 0 || nTokens < 0 || n > (size - 24) / 8 || nTokens > (size - 24) / 4
          || 24 + 8 * n + 4 * nTokens != size) {
        throw bad(file, "size " + size + " does not match its header (" + n + " examples, " + nTokens
            + " tokens): truncated or corrupt");
      }
      ByteBuffer index = readFully(ch, 24, Math.toIntExact(8 * n));
      ByteBuffer ids = readFully(ch, 24 + 8 * n, Math.toIntExact(4 * nTokens));
      List<Example> out = new ArrayList<>((int) n);
      long offset = 0;
      for (int i = 0; i < n; i++) {
        long p = Integer.toUnsignedLong(index.getInt());
        long len = Integer.toUnsignedLong(index.getInt());
        if (len < 1 || p < 1 || p > len || offset + len > nTokens) {
          throw bad(file, "example " + i + " has prompt_length " + p + " and length " + len
              + " (need 1 <= prompt_length <= length)");
        }
        long[] tokens = new long[(int) len];
        for (int t = 0; t < len; t++) {
          tokens[t] = ids.getInt();
          if (tokens[t] < 0) {
            throw bad(file, "example " + i + " has negative token id " + tokens[t]);
          }
        }
        out.add(new Example(Arrays.copyOf(tokens, (int) p), Arrays.copyOfRange(tokens, (int) p, (int) len)));
        offset += len;
      }
      return out;
    } catch (IOException e) {
      throw new InvalidInputException("data " + file + ": cannot read: " + e.getMessage()
          + ". Hint: prepare it with 'seqmatch prepare'", e);
    } catch (ArithmeticException e) {
      throw bad(file, "too large to read into memory");
    }
  }

  private static ByteBuffer readFully(FileChannel ch, long position, int bytes) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    while (b.hasRemaining()) {
      if (ch.read(b, position + b.position()) < 0) {
        break;
      }
    }
    return b.flip();
  }

  private static byte[] magicOf(ByteBuffer header, byte[] magic) {
    header.get(magic);
    return magic;
  }

  private static InvalidInputException bad(Path file, String why) {
    return new InvalidInputException("data " + file + ": " + why);
  }
}
