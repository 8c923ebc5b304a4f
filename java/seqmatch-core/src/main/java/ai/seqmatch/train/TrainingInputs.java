/*
 * Turns a user's config into what the native trainer runs on: raw inputs (RawData) are prepared into
 * <out_dir>/data (reused when inputs and settings are unchanged, e.g. on --resume; a prepared file that no
 * longer matches the checksum in its prepare.json is an error naming it), and the tokenizer
 * the checkpoints should carry is worked out, with the file to copy into each of them
 * (CheckpointFilesListener). Tested by TrainCommandTest.
 */
package ai.seqmatch.train;

import ai.seqmatch.data.DataPreparer;
import ai.seqmatch.data.PreparedFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A resolved config and the files every checkpoint needs besides what the native trainer writes.
 *
 * @param config the config for {@link Trainer#create} (names .smtok files)
 * @param checkpointFiles file name inside a checkpoint mapped to its source
 */
public record TrainingInputs(TrainConfig config, Map<String, Path> checkpointFiles) {
  public TrainingInputs {
    checkpointFiles = Map.copyOf(checkpointFiles);
  }

  /**
   * Resolves {@code config}: prepares raw data if needed (progress lines go to {@code log}) and fills
   * model.tokenizer when it can be known: from the prepared data's prepare.json (also next to a
   * data.train .smtok), or from a Hugging Face model.init directory with a tokenizer.json.
   */
  public static TrainingInputs resolve(TrainConfig config, Consumer<String> log) {
    TrainConfig c = config;
    Optional<RawData> raw = c.rawData();
    Path dataDir = null;
    if (raw.isPresent()) {
      dataDir = c.outDir().resolve("data");
      DataPreparer preparer = raw.get().preparer(log);
      if (preparer.isPreparedIn(dataDir)) {
        log.accept("prepare: reusing " + dataDir + " (same inputs and settings)");
      } else {
        log.accept("prepare: tokenizing " + raw.get().files() + " with " + raw.get().tokenizer() + " into " + dataDir);
        JsonNode r = preparer.prepare(dataDir);
        log.accept("prepare: " + r.path("train").path("examples") + " train / " + r.path("validation").path("examples")
            + " validation examples, vocab " + r.path("vocab_size") + ", " + r.path("skipped") + " lines skipped");
      }
      c = RawData.resolve(c, dataDir, readJson(dataDir.resolve(DataPreparer.REPORT)));
    } else {
      Optional<Path> beside = c.get("data.train").map(n -> Path.of(n.asText()).toAbsolutePath().getParent());
      if (beside.isPresent() && Files.isRegularFile(beside.get().resolve(DataPreparer.REPORT))) {
        dataDir = beside.get(); // data from `seqmatch prepare`: its tokenizer is known, its files checksummed
        JsonNode report = readJson(dataDir.resolve(DataPreparer.REPORT));
        if (PreparedFiles.listed(report)) {
          PreparedFiles.verify(dataDir, report);
        }
        if (c.get("model.tokenizer").isEmpty() && c.modelInit().equals("scratch")) {
          c = c.with("model.tokenizer", report.path("tokenizer").deepCopy());
        }
      }
    }
    Map<String, Path> files = new LinkedHashMap<>();
    Optional<JsonNode> spec = c.get("model.tokenizer");
    if (spec.isEmpty() && !c.modelInit().equals("scratch")) {
      Path init = Path.of(c.modelInit());
      JsonNode initSpec = readSpec(init);
      if (initSpec != null) {
        hfFile(initSpec).ifPresent(f -> files.put(f, init.resolve(f)));
      } else if (Files.isRegularFile(init.resolve(DataPreparer.TOKENIZER_JSON))) {
        c = c.with("model.tokenizer", new ObjectMapper().createObjectNode().put("type", "hf")
            .put("file", DataPreparer.TOKENIZER_JSON));
        files.put(DataPreparer.TOKENIZER_JSON, init.resolve(DataPreparer.TOKENIZER_JSON));
      }
    } else if (spec.isPresent()) {
      Optional<String> f = hfFile(spec.get());
      if (f.isPresent()) {
        Path source = dataDir != null && Files.isRegularFile(dataDir.resolve(f.get())) ? dataDir.resolve(f.get())
            : Path.of(f.get());
        if (Files.isRegularFile(source)) {
          String inside = f.get();
          Path rel = Path.of(inside).normalize();
          if (rel.isAbsolute() || rel.startsWith("..")) {
            // A checkpoint may only name files inside itself (Tokenizers.fromSpec): copy it in under a plain name.
            inside = DataPreparer.TOKENIZER_JSON;
            c = c.with("model.tokenizer", ((ObjectNode) spec.get().deepCopy()).put("file", inside));
          }
          files.put(inside, source);
        }
      }
    }
    return new TrainingInputs(c, files);
  }

  private static Optional<String> hfFile(JsonNode spec) {
    return "hf".equals(spec.path("type").asText()) && spec.hasNonNull("file")
        ? Optional.of(spec.get("file").asText()) : Optional.empty();
  }

  /** The "seqmatch.tokenizer" spec of a checkpoint directory's config.json, or null. */
  private static JsonNode readSpec(Path dir) {
    Path config = dir.resolve("config.json");
    if (!Files.isRegularFile(config)) {
      return null;
    }
    JsonNode spec = readJson(config).path("seqmatch").path("tokenizer");
    return spec.isMissingNode() || spec.isNull() ? null : spec;
  }

  private static JsonNode readJson(Path file) {
    try {
      return new ObjectMapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }
}
