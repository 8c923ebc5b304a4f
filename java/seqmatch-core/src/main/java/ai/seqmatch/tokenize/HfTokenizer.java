/*
 * Any Hugging Face tokenizer.json, encoded through DJL's Rust binding (ai.djl.huggingface:tokenizers).
 * Raw encode (no BOS/EOS added, no truncation). For byte-level BPE (GPT-2 family) decoding runs in Java
 * over each token's raw bytes so that decode and StreamingDecoder agree byte for byte.
 * Tested by HfTokenizerTest (GPT-2's tokenizer.json in test resources).
 */
package ai.seqmatch.tokenize;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.seqmatch.InvalidInputException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

/** A tokenizer read from a Hugging Face {@code tokenizer.json}. */
public final class HfTokenizer implements Tokenizer {
  // Names by which tokenizer.json files mark these roles; config.json's *_token_id, when present, wins.
  private static final Set<String> BOS_NAMES = Set.of("<s>", "<bos>", "<|begin_of_text|>", "<|startoftext|>");
  private static final Set<String> EOS_NAMES = Set.of("</s>", "<eos>", "<|endoftext|>", "<|end_of_text|>");
  private static final Set<String> PAD_NAMES = Set.of("<pad>", "[PAD]", "<|pad|>");
  /** Largest vocabulary accepted (2^24; real ones are below 2^19): a bound before arrays are sized by it. */
  static final int MAX_ID = 1 << 24;

  private final HuggingFaceTokenizer djl;
  private final Path file;
  private final String[] tokens; // id -> token string as stored in tokenizer.json (null for gaps)
  private final boolean[] special;
  private final byte[][] bytes; // id -> raw bytes; null unless byte-level
  private final SpecialTokens specials;

  private HfTokenizer(HuggingFaceTokenizer djl, Path file, String[] tokens, boolean[] special,
      boolean byteLevel, SpecialTokens specials) {
    this.djl = djl;
    this.file = file;
    this.tokens = tokens;
    this.special = special;
    this.specials = specials;
    this.bytes = byteLevel ? new byte[tokens.length][] : null;
    if (byteLevel) {
      for (int id = 0; id < tokens.length; id++) {
        bytes[id] = tokens[id] == null ? new byte[0] : ByteLevelAlphabet.tokenBytes(tokens[id]);
      }
    }
  }

  /** Loads {@code tokenizerJson}, guessing BOS/EOS/PAD from its added special tokens' names. */
  public static HfTokenizer load(Path tokenizerJson) {
    return load(tokenizerJson, (SpecialTokens) null);
  }

  /**
   * Loads {@code tokenizerJson} with the given special-token ids ({@code null}: guess from names).
   *
   * @throws InvalidInputException if the file is missing or not a tokenizer.json
   */
  public static HfTokenizer load(Path tokenizerJson, SpecialTokens specials) {
    return loadChoosing(tokenizerJson, (guessed, size) -> specials != null ? specials : guessed);
  }

  /** Loads with specials chosen by {@code choose(guessed, vocabSize)}, so the file is parsed once. */
  static HfTokenizer loadChoosing(Path tokenizerJson, BiFunction<SpecialTokens, Integer, SpecialTokens> choose) {
    JsonNode root = readJson(tokenizerJson);
    JsonNode vocab = root.path("model").path("vocab");
    if (!vocab.isObject() && !vocab.isArray()) {
      throw bad(tokenizerJson, "no model.vocab object or array", "a Hugging Face tokenizer.json");
    }
    int size = maxId(tokenizerJson, vocab, root.path("added_tokens")) + 1;
    String[] tokens = new String[size];
    boolean[] special = new boolean[size];
    if (vocab.isObject()) {
      vocab.properties().forEach(e -> tokens[e.getValue().asInt()] = e.getKey());
    } else { // Unigram: [[piece, score], ...], the index is the id
      for (int i = 0; i < vocab.size(); i++) {
        tokens[i] = vocab.get(i).path(0).asText();
      }
    }
    for (JsonNode t : root.path("added_tokens")) {
      tokens[t.path("id").asInt()] = t.path("content").asText();
      special[t.path("id").asInt()] = t.path("special").asBoolean(false);
    }
    SpecialTokens guessed = fromTokenizerConfig(tokenizerJson, tokens, guessSpecials(tokens, special));
    SpecialTokens sp = choose.apply(guessed, size);
    for (long id : new long[] {sp.bos(), sp.eos(), sp.pad(), sp.bkspc()}) {
      if (id >= size) {
        throw bad(tokenizerJson, "special token id " + id + " is outside the vocabulary",
            "ids below " + size);
      }
      if (id >= 0) {
        special[(int) id] = true;
      }
    }
    boolean byteLevel = "ByteLevel".equals(root.path("decoder").path("type").asText());
    return new HfTokenizer(openDjl(tokenizerJson), tokenizerJson, tokens, special, byteLevel, sp);
  }

  @Override
  public long[] encode(String text) {
    try {
      return djl.encode(text).getIds();
    } catch (RuntimeException e) { // the Rust tokenizer's own errors, e.g. a WordLevel model without its [UNK]
      throw new InvalidInputException("tokenizer " + file + ": cannot encode: "
          + String.valueOf(e.getMessage()).replace('\n', ' '), e);
    }
  }

  @Override
  public String decode(long[] ids, boolean skipSpecial) {
    TokenIds.checkRange(ids, vocabSize());
    if (bytes == null) {
      try {
        return djl.decode(ids, skipSpecial);
      } catch (RuntimeException e) {
        throw new InvalidInputException("tokenizer " + file + ": cannot decode: "
            + String.valueOf(e.getMessage()).replace('\n', ' '), e);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length * 4);
    for (long id : ids) {
      if (!(skipSpecial && special[(int) id])) {
        out.writeBytes(bytes[(int) id]);
      }
    }
    return Utf8.decodeLossy(out.toByteArray());
  }

  @Override
  public int vocabSize() {
    return tokens.length;
  }

  @Override
  public SpecialTokens specials() {
    return specials;
  }

  @Override
  public boolean isSpecial(long id) {
    return id >= 0 && id < special.length && special[(int) id];
  }

  @Override
  public boolean isByteLevel() {
    return bytes != null;
  }

  @Override
  public byte[] tokenBytes(long id) {
    if (bytes == null) {
      throw new UnsupportedOperationException("tokenBytes: " + file + " has no ByteLevel decoder");
    }
    TokenIds.checkRange(id, 0, vocabSize());
    return bytes[(int) id].clone();
  }

  /** The token string stored in tokenizer.json for {@code id} (GPT-2: byte-level alphabet, e.g. "Ġworld"). */
  public String tokenString(long id) {
    TokenIds.checkRange(id, 0, vocabSize());
    return tokens[(int) id];
  }

  @Override
  public void close() {
    djl.close();
  }

  @Override
  public String toString() {
    return "HfTokenizer{" + file + ", vocabSize=" + vocabSize() + ", " + specials + "}";
  }

  private static HuggingFaceTokenizer openDjl(Path file) {
    // DJL picks a CUDA build of its JNI library when it sees a GPU, and that one is not in the jar: it
    // would be downloaded. The tokenizer gains nothing from CUDA, so ask for the bundled CPU build,
    // unless the user chose a flavor (env or -D RUST_FLAVOR).
    if (System.getenv("RUST_FLAVOR") == null && System.getProperty("RUST_FLAVOR") == null) {
      System.setProperty("RUST_FLAVOR", "cpu");
    }
    // DJL's usage tracking (Ec2Utils.callHome) otherwise opens an HTTP connection to the EC2 metadata
    // address 169.254.169.254 on the first tokenizer load: a network request no user asked for, and a
    // connect timeout's delay off EC2. Found by Jazzer's SSRF detector (TokenizerFuzzTest). The user may
    // still opt in (env or -D OPT_OUT_TRACKING=false).
    if (System.getenv("OPT_OUT_TRACKING") == null && System.getProperty("OPT_OUT_TRACKING") == null) {
      System.setProperty("OPT_OUT_TRACKING", "true");
    }
    try {
      // No BOS/EOS, no truncation (DJL truncates to 512 by default), no padding: callers chunk themselves.
      return HuggingFaceTokenizer.newInstance(
          file, Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
    } catch (IOException | RuntimeException e) {
      // The Rust parser's message names the JSON path that failed; bounded so no large excerpt is quoted.
      String why = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
      throw new InvalidInputException("tokenizer: cannot load " + file + ": "
          + (why.length() > 160 ? why.substring(0, 160) + "..." : why)
          + ". Hint: the file must be a Hugging Face tokenizer.json", e);
    }
  }

  private static JsonNode readJson(Path file) {
    if (!Files.isRegularFile(file)) {
      throw bad(file, "no such file", "a path to tokenizer.json");
    }
    try {
      return new ObjectMapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new InvalidInputException("tokenizer: cannot parse " + file + ": " + jsonError(e)
          + ". Hint: the file must be a Hugging Face tokenizer.json", e);
    }
  }

  /**
   * Where a JSON parse failed, without the parser's message: Jackson quotes the offending text, and the
   * file may be one a hostile config pointed us at (its contents must not reach an error message).
   */
  static String jsonError(IOException e) {
    if (e instanceof com.fasterxml.jackson.core.JsonProcessingException j && j.getLocation() != null) {
      return "not valid JSON (line " + j.getLocation().getLineNr() + ", column " + j.getLocation().getColumnNr() + ")";
    }
    return e instanceof com.fasterxml.jackson.core.JsonProcessingException ? "not valid JSON"
        : "cannot read (" + e.getClass().getSimpleName() + ")";
  }

  /** The largest id, after checking every id is an integer in [0, MAX_ID) (arrays are sized by it). */
  private static int maxId(Path file, JsonNode vocab, JsonNode added) {
    int max = vocab.isArray() ? vocab.size() - 1 : -1;
    if (vocab.isObject()) {
      for (JsonNode id : vocab) {
        max = Math.max(max, checkId(file, id, "model.vocab"));
      }
    }
    if (!added.isMissingNode() && !added.isArray()) {
      throw bad(file, "added_tokens is not an array", "a list of {\"id\": ..., \"content\": ...}");
    }
    for (JsonNode t : added) {
      max = Math.max(max, checkId(file, t.path("id"), "added_tokens"));
    }
    if (max >= MAX_ID) {
      throw bad(file, "vocabulary of " + (max + 1L) + " entries", "at most " + MAX_ID);
    }
    return max;
  }

  private static int checkId(Path file, JsonNode id, String field) {
    if (!id.isIntegralNumber() || !id.canConvertToInt() || id.asInt() < 0 || id.asInt() >= MAX_ID) {
      throw bad(file, "a token id in " + field + " is not an integer in [0, " + MAX_ID + ")",
          "ids 0, 1, ... of the vocabulary");
    }
    return id.asInt();
  }

  /**
   * BOS/EOS/PAD named by the tokenizer_config.json beside {@code tokenizerJson} (as transformers reads
   * them: a token string, an AddedToken object with "content", or null for none) over the guessed ones;
   * {@code guessed} unchanged when there is no such file. Qwen's eos is "<|im_end|>" there, not the
   * "<|endoftext|>" a name guess would pick.
   */
  static SpecialTokens fromTokenizerConfig(Path tokenizerJson, String[] tokens, SpecialTokens guessed) {
    Path file = tokenizerJson.resolveSibling("tokenizer_config.json");
    if (!Files.isRegularFile(file)) {
      return guessed;
    }
    JsonNode c = readJson(file);
    if (!c.isObject()) {
      throw bad(file, "not a JSON object", "a Hugging Face tokenizer_config.json");
    }
    return new SpecialTokens(named(file, c, "bos_token", tokens, guessed.bos()),
        named(file, c, "eos_token", tokens, guessed.eos()), named(file, c, "pad_token", tokens, guessed.pad()),
        guessed.bkspc());
  }

  private static long named(Path file, JsonNode config, String field, String[] tokens, long fallback) {
    JsonNode v = config.path(field);
    if (v.isMissingNode()) {
      return fallback;
    }
    if (v.isNull()) {
      return SpecialTokens.NONE;
    }
    String name = v.isObject() ? v.path("content").asText(null) : v.isTextual() ? v.asText() : null;
    if (name == null) {
      throw bad(file, "field '" + field + "' is neither a token string nor an object with \"content\"",
          "e.g. \"" + field + "\": \"</s>\"");
    }
    for (int id = 0; id < tokens.length; id++) {
      if (name.equals(tokens[id])) {
        return id;
      }
    }
    throw bad(file, "field '" + field + "' names a token that tokenizer.json does not have (got \""
        + (name.length() > 40 ? name.substring(0, 40) + "..." : name) + "\")", "a token of its vocabulary");
  }

  private static SpecialTokens guessSpecials(String[] tokens, boolean[] special) {
    long bos = SpecialTokens.NONE;
    long eos = SpecialTokens.NONE;
    long pad = SpecialTokens.NONE;
    long bkspc = SpecialTokens.NONE;
    for (int id = 0; id < tokens.length; id++) {
      String t = tokens[id];
      if (!special[id] || t == null) {
        continue;
      }
      bos = bos == SpecialTokens.NONE && BOS_NAMES.contains(t) ? id : bos;
      eos = eos == SpecialTokens.NONE && EOS_NAMES.contains(t) ? id : eos;
      pad = pad == SpecialTokens.NONE && PAD_NAMES.contains(t) ? id : pad;
      bkspc = bkspc == SpecialTokens.NONE && "<bkspc>".equals(t) ? id : bkspc;
    }
    return new SpecialTokens(bos, eos, pad, bkspc);
  }

  private static InvalidInputException bad(Path file, String why, String expected) {
    return new InvalidInputException("tokenizer: cannot load " + file + ": " + why + " (expected "
        + expected + "). Hint: pass a Hugging Face tokenizer.json or a checkpoint directory holding one");
  }
}
