/*
 * `seqmatch prepare` as an API: text / JSONL files -> DIR/train.smtok, DIR/validation.smtok,
 * DIR/prepare.json (tokenizer spec, vocabulary incl. SeqMatch's specials, counts, skipped lines) and,
 * for a Hugging Face tokenizer, DIR/tokenizer.json (a copy, so DIR is self-contained). The ids come from
 * the tokenizer extended with <eos>/<pad>/<bkspc> (Tokenizers.withSeqMatchSpecials), the vocabulary a
 * model trained on the data must have. Tested by DataPreparerTest and PrepareCommandTest.
 */
package ai.seqmatch.data;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.tokenize.ByteTokenizer;
import ai.seqmatch.tokenize.HfTokenizer;
import ai.seqmatch.tokenize.SpecialTokens;
import ai.seqmatch.tokenize.Tokenizer;
import ai.seqmatch.tokenize.Tokenizers;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Prepares token data for training: {@code DataPreparer.builder("byte", 256).addFile(f).build().prepare(dir)}.
 * Stateless after build; {@link #prepare} may be called for several directories.
 */
public final class DataPreparer {
  /** File names inside a prepared directory. */
  public static final String TRAIN = "train.smtok";

  public static final String VALIDATION = "validation.smtok";
  public static final String REPORT = "prepare.json";
  public static final String TOKENIZER_JSON = "tokenizer.json";

  private static final int MAX_SKIPPED_LISTED = 100;

  private final String tokenizer;
  private final int seqLen;
  private final List<Path> files;
  private final double validationFraction;
  private final long seed;
  private final BadLinePolicy policy;

  private DataPreparer(Builder b) {
    this.tokenizer = b.tokenizer;
    this.seqLen = b.seqLen;
    this.files = List.copyOf(b.files);
    this.validationFraction = b.validationFraction;
    this.seed = b.seed;
    this.policy = b.policy;
  }

  /**
   * A builder.
   *
   * @param tokenizer "byte" (the built-in byte-level tokenizer) or the path of a Hugging Face tokenizer.json
   * @param seqLen tokens per example (text chunks are exactly this long; pairs at most)
   */
  public static Builder builder(String tokenizer, int seqLen) {
    return new Builder(tokenizer, seqLen);
  }

  /** The tokenizer named by a spec string ("byte" or a tokenizer.json path), with SeqMatch's specials. */
  public static Tokenizer openTokenizer(String spec) {
    if (spec.equals("byte")) {
      return Tokenizers.withSeqMatchSpecials(new ByteTokenizer());
    }
    Path file = Path.of(spec);
    if (Files.isDirectory(file)) {
      file = file.resolve(TOKENIZER_JSON);
    }
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputException("tokenizer: cannot load " + spec
          + ": no such file. Hint: use \"byte\" or the path of a Hugging Face tokenizer.json");
    }
    return Tokenizers.withSeqMatchSpecials(HfTokenizer.load(file));
  }

  /**
   * True if {@code dir} already holds data prepared by these exact settings from inputs of the same
   * size and modification time (so a resumed or repeated run does not tokenise again).
   */
  public boolean isPreparedIn(Path dir) {
    Path report = dir.resolve(REPORT);
    if (!Files.isRegularFile(report) || !Files.isRegularFile(dir.resolve(TRAIN))) {
      return false;
    }
    try {
      ObjectMapper mapper = new ObjectMapper();
      // Compared as parsed text: a tree built in memory holds longs where the parsed file holds ints.
      return mapper.readTree(report.toFile()).path("settings").equals(mapper.readTree(settings().toString()));
    } catch (IOException e) {
      return false; // unreadable report: prepare again (it is rewritten atomically)
    }
  }

  /**
   * Tokenises, chunks and splits the files into {@code dir}.
   *
   * @return the report also written to DIR/prepare.json
   * @throws InvalidInputException for unreadable inputs, bad lines under FAIL, or no training examples
   */
  public ObjectNode prepare(Path dir) {
    ObjectMapper mapper = new ObjectMapper();
    try (Tokenizer tok = openTokenizer(tokenizer)) {
      Dataset.Builder db = Dataset.builder(tok, seqLen).optValidationFraction(validationFraction).optSeed(seed)
          .optBadLinePolicy(policy);
      files.forEach(db::addFile);
      Dataset data = db.build();
      if (data.train().isEmpty()) {
        throw new InvalidInputException("data: no training examples from " + files + " (" + data.skipped().size()
            + " lines skipped). Hint: a text must hold more than --seq-len " + seqLen + " tokens; lower --seq-len");
      }
      Files.createDirectories(dir);
      SmtokWriter.write(dir.resolve(TRAIN), data.train());
      SmtokWriter.write(dir.resolve(VALIDATION), data.validation());
      ObjectNode spec = mapper.createObjectNode();
      if (tokenizer.equals("byte")) {
        spec.put("type", "byte");
      } else {
        Path source = Files.isDirectory(Path.of(tokenizer)) ? Path.of(tokenizer).resolve(TOKENIZER_JSON)
            : Path.of(tokenizer);
        Path copy = dir.resolve(TOKENIZER_JSON);
        if (!Files.exists(copy) || !Files.isSameFile(source, copy)) {
          Files.copy(source, copy, StandardCopyOption.REPLACE_EXISTING);
        }
        spec.put("type", "hf").put("file", TOKENIZER_JSON);
      }
      ObjectNode report = mapper.createObjectNode();
      report.set("tokenizer", spec);
      report.put("vocab_size", tok.vocabSize());
      report.put("base_vocab_size", tok.baseVocabSize());
      SpecialTokens sp = tok.specials();
      report.putObject("special_ids").put("bos", sp.bos()).put("eos", sp.eos()).put("pad", sp.pad())
          .put("bkspc", sp.bkspc());
      report.put("seq_len", seqLen);
      report.set("train", counts(mapper, TRAIN, data.train()));
      report.set("validation", counts(mapper, VALIDATION, data.validation()));
      report.put("skipped", data.skipped().size());
      ArrayNode listed = report.putArray("skipped_lines");
      data.skipped().stream().limit(MAX_SKIPPED_LISTED).forEach(listed::add);
      report.set("settings", settings());
      writeAtomically(dir.resolve(REPORT), mapper.writerWithDefaultPrettyPrinter().writeValueAsString(report));
      return report;
    } catch (IOException e) {
      throw new UncheckedIOException("prepare: cannot write " + dir + ": " + e.getMessage(), e);
    }
  }

  /** What the output depends on: inputs (path, size, mtime) and every setting. */
  private ObjectNode settings() {
    ObjectNode s = new ObjectMapper().createObjectNode();
    s.put("tokenizer", tokenizer);
    s.put("seq_len", seqLen);
    s.put("validation_fraction", validationFraction);
    s.put("seed", seed);
    s.put("bad_lines", policy.name().toLowerCase(java.util.Locale.ROOT));
    ArrayNode inputs = s.putArray("inputs");
    for (Path f : files) {
      ObjectNode in = inputs.addObject().put("path", f.toString());
      try {
        in.put("bytes", Files.size(f)).put("modified", Files.getLastModifiedTime(f).toMillis());
      } catch (IOException e) {
        in.put("bytes", -1); // unreadable now: build() reports it with its own message
      }
    }
    return s;
  }

  private static ObjectNode counts(ObjectMapper mapper, String file, List<Example> examples) {
    long tokens = 0;
    long targets = 0;
    for (Example e : examples) {
      tokens += e.length();
      targets += e.length() - SmtokWriter.promptLength(e);
    }
    return mapper.createObjectNode().put("file", file).put("examples", examples.size()).put("tokens", tokens)
        .put("target_tokens", targets);
  }

  static void writeAtomically(Path file, String text) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, text + "\n");
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Builder: tokenizer and seqLen up front, the rest optional. */
  public static final class Builder extends SourceOptions<Builder> {
    private final String tokenizer;
    private final int seqLen;

    private Builder(String tokenizer, int seqLen) {
      this.tokenizer = tokenizer;
      this.seqLen = seqLen;
    }

    @Override
    Builder self() {
      return this;
    }

    /** @throws IllegalArgumentException listing every invalid setting */
    public DataPreparer build() {
      List<String> problems = new ArrayList<>();
      if (tokenizer == null || tokenizer.isBlank()) {
        problems.add("tokenizer is empty (expected \"byte\" or a tokenizer.json path)");
      }
      if (seqLen < 2) {
        problems.add("seq_len must be >= 2 (got " + seqLen + ")");
      }
      validateSources(problems);
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException("prepare: invalid settings: " + String.join("; ", problems));
      }
      return new DataPreparer(this);
    }
  }
}
