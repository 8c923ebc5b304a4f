/*
 * The Java front end's extension of the config's data section: raw inputs instead of .smtok files,
 *   "data": {"text": ["a.txt"], "jsonl": ["b.jsonl"], "tokenizer": "byte" | "path/tokenizer.json",
 *            "seq_len": 256, "validation_fraction": 0.1, "seed": 0, "bad_lines": "skip" | "fail"}
 * `seqmatch train` prepares them into <out_dir>/data (DataPreparer) and hands the native trainer the
 * plain config (resolved()). Paths are relative to the working directory, as for every config path.
 * Tested by TrainConfigTest and TrainCommandTest.
 */
package ai.seqmatch.train;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.data.BadLinePolicy;
import ai.seqmatch.data.DataPreparer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Raw training inputs named by a config.
 *
 * @param files text files (one document each) then JSONL files
 * @param tokenizer "byte" or a tokenizer.json path
 * @param seqLen tokens per example
 * @param validationFraction share held out
 * @param seed split seed
 * @param badLines policy for bad JSONL lines
 */
public record RawData(List<Path> files, String tokenizer, int seqLen, double validationFraction, long seed,
    BadLinePolicy badLines) {
  /** Keys of the extension; the native trainer never sees them. */
  static final List<String> KEYS = List.of("text", "jsonl", "tokenizer", "seq_len", "validation_fraction", "seed",
      "bad_lines");

  public RawData {
    files = List.copyOf(files);
  }

  /** The extension in {@code config}, or empty when its data section names .smtok files only. */
  static Optional<RawData> of(TrainConfig config) {
    JsonNode data = config.get("data").orElse(null);
    if (data == null || !(data.has("text") || data.has("jsonl"))) {
      List<String> stray = new ArrayList<>();
      KEYS.stream().filter(k -> data != null && data.has(k)).forEach(k -> stray.add("data." + k));
      if (!stray.isEmpty()) {
        throw bad(config, "field '" + stray.get(0) + "' needs raw inputs in data.text or data.jsonl");
      }
      return Optional.empty();
    }
    if (data.has("train") || data.has("validation")) {
      throw bad(config, "data.text/data.jsonl and data.train/data.validation cannot be combined (raw inputs are "
          + "prepared into <out_dir>/data)");
    }
    List<Path> files = new ArrayList<>();
    paths(config, data, "text", files);
    paths(config, data, "jsonl", files);
    if (files.isEmpty()) {
      throw bad(config, "field 'data.text' / 'data.jsonl' lists no files");
    }
    String tokenizer = data.path("tokenizer").asText("byte");
    long defaultSeqLen = config.get("model.n_positions").filter(JsonNode::canConvertToLong).map(JsonNode::asLong)
        .orElse(256L);
    JsonNode seqLen = data.path("seq_len");
    if (!seqLen.isMissingNode() && !seqLen.canConvertToInt()) {
      throw bad(config, "field 'data.seq_len' has the wrong type (got " + seqLen + ")");
    }
    JsonNode fraction = data.path("validation_fraction");
    if (!fraction.isMissingNode() && !fraction.isNumber()) {
      throw bad(config, "field 'data.validation_fraction' has the wrong type (got " + fraction + ")");
    }
    long seqLenValue = seqLen.isMissingNode() ? defaultSeqLen : seqLen.asInt();
    if (seqLenValue < 2 || seqLenValue > Integer.MAX_VALUE) {
      throw bad(config, "field '" + (seqLen.isMissingNode() ? "model.n_positions" : "data.seq_len")
          + "' gives a sequence length of " + seqLenValue + " (expected 2.." + Integer.MAX_VALUE + ")");
    }
    if (!fraction.isMissingNode() && !(fraction.asDouble() >= 0 && fraction.asDouble() < 1)) {
      throw bad(config, "field 'data.validation_fraction' must be in [0, 1) (got " + fraction + ")");
    }
    JsonNode tok = data.path("tokenizer");
    if (!tok.isMissingNode() && !(tok.isTextual() && !tok.asText().isBlank())) {
      throw bad(config, "field 'data.tokenizer' must be \"byte\" or a tokenizer.json path (got " + tok + ")");
    }
    String policy = data.path("bad_lines").asText("skip");
    if (!policy.equals("skip") && !policy.equals("fail")) {
      throw bad(config, "field 'data.bad_lines' must be skip or fail (got '" + policy + "')");
    }
    return Optional.of(new RawData(files, tokenizer, (int) seqLenValue,
        fraction.isMissingNode() ? 0.1 : fraction.asDouble(), data.path("seed").asLong(0),
        BadLinePolicy.valueOf(policy.toUpperCase(Locale.ROOT))));
  }

  /** A preparer for these inputs. */
  public DataPreparer preparer() {
    return preparer(line -> {});
  }

  /** A preparer for these inputs that reports progress on large inputs to {@code log}. */
  public DataPreparer preparer(java.util.function.Consumer<String> log) {
    DataPreparer.Builder b = DataPreparer.builder(tokenizer, seqLen).optValidationFraction(validationFraction)
        .optSeed(seed).optBadLinePolicy(badLines).optProgress(log);
    files.forEach(b::addFile);
    return b.build();
  }

  /**
   * The config the native trainer gets for data prepared into {@code dir} (report = its prepare.json):
   * the extension's keys removed, data.train/validation set, and (for a model from scratch) the vocabulary
   * size and special ids of the tokenizer. model.tokenizer names the tokenizer so checkpoints carry it.
   */
  static TrainConfig resolve(TrainConfig config, Path dir, JsonNode report) {
    TrainConfig c = config;
    for (String k : KEYS) {
      c = c.without("data." + k);
    }
    c = c.with("data.train", TextNode.valueOf(dir.resolve(DataPreparer.TRAIN).toString()));
    if (report.path("validation").path("examples").asLong() > 0) {
      c = c.with("data.validation", TextNode.valueOf(dir.resolve(DataPreparer.VALIDATION).toString()));
    }
    if (c.modelInit().equals("scratch")) {
      c = fill(c, "model.vocab_size", report.path("vocab_size").asLong());
      JsonNode ids = report.path("special_ids");
      for (String name : new String[] {"bos", "eos", "pad", "bkspc"}) {
        c = fill(c, "model." + name + "_token_id", ids.path(name).asLong(-1));
      }
    }
    if (c.get("model.tokenizer").isEmpty()) {
      c = c.with("model.tokenizer", report.path("tokenizer").deepCopy());
    }
    return c;
  }

  /** Sets a field from the tokenizer; a different value already in the config is an error. */
  private static TrainConfig fill(TrainConfig c, String path, long value) {
    Optional<JsonNode> have = c.get(path);
    if (have.isPresent() && !(have.get().canConvertToLong() && have.get().asLong() == value)) {
      throw bad(c, "field '" + path + "' is " + have.get() + " but the tokenizer gives " + value
          + ". Hint: remove it; it is filled from data.tokenizer");
    }
    return c.with(path, value == (int) value ? IntNode.valueOf((int) value) : LongNode.valueOf(value));
  }

  private static void paths(TrainConfig config, JsonNode data, String key, List<Path> out) {
    JsonNode v = data.path(key);
    if (v.isMissingNode() || v.isNull()) {
      return;
    }
    if (v.isTextual()) {
      out.add(Path.of(v.asText()));
      return;
    }
    if (!v.isArray()) {
      throw bad(config, "field 'data." + key + "' has the wrong type (got " + v + ", expected a list of paths)");
    }
    for (JsonNode p : v) {
      if (!p.isTextual()) {
        throw bad(config, "field 'data." + key + "' has the wrong type (got " + v + ", expected a list of paths)");
      }
      out.add(Path.of(p.asText()));
    }
  }

  private static InvalidInputException bad(TrainConfig config, String why) {
    return new InvalidInputException("config " + config.origin() + ": " + why);
  }
}
