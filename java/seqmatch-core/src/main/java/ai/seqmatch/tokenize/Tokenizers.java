/*
 * Finding and building tokenizers: from a checkpoint directory (config.json's "seqmatch.tokenizer" spec,
 * or a Hugging Face tokenizer.json beside it), from a spec, and extending one with SeqMatch's specials.
 * Tested by TokenizersTest.
 */
package ai.seqmatch.tokenize;

import ai.seqmatch.CheckpointException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Static factories for {@link Tokenizer}s. */
public final class Tokenizers {
  private Tokenizers() {}

  /**
   * The tokenizer of a checkpoint directory or a tokenizer.json file. A directory uses, in order: its
   * config.json's {@code "seqmatch": {"tokenizer": spec}} (see {@link #fromSpec}), then a
   * {@code tokenizer.json} next to it (a plain Hugging Face GPT-2 directory). BOS/EOS/PAD ids in
   * config.json ({@code bos_token_id}, ...) override the names guessed from tokenizer.json. The result is
   * the base tokenizer: wrap it with {@link #withSeqMatchSpecials} for training and generation.
   *
   * @return empty if the directory names no tokenizer (callers then work with ids only)
   * @throws CheckpointException if the path is missing or config.json / the named file is unusable
   */
  public static Optional<Tokenizer> load(Path path) {
    if (Files.isRegularFile(path)) {
      return Optional.of(HfTokenizer.load(path));
    }
    if (!Files.isDirectory(path)) {
      throw new CheckpointException("tokenizer: cannot load " + path
          + ": no such file or directory. Hint: pass a checkpoint directory or a tokenizer.json");
    }
    Path configFile = path.resolve("config.json");
    JsonNode config = Files.isRegularFile(configFile) ? readConfig(configFile) : null;
    JsonNode spec = config == null ? null : config.path("seqmatch").path("tokenizer");
    if (spec != null && !spec.isMissingNode()) {
      return Optional.of(fromSpec(spec, path, config));
    }
    Path hf = path.resolve("tokenizer.json");
    if (Files.isRegularFile(hf)) {
      return Optional.of(loadHf(hf, config));
    }
    return Optional.empty();
  }

  /**
   * A tokenizer from a spec object: {@code {"type": "byte"}} or {@code {"type": "hf", "file":
   * "tokenizer.json"}} with {@code file} relative to {@code baseDir} and confined to it: a checkpoint is
   * data someone else may have written, so its config must not make us read files elsewhere (an absolute
   * path, or "../" leaving the directory, is an error naming the field; paths a user types on the command
   * line go through {@link #load} and are not confined). Checked lexically, so a checkpoint directory whose
   * tokenizer.json is a symbolic link (as in the Hugging Face cache) still loads.
   *
   * @param config the checkpoint's config.json, for special-token ids; may be null
   */
  public static Tokenizer fromSpec(JsonNode spec, Path baseDir, JsonNode config) {
    String type = spec.path("type").asText("");
    switch (type) {
      case "byte":
        return new ByteTokenizer();
      case "hf":
        String file = spec.path("file").asText("");
        if (file.isEmpty()) {
          throw new CheckpointException("tokenizer spec in " + baseDir.resolve("config.json")
              + ": type \"hf\" needs a \"file\" (got " + spec + "). Hint: e.g. \"file\": \"tokenizer.json\"");
        }
        Path path = confined(baseDir, file);
        if (!Files.isRegularFile(path)) {
          throw new CheckpointException("tokenizer: cannot load " + path + ": no such file (named by "
              + baseDir.resolve("config.json") + "). Hint: copy the tokenizer.json into the checkpoint");
        }
        return loadHf(path, config);
      default:
        throw new CheckpointException("tokenizer spec in " + baseDir.resolve("config.json")
            + ": unknown type (got \"" + type + "\", expected \"byte\" or \"hf\")");
    }
  }

  /**
   * {@code base} with {@code <eos>}, {@code <pad>} (each only if base lacks it) and {@code <bkspc>}
   * appended, in that order, at ids base.vocabSize(), base.vocabSize() + 1, ... The fixed order makes
   * the ids reproducible. Returns {@code base} itself if nothing is missing. The result owns base.
   */
  public static Tokenizer withSeqMatchSpecials(Tokenizer base) {
    SpecialTokens sp = base.specials();
    List<String> names = new ArrayList<>();
    long next = base.vocabSize();
    if (!sp.hasEos()) {
      sp = sp.withEos(next + names.size());
      names.add("<eos>");
    }
    if (!sp.hasPad()) {
      sp = sp.withPad(next + names.size());
      names.add("<pad>");
    }
    if (!sp.hasBkspc()) {
      sp = sp.withBkspc(next + names.size());
      names.add("<bkspc>");
    }
    return names.isEmpty() ? base : new ExtendedTokenizer(base, names.toArray(new String[0]), sp);
  }

  /** {@code baseDir/file}, or an error if {@code file} is absolute or leaves {@code baseDir}. */
  private static Path confined(Path baseDir, String file) {
    String field = "field \"seqmatch.tokenizer.file\" in " + baseDir.resolve("config.json");
    String shown = file.length() > 200 ? file.substring(0, 200) + "..." : file;
    Path rel;
    try {
      rel = Path.of(file);
    } catch (java.nio.file.InvalidPathException e) {
      throw new CheckpointException(field + ": not a valid path (got \"" + shown.replace("\0", "\\0") + "\")");
    }
    Path base = baseDir.toAbsolutePath().normalize();
    Path path = base.resolve(rel).normalize();
    if (rel.isAbsolute() || !path.startsWith(base) || path.equals(base)) {
      throw new CheckpointException(field + ": must name a file inside the checkpoint directory (got \"" + shown
          + "\"). Hint: copy the tokenizer.json into the checkpoint and name it relatively, e.g. \"tokenizer.json\"");
    }
    return path;
  }

  private static Tokenizer loadHf(Path file, JsonNode config) {
    if (config == null) {
      return HfTokenizer.load(file);
    }
    // config.json may name ids SeqMatch appended (>= the file's vocabulary): those are re-made by
    // withSeqMatchSpecials, so only ids inside the file's vocabulary are taken from it.
    return HfTokenizer.loadChoosing(file, (sp, size) -> new SpecialTokens(
        pick(config, "bos_token_id", sp.bos(), size),
        pick(config, "eos_token_id", sp.eos(), size),
        pick(config, "pad_token_id", sp.pad(), size),
        pick(config, "bkspc_token_id", sp.bkspc(), size)));
  }

  private static long pick(JsonNode config, String field, long fallback, int size) {
    JsonNode v = config.path(field);
    return v.canConvertToLong() && v.asLong() >= 0 && v.asLong() < size ? v.asLong() : fallback;
  }

  private static JsonNode readConfig(Path file) {
    try {
      return new ObjectMapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new CheckpointException("tokenizer: cannot parse " + file + ": " + HfTokenizer.jsonError(e)
          + ". Hint: config.json must be valid JSON", e);
    }
  }
}
