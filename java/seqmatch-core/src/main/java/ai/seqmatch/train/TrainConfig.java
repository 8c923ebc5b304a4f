/*
 * The training configuration: the JSON both front ends read (native/src/train/train_config.h, every
 * field in docs/TRAINING.md), kept as a Jackson tree so it reaches the native trainer unchanged, plus
 * typed accessors for what the Java side needs (out_dir, loop cadence, the raw-data extension).
 * The native parser stays the one validator: unknown keys and wrong types fail there, with its message.
 * Tested by TrainConfigTest.
 */
package ai.seqmatch.train;

import ai.seqmatch.InvalidInputException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** An immutable training configuration; {@code with*} methods return modified copies. */
public final class TrainConfig {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private final ObjectNode root;
  private final String origin;

  private TrainConfig(ObjectNode root, String origin) {
    this.root = root;
    this.origin = origin;
  }

  /**
   * Reads a config file; {@code origin} in later native messages is its path.
   *
   * @throws InvalidInputException if the file is missing or not a JSON object
   */
  public static TrainConfig load(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputException("config " + file + ": cannot open file");
    }
    try {
      return parse(Files.readString(file), file.toString());
    } catch (IOException e) {
      throw new InvalidInputException("config " + file + ": cannot read: " + e.getMessage(), e);
    }
  }

  /** Parses JSON text; {@code origin} names it in messages ("config ORIGIN: ..."). */
  public static TrainConfig parse(String json, String origin) {
    JsonNode node;
    try {
      node = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new InvalidInputException("config " + origin + ": not valid JSON (" + e.getOriginalMessage() + ")", e);
    }
    if (node == null || !node.isObject()) {
      throw new InvalidInputException("config " + origin + ": not a JSON object");
    }
    return new TrainConfig((ObjectNode) node, origin);
  }

  /** An empty config (every field at its default; data.train must still be set). */
  public static TrainConfig empty(String origin) {
    return new TrainConfig(JSON.createObjectNode(), origin);
  }

  /**
   * A copy with {@code "a.b=value"} applied, as {@code --set} does on both front ends: the value is JSON
   * when it parses as JSON ({@code 1e-3}, {@code true}, {@code [1,2]}, {@code "x"}), else a string;
   * missing sections are created. Errors are worded as the native apply_override words them
   * (native/src/train/train_config.cpp), so both front ends print the same line.
   *
   * @throws InvalidInputException if the assignment has no '=', an empty key, or walks through a non-object
   */
  public TrainConfig withOverride(String assignment) {
    int eq = assignment.indexOf('=');
    if (eq <= 0) {
      throw new InvalidInputException("override '" + shown(assignment) + "': expected key=value");
    }
    String value = assignment.substring(eq + 1);
    JsonNode v;
    try {
      v = JSON.readTree(value);
      if (v == null || v.isMissingNode()) {
        v = TextNode.valueOf(value);
      }
    } catch (JsonProcessingException e) {
      v = TextNode.valueOf(value);
    }
    return set(assignment, assignment.substring(0, eq), v);
  }

  /** {@code s} with line breaks escaped, so an error quoting it stays one line (found by TrainConfigFuzzTest). */
  private static String shown(String s) {
    return s.replace("\r", "\\r").replace("\n", "\\n");
  }

  /** A copy with the dotted {@code path} set to {@code value}. */
  public TrainConfig with(String path, JsonNode value) {
    return set(path + "=" + value, path, value);
  }

  private TrainConfig set(String assignment, String path, JsonNode value) {
    ObjectNode copy = root.deepCopy();
    String[] parts = path.split("\\.", -1);
    for (String part : parts) {
      if (part.isEmpty()) {
        throw new InvalidInputException("override '" + shown(assignment) + "': empty key in '" + shown(path) + "'");
      }
    }
    ObjectNode node = copy;
    for (int i = 0; i + 1 < parts.length; i++) {
      JsonNode next = node.get(parts[i]);
      if (next == null || next.isNull()) {
        next = node.putObject(parts[i]);
      } else if (!next.isObject()) {
        throw new InvalidInputException("override '" + shown(assignment) + "': '" + shown(parts[i])
            + "' is not a section (got " + next + ")");
      }
      node = (ObjectNode) next;
    }
    node.set(parts[parts.length - 1], value);
    return new TrainConfig(copy, origin);
  }

  /** A copy without the dotted {@code path} (no-op if absent). */
  public TrainConfig without(String path) {
    ObjectNode copy = root.deepCopy();
    int dot = path.lastIndexOf('.');
    JsonNode parent = dot < 0 ? copy : copy.at("/" + path.substring(0, dot).replace('.', '/'));
    if (parent instanceof ObjectNode o) {
      o.remove(path.substring(dot + 1));
    }
    return new TrainConfig(copy, origin);
  }

  /** The value at a dotted path, if present and not null. */
  public Optional<JsonNode> get(String path) {
    JsonNode n = root.at("/" + path.replace('.', '/'));
    return n.isMissingNode() || n.isNull() ? Optional.empty() : Optional.of(n);
  }

  /** The config as a JSON tree (a copy). */
  public ObjectNode json() {
    return root.deepCopy();
  }

  /** The config as compact JSON text, as handed to the native trainer. */
  public String toJson() {
    return root.toString();
  }

  /** Where the config came from, for messages (a file path, or a name given to parse). */
  public String origin() {
    return origin;
  }

  // Typed accessors. Defaults are those of native/src/train/train_config.h; types are checked by the
  // native parser when the trainer is created, so these only read.

  public Path outDir() {
    return Path.of(text("out_dir", "runs/default"));
  }

  public long maxSteps() {
    return integer("max_steps", 1000);
  }

  public long logEvery() {
    return integer("log_every", 10);
  }

  public long evalEvery() {
    return integer("eval_every", 100);
  }

  public long checkpointEvery() {
    return integer("checkpoint_every", 500);
  }

  public long seed() {
    return integer("seed", 0);
  }

  public String objective() {
    return text("objective.type", "sequence_match");
  }

  public long warmupBcSteps() {
    return integer("objective.warmup_bc_steps", 100);
  }

  public String modelInit() {
    return text("model.init", "scratch");
  }

  /** The raw-data extension ({@code data.text}, {@code data.jsonl}, ...), if this config uses it. */
  public Optional<RawData> rawData() {
    return RawData.of(this);
  }

  private String text(String path, String fallback) {
    return get(path).map(JsonNode::asText).orElse(fallback);
  }

  private long integer(String path, long fallback) {
    return get(path).filter(JsonNode::canConvertToLong).map(JsonNode::asLong).orElse(fallback);
  }

  @Override
  public String toString() {
    return "TrainConfig(" + origin + ") " + root;
  }
}
