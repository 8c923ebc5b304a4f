/*
 * Reads training files into Rows: *.jsonl files line by line ({"text": ...} or {"prompt": ..., "completion":
 * ...}), any other file as one plain-text document. Bad lines follow a BadLinePolicy with messages shaped
 * "file:line: reason". Files are read as streams (forEach): a JSONL file one line at a time, a plain-text
 * file in pieces of about PIECE_CHARS characters, so memory does not grow with the file. Tested by
 * DataReaderTest.
 */
package ai.seqmatch.data;

import ai.seqmatch.InvalidInputException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

/** Reads rows from files. Counts skipped lines and keeps the first messages; not thread-safe. */
public final class DataReader {
  /** Messages of skipped lines kept (all are counted): a corpus of bad lines must not fill memory. */
  static final int MAX_SKIPPED_KEPT = 1000;

  /** Target size of a plain-text piece handed to the tokenizer. */
  static final int PIECE_CHARS = 1 << 20;

  private final ObjectMapper json = new ObjectMapper();
  private final BadLinePolicy policy;
  private final List<String> skipped = new ArrayList<>();
  private long skippedCount;

  public DataReader(BadLinePolicy policy) {
    this.policy = policy;
  }

  /** Receives a file's content as it is read. */
  public interface Visitor {
    /** A JSONL row (bad lines never arrive: the policy has dealt with them). */
    void row(Row row);

    /**
     * The next piece of a plain-text document. A piece ends just before an ASCII space or newline that
     * follows a printable ASCII character (when the document has one within PIECE_CHARS), a point where
     * byte-level and whitespace pre-tokenizers (GPT-2's among them) split anyway: tokenising the pieces
     * gives the ids of the whole text.
     */
    void textPiece(String piece);

    /** The end of the plain-text document {@code source}. */
    void endOfText(String source);
  }

  /** Rows of {@code file}: JSONL when the name ends in ".jsonl", else one text document (read whole). */
  public List<Row> read(Path file) {
    List<Row> rows = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    forEach(file, new Visitor() {
      @Override
      public void row(Row row) {
        rows.add(row);
      }

      @Override
      public void textPiece(String piece) {
        text.append(piece);
      }

      @Override
      public void endOfText(String source) {
        rows.add(new Row.Text(source, 1, text.toString()));
      }
    }, bytes -> {});
    return rows;
  }

  /**
   * Streams {@code file} to {@code visitor}: JSONL rows when the name ends in ".jsonl", else the pieces of
   * one text document. {@code bytesRead} gets the number of bytes consumed since its last call.
   *
   * @throws InvalidInputException if the file is missing, unreadable or not UTF-8, or a bad line under FAIL
   */
  public void forEach(Path file, Visitor visitor, LongConsumer bytesRead) {
    String name = file.toString();
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputException("data: cannot read " + name + ": no such file. Hint: check --data paths");
    }
    try (CountingStream counted = new CountingStream(Files.newInputStream(file), bytesRead);
        Reader in = new InputStreamReader(counted, StandardCharsets.UTF_8.newDecoder())) {
      if (name.endsWith(".jsonl")) {
        readJsonl(name, new BufferedReader(in, 1 << 16), visitor, counted);
      } else {
        readText(in, visitor, counted);
        visitor.endOfText(name);
      }
    } catch (CharacterCodingException e) {
      throw new InvalidInputException("data: cannot read " + name + ": not valid UTF-8. Hint: re-encode it as UTF-8", e);
    } catch (IOException e) {
      throw new InvalidInputException("data: cannot read " + name + ": " + e.getMessage(), e);
    }
  }

  /** Messages ({@code file:line: reason}) of the first MAX_SKIPPED_KEPT lines skipped so far. */
  public List<String> skipped() {
    return List.copyOf(skipped);
  }

  /** Number of lines skipped so far. */
  public long skippedCount() {
    return skippedCount;
  }

  /** Applies the policy to a bad line or example: throws, or records it. */
  void reject(String where, String reason) {
    String message = where + ": " + reason;
    if (policy == BadLinePolicy.FAIL) {
      throw new InvalidInputException(message);
    }
    skippedCount++;
    if (skipped.size() < MAX_SKIPPED_KEPT) {
      skipped.add(message);
    }
  }

  private void readJsonl(String name, BufferedReader in, Visitor visitor, CountingStream counted)
      throws IOException {
    int lineNo = 0;
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      lineNo++;
      Row row = parseLine(name, lineNo, line);
      if (row != null) {
        visitor.row(row);
      }
      counted.report();
    }
  }

  private static void readText(Reader in, Visitor visitor, CountingStream counted) throws IOException {
    char[] buf = new char[PIECE_CHARS];
    int len = 0;
    for (int r = in.read(buf, 0, buf.length); r >= 0; r = in.read(buf, len, buf.length - len)) {
      len += r;
      if (len == buf.length) {
        int cut = cutPoint(buf, len);
        visitor.textPiece(new String(buf, 0, cut));
        System.arraycopy(buf, cut, buf, 0, len - cut);
        len -= cut;
        counted.report();
      }
    }
    if (len > 0) {
      visitor.textPiece(new String(buf, 0, len));
    }
    counted.report();
  }

  /** Where to end a full buffer's piece (see Visitor.textPiece); never inside a surrogate pair. */
  static int cutPoint(char[] buf, int len) {
    for (int i = len - 1; i > 0; i--) {
      if ((buf[i] == ' ' || buf[i] == '\n') && buf[i - 1] > ' ' && buf[i - 1] < 0x7f) {
        return i;
      }
    }
    return Character.isHighSurrogate(buf[len - 1]) ? len - 1 : len;
  }

  /** Counts the bytes read from a file, for progress. */
  private static final class CountingStream extends FilterInputStream {
    private final LongConsumer sink;
    private long unreported;

    CountingStream(InputStream in, LongConsumer sink) {
      super(in);
      this.sink = sink;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      unreported += b < 0 ? 0 : 1;
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      unreported += Math.max(0, n);
      return n;
    }

    void report() {
      if (unreported > 0) {
        sink.accept(unreported);
        unreported = 0;
      }
    }
  }

  private Row parseLine(String name, int lineNo, String line) {
    String where = name + ":" + lineNo;
    if (line.isBlank()) {
      reject(where, "empty line");
      return null;
    }
    JsonNode node;
    try {
      node = json.readTree(line);
    } catch (JsonProcessingException e) {
      reject(where, "invalid JSON: " + e.getOriginalMessage());
      return null;
    }
    if (!node.isObject()) {
      reject(where, "expected a JSON object (got " + node.getNodeType().toString().toLowerCase() + ")");
      return null;
    }
    if (node.has("text")) {
      String text = string(where, node, "text");
      return text == null ? null : new Row.Text(name, lineNo, text);
    }
    if (node.has("prompt") || node.has("completion")) {
      String prompt = node.has("prompt") ? string(where, node, "prompt") : missing(where, "prompt");
      String completion = prompt == null ? null : string(where, node, "completion");
      return completion == null ? null : new Row.Pair(name, lineNo, prompt, completion);
    }
    reject(where, "missing field \"text\" or \"prompt\"/\"completion\"");
    return null;
  }

  /** The non-empty string field {@code key} ("prompt" may be empty), or null after rejecting the line. */
  private String string(String where, JsonNode node, String key) {
    JsonNode v = node.get(key);
    if (v == null) {
      return missing(where, key);
    }
    if (!v.isTextual()) {
      reject(where, "field \"" + key + "\" must be a string (got " + v.getNodeType().toString().toLowerCase() + ")");
      return null;
    }
    if (v.asText().isEmpty() && !key.equals("prompt")) {
      reject(where, "field \"" + key + "\" is empty");
      return null;
    }
    return v.asText();
  }

  private String missing(String where, String key) {
    reject(where, "missing field \"" + key + "\"");
    return null;
  }
}
