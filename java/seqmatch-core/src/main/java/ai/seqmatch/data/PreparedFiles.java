/*
 * The integrity of a prepared directory: prepare.json lists the size and CRC-32C of every file it
 * describes ("files": {"train.smtok": {"bytes": n, "crc32c": "1a2b3c4d"}, ...}) and is written last, after
 * the old one was removed, so a prepare killed at any moment leaves either no prepare.json (the directory
 * is prepared again) or one whose files all match it. verify() turns any other mixture (a file replaced
 * or cut short later) into an error naming the file, before training reads it. Tested by
 * StreamingPrepareTest.
 */
package ai.seqmatch.data;

import ai.seqmatch.InvalidInputException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32C;

/** Static helpers for the "files" section of prepare.json. */
public final class PreparedFiles {
  /** The key in prepare.json. */
  public static final String KEY = "files";

  private PreparedFiles() {}

  /** Records {@code name}'s size and checksum in {@code files}. */
  static void put(ObjectNode files, String name, long bytes, long crc32c) {
    files.putObject(name).put("bytes", bytes).put("crc32c", hex(crc32c));
  }

  /** The CRC-32C of a whole file. */
  static long crc32c(Path file) throws IOException {
    CRC32C crc = new CRC32C();
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int r = in.read(buf); r >= 0; r = in.read(buf)) {
        crc.update(buf, 0, r);
      }
    }
    return crc.getValue();
  }

  /** Whether {@code report} (a prepare.json) lists checksums; reports written before it existed do not. */
  public static boolean listed(JsonNode report) {
    return report.path(KEY).isObject();
  }

  /**
   * Checks every file {@code report} lists against the file in {@code dir}.
   *
   * @throws InvalidInputException naming the first missing or differing file
   */
  public static void verify(Path dir, JsonNode report) {
    Path reportFile = dir.resolve(DataPreparer.REPORT);
    for (Map.Entry<String, JsonNode> e : report.path(KEY).properties()) {
      Path file = dir.resolve(e.getKey()).normalize();
      if (!file.startsWith(dir.normalize()) || !Files.isRegularFile(file)) {
        throw new InvalidInputException("data " + file + ": listed in " + reportFile + " but missing. Hint: "
            + "prepare the data again (seqmatch prepare, or delete the directory to let train prepare it)");
      }
      try {
        long bytes = Files.size(file);
        long want = e.getValue().path("bytes").asLong(-1);
        String why = null;
        if (bytes != want) {
          why = "size " + bytes + " bytes, expected " + want;
        } else {
          String crc = hex(crc32c(file));
          if (!crc.equals(e.getValue().path("crc32c").asText())) {
            why = "CRC-32C " + crc + ", expected " + e.getValue().path("crc32c").asText();
          }
        }
        if (why != null) {
          throw new InvalidInputException("data " + file + ": does not match " + reportFile + " (" + why
              + "): it changed after it was prepared, e.g. by an interrupted prepare or a copied file. Hint: "
              + "prepare the data again (seqmatch prepare, or delete the directory to let train prepare it)");
        }
      } catch (IOException x) {
        throw new UncheckedIOException("data " + file + ": cannot read: " + x.getMessage(), x);
      }
    }
  }

  private static String hex(long crc32c) {
    return String.format("%08x", crc32c);
  }
}
