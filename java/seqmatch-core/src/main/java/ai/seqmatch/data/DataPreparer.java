/*
 * `seqmatch prepare` as an API: text / JSONL files -> DIR/train.smtok, DIR/validation.smtok,
 * DIR/prepare.json (tokenizer spec, vocabulary incl. SeqMatch's specials, counts, skipped lines, and the
 * size and CRC-32C of each file) and, for a Hugging Face tokenizer, DIR/tokenizer.json (a copy, so DIR is
 * self-contained). The ids come from the tokenizer extended with <eos>/<pad>/<bkspc>
 * (Tokenizers.withSeqMatchSpecials), the vocabulary a model trained on the data must have. Preparation
 * streams (ExampleStream into SmtokWriter): memory does not grow with the corpus. Publication is safe
 * against a kill at any point (PreparedFiles): the old prepare.json goes first, each file is renamed
 * into place whole, the new prepare.json comes last; temp files a killed run left are removed at the next
 * start. Tested by StreamingPrepareTest and PrepareCommandTest.
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
import java.util.function.Consumer;

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
  private final Consumer<String> log;

  private DataPreparer(Builder b) {
    this.tokenizer = b.tokenizer;
    this.seqLen = b.seqLen;
    this.files = List.copyOf(b.files);
    this.validationFraction = b.validationFraction;
    this.seed = b.seed;
    this.policy = b.policy;
    this.log = b.log;
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
   *
   * @throws InvalidInputException if it does, but a file differs from what its prepare.json lists
   */
  public boolean isPreparedIn(Path dir) {
    Path report = dir.resolve(REPORT);
    if (!Files.isRegularFile(report) || !Files.isRegularFile(dir.resolve(TRAIN))) {
      return false;
    }
    JsonNode written;
    try {
      ObjectMapper mapper = new ObjectMapper();
      written = mapper.readTree(report.toFile());
      // Compared as parsed text: a tree built in memory holds longs where the parsed file holds ints.
      if (!written.path("settings").equals(mapper.readTree(settings().toString())) || !PreparedFiles.listed(written)) {
        return false;
      }
    } catch (IOException e) {
      return false; // unreadable report: prepare again (it is rewritten atomically)
    }
    PreparedFiles.verify(dir, written);
    return true;
  }

  /**
   * Tokenises, chunks and splits the files into {@code dir}, streaming.
   *
   * @return the report also written to DIR/prepare.json
   * @throws InvalidInputException for unreadable inputs, bad lines under FAIL, or no training examples
   */
  public ObjectNode prepare(Path dir) {
    ObjectMapper mapper = new ObjectMapper();
    try {
      Files.createDirectories(dir);
      Files.deleteIfExists(dir.resolve(REPORT)); // unpublish first: a kill from here on leaves no report
      removeStaleTemps(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("prepare: cannot write " + dir + ": " + e.getMessage(), e);
    }
    try (Tokenizer tok = openTokenizer(tokenizer);
        SmtokWriter trainOut = SmtokWriter.open(dir.resolve(TRAIN));
        SmtokWriter validationOut = SmtokWriter.open(dir.resolve(VALIDATION))) {
      DataReader reader = new DataReader(policy);
      long total = 0;
      for (Path f : files) {
        total += Files.isRegularFile(f) ? Files.size(f) : 0;
      }
      ExampleStream.run(files, tok, seqLen, validationFraction, seed, reader, new Progress(total, log, System::nanoTime),
          trainOut::add, validationOut::add);
      if (trainOut.examples() == 0) {
        throw new InvalidInputException("data: no training examples from " + files + " (" + reader.skippedCount()
            + " lines skipped). Hint: a text must hold more than --seq-len " + seqLen + " tokens; lower --seq-len");
      }
      SmtokWriter.Summary train = trainOut.commit();
      SmtokWriter.Summary validation = validationOut.commit();
      ObjectNode checksums = mapper.createObjectNode();
      PreparedFiles.put(checksums, TRAIN, train.bytes(), train.crc32c());
      PreparedFiles.put(checksums, VALIDATION, validation.bytes(), validation.crc32c());
      ObjectNode spec = mapper.createObjectNode();
      if (tokenizer.equals("byte")) {
        spec.put("type", "byte");
      } else {
        Path source = Files.isDirectory(Path.of(tokenizer)) ? Path.of(tokenizer).resolve(TOKENIZER_JSON)
            : Path.of(tokenizer);
        Path copy = dir.resolve(TOKENIZER_JSON);
        if (!Files.exists(copy) || !Files.isSameFile(source, copy)) {
          Path tmp = Files.createTempFile(dir, TOKENIZER_JSON + ".", ".tmp");
          try {
            Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, copy, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
          } finally {
            Files.deleteIfExists(tmp);
          }
        }
        PreparedFiles.put(checksums, TOKENIZER_JSON, Files.size(copy), PreparedFiles.crc32c(copy));
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
      report.set("train", counts(mapper, TRAIN, train));
      report.set("validation", counts(mapper, VALIDATION, validation));
      report.put("skipped", reader.skippedCount());
      ArrayNode listed = report.putArray("skipped_lines");
      reader.skipped().stream().limit(MAX_SKIPPED_LISTED).forEach(listed::add);
      report.set("settings", settings());
      report.set(PreparedFiles.KEY, checksums);
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

  private static ObjectNode counts(ObjectMapper mapper, String file, SmtokWriter.Summary s) {
    return mapper.createObjectNode().put("file", file).put("examples", s.examples()).put("tokens", s.tokens())
        .put("target_tokens", s.targetTokens());
  }

  /** Temp files a killed prepare left in {@code dir} (named after the files written here, ending ".tmp"). */
  private static void removeStaleTemps(Path dir) throws IOException {
    try (java.util.stream.Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        String name = f.getFileName().toString();
        if (name.endsWith(".tmp") && java.util.stream.Stream.of(TRAIN, VALIDATION, TOKENIZER_JSON, REPORT)
            .anyMatch(name::startsWith)) {
          Files.deleteIfExists(f);
        }
      }
    }
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

    private Consumer<String> log = line -> {};

    @Override
    Builder self() {
      return this;
    }

    /** Where progress lines of a long preparation go (rate and time left, every few seconds); default none. */
    public Builder optProgress(Consumer<String> log) {
      this.log = log;
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
