/*
 * Reads training files into Rows: *.jsonl files line by line ({"text": ...} or {"prompt": ..., "completion":
 * ...}), any other file as one plain-text document. Bad lines follow a BadLinePolicy with messages shaped
 * "file:line: reason". Tested by DataReaderTest.
 */
package ai.seqmatch.data;

import ai.seqmatch.InvalidInputException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads rows from files. Collects the messages of skipped lines; not thread-safe. */
public final class DataReader {
  private final ObjectMapper json = new ObjectMapper();
  private final BadLinePolicy policy;
  private final List<String> skipped = new ArrayList<>();

  public DataReader(BadLinePolicy policy) {
    this.policy = policy;
  }

  /** Rows of {@code file}: JSONL when the name ends in ".jsonl", else one text document. */
  public List<Row> read(Path file) {
    String name = file.toString();
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputException("data: cannot read " + name + ": no such file. Hint: check --data paths");
    }
    try {
      if (name.endsWith(".jsonl")) {
        return readJsonl(file);
      }
      return List.of(new Row.Text(name, 1, Files.readString(file, StandardCharsets.UTF_8)));
    } catch (CharacterCodingException e) {
      throw new InvalidInputException("data: cannot read " + name + ": not valid UTF-8. Hint: re-encode it as UTF-8", e);
    } catch (IOException e) {
      throw new InvalidInputException("data: cannot read " + name + ": " + e.getMessage(), e);
    }
  }

  /** Messages ({@code file:line: reason}) of every line skipped so far. */
  public List<String> skipped() {
    return List.copyOf(skipped);
  }

  /** Applies the policy to a bad line or example: throws, or records it. */
  void reject(String where, String reason) {
    String message = where + ": " + reason;
    if (policy == BadLinePolicy.FAIL) {
      throw new InvalidInputException(message);
    }
    skipped.add(message);
  }

  private List<Row> readJsonl(Path file) throws IOException {
    List<Row> rows = new ArrayList<>();
    String name = file.toString();
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      int lineNo = 0;
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        lineNo++;
        Row row = parseLine(name, lineNo, line);
        if (row != null) {
          rows.add(row);
        }
      }
    }
    return rows;
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
