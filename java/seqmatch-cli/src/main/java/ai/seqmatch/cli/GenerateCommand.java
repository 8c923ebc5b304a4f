/*
 * `seqmatch generate`: backspace-aware sampling from a checkpoint (ours or a Hugging Face GPT-2 dir) on the
 * native engine, or from an ONNX export (`--engine onnx --model DIR`, seqmatch-onnx's OrtGenerator) with
 * the same flags, decoding rules and output.
 * Output: text (per row: a summary line, then the text or the ids), --json (ONE object: the row itself
 * for one prompt, {"results": [...]} for several), or --stream (edits as they happen; a <bkspc> erases
 * with "\b \b" on a terminal and prints one ⌫ per deleted character otherwise).
 * Tested by GenerateCommandTest.
 */
package ai.seqmatch.cli;

import ai.seqmatch.Device;
import ai.seqmatch.InvalidInputException;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.model.ModelConfig;
import ai.seqmatch.onnx.ExecutionProvider;
import ai.seqmatch.onnx.OrtGenerator;
import ai.seqmatch.onnx.OrtModel;
import ai.seqmatch.sample.FinishReason;
import ai.seqmatch.sample.GenerationListener;
import ai.seqmatch.sample.GenerationResult;
import ai.seqmatch.sample.Generator;
import ai.seqmatch.sample.SamplingOptions;
import ai.seqmatch.tokenize.StreamingDecoder;
import ai.seqmatch.tokenize.Tokenizer;
import ai.seqmatch.tokenize.Tokenizers;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Generate continuations with backspace-aware sampling (<bkspc> deletes the last token).",
        "Give one or more --prompt TEXT (needs a tokenizer in the checkpoint) or --prompt-ids IDS; several "
            + "prompts are decoded as one batch.",
        "--json prints ONE object: the result itself for one prompt, {\"results\": [...]} for several. "
            + "Fields: tokens (prompt + generated, final state), prompt_length, actions (incl. <bkspc>), "
            + "text and completion (only with a tokenizer), finish_reason, new_tokens, backspaces, num_actions, "
            + "logprobs (with --logprobs).",
        "--stream prints the text as it is generated; a <bkspc> erases with \\b \\b on a terminal and prints "
            + "one \u232b per deleted character otherwise (--backspace-style).",
        "--engine onnx runs an export of 'seqmatch export' (--model DIR) on ONNX Runtime (--ep cpu|cuda)."})
final class GenerateCommand implements Callable<Integer> {
  enum BackspaceStyle { auto, erase, marker }

  @Spec CommandSpec spec;

  @Option(names = "--checkpoint", paramLabel = "DIR", description = "Checkpoint directory (--engine native).")
  Path checkpoint;

  @Option(names = "--adapter", paramLabel = "DIR",
      description = "LoRA adapter directory (PEFT format) applied to --checkpoint, the base (--engine native).")
  Path adapter;

  @Option(names = "--engine", defaultValue = "native", paramLabel = "ENGINE",
      description = "native (libtorch, --checkpoint) or onnx (ONNX Runtime, --model) (default: ${DEFAULT-VALUE}).")
  String engine;

  @Option(names = "--model", paramLabel = "DIR", description = "ONNX export directory of 'seqmatch export' (--engine onnx).")
  Path onnxModel;

  @Option(names = "--ep", defaultValue = "cpu", paramLabel = "EP",
      description = "With --engine onnx: execution provider cpu or cuda; cuda falls back to cpu with a WARN line.")
  String ep;

  @Option(names = "--prompt", paramLabel = "TEXT", description = "A prompt as text (repeatable: one row each).")
  List<String> prompts = new ArrayList<>();

  @Option(names = "--prompt-ids", paramLabel = "IDS", description = "A prompt as token ids, e.g. 1,2,3 (repeatable).")
  List<String> promptIds = new ArrayList<>();

  @Option(names = "--max-new-tokens", defaultValue = "64", description = "Generated tokens in the final state (default: ${DEFAULT-VALUE}).")
  long maxNewTokens;

  @Option(names = "--max-actions", defaultValue = "0", description = "Actions per row incl. <bkspc>; 0 = 4 x --max-new-tokens.")
  long maxActions;

  @Option(names = "--greedy", description = "Argmax decoding with the no-retype rule (ignores --temperature, --top-k, --top-p, --seed).")
  boolean greedy;

  @Option(names = "--temperature", defaultValue = "1.0", description = "Sampling temperature (default: ${DEFAULT-VALUE}).")
  double temperature;

  @Option(names = "--top-k", defaultValue = "0", description = "Keep the K most likely actions; 0 = off.")
  long topK;

  @Option(names = "--top-p", defaultValue = "1.0", description = "Nucleus mass in (0, 1]; 1 = off.")
  double topP;

  @Option(names = "--seed", defaultValue = "0", description = "Row b samples with seed + b (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--no-backspace", description = "Never choose <bkspc>.")
  boolean noBackspace;

  @Option(names = "--no-retype", description = "Sampling: never retype a token deleted at the same state (the "
      + "no-retype rule; --greedy always applies it). Off by default so that samples are the model's policy.")
  boolean noRetype;

  @Option(names = "--stop-ids", split = ",", paramLabel = "IDS", description = "Token ids that end a row (besides <eos>).")
  long[] stopIds = new long[0];

  @Option(names = "--logprobs", description = "Include log pi(action | state) per action in --json output.")
  boolean logprobs;

  @Option(names = "--stream", description = "Print text as it is generated, showing backspaces.")
  boolean stream;

  @Option(names = "--backspace-style", defaultValue = "auto", paramLabel = "STYLE",
      description = "With --stream: erase (\\b \\b), marker (\u232b), or auto = erase on a terminal (default).")
  BackspaceStyle backspaceStyle;

  @Option(names = "--json", description = "Print one JSON object instead of text.")
  boolean json;

  @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}).")
  String device;

  private static final Pattern IDS = Pattern.compile("\\s*\\d+(\\s*,\\s*\\d+)*\\s*");
  private static final String[] FIELDS = {"max_new_tokens", "max_actions", "temperature", "top_k", "top_p", "stop_ids"};

  @Override
  public Integer call() {
    List<String> problems = new ArrayList<>();
    SamplingOptions options = options(problems);
    if (prompts.isEmpty() == promptIds.isEmpty()) {
      problems.add("give --prompt TEXT or --prompt-ids IDS (got " + (prompts.isEmpty() ? "neither" : "both") + ")");
    }
    List<long[]> ids = new ArrayList<>();
    for (String p : promptIds) {
      if (IDS.matcher(p).matches()) {
        ids.add(Arrays.stream(p.split(",")).mapToLong(s -> Long.parseLong(s.strip())).toArray());
      } else {
        problems.add("--prompt-ids must be comma-separated token ids (got \"" + p + "\")");
      }
    }
    if (stream && json) {
      problems.add("--stream and --json cannot be combined");
    }
    checkEngine(problems);
    if (!problems.isEmpty()) {
      throw new InvalidInputException(String.join("; ", problems));
    }
    try (Engine backend = openEngine(); Text text = new Text(Tokenizers.load(backend.dir()))) {
      if (!prompts.isEmpty()) {
        ids = encode(text, backend.bosTokenId());
      }
      List<GenerationResult> results;
      if (stream) {
        StreamPrinter printer = new StreamPrinter(spec.commandLine().getOut(), text, ids, useErase());
        results = backend.generate(ids, options, printer);
        printer.end(results);
      } else {
        results = backend.generate(ids, options, null);
        print(results, text);
      }
      long looping = maxActionRows(results);
      if (looping > 0 && !json) { // --json carries the count in "max_actions_rows"
        spec.commandLine().getErr().println("note: " + looping + " of " + results.size() + " rows finished by "
            + "max_actions (still deleting and retyping at the action cap)");
        spec.commandLine().getErr().flush();
      }
    }
    return 0;
  }

  /** One batched generate call over either runtime (Generator and OrtGenerator share this signature). */
  @FunctionalInterface
  interface BatchGenerate {
    List<GenerationResult> generate(List<long[]> prompts, SamplingOptions options, GenerationListener listener);
  }

  /** The model behind one run, the native Generator or ONNX Runtime's OrtGenerator (same results): its files, its
   * start token, how to generate, and what to close. */
  record Engine(Path dir, long bosTokenId, BatchGenerate batch, Runnable closer) implements AutoCloseable {
    List<GenerationResult> generate(List<long[]> prompts, SamplingOptions options, GenerationListener listener) {
      return batch.generate(prompts, options, listener);
    }

    @Override
    public void close() {
      closer.run();
    }
  }

  private void checkEngine(List<String> problems) {
    switch (engine) {
      case "native" -> {
        if (checkpoint == null) {
          problems.add("--engine native needs --checkpoint DIR" + (onnxModel != null ? " (--model is for --engine onnx)" : ""));
        } else if (onnxModel != null) {
          problems.add("--model is for --engine onnx (got it with --engine native)");
        }
      }
      case "onnx" -> {
        if (onnxModel == null) {
          problems.add("--engine onnx needs --model DIR (an export of 'seqmatch export')");
        } else if (checkpoint != null) {
          problems.add("--checkpoint is for --engine native; give the ONNX export as --model");
        } else if (adapter != null) {
          problems.add("--adapter is for --engine native; an ONNX export holds the merged model (seqmatch export --adapter)");
        }
        if (!ep.equals("cpu") && !ep.equals("cuda")) {
          problems.add("--ep must be cpu or cuda (got \"" + ep + "\")");
        }
      }
      default -> problems.add("--engine must be native or onnx (got \"" + engine + "\")");
    }
  }

  private Engine openEngine() {
    if (engine.equals("onnx")) {
      OrtModel model = OrtModel.load(onnxModel, ExecutionProvider.parse(ep), 0);
      OrtGenerator generator = new OrtGenerator(model);
      return new Engine(onnxModel, model.info().bosTokenId(), generator::generate, () -> {
        generator.close();
        model.close();
      });
    }
    CausalLM model = CausalLM.load(checkpoint, adapter, Device.of(device));
    Generator generator = new Generator(model);
    return new Engine(checkpoint, model.config().bosTokenId(), generator::generate, () -> {
      generator.close();
      model.close();
    });
  }

  private SamplingOptions options(List<String> problems) {
    try {
      return SamplingOptions.builder().optMaxNewTokens(maxNewTokens).optMaxActions(maxActions).optGreedy(greedy)
          .optTemperature(temperature).optTopK(topK).optTopP(topP).optSeed(seed).optAllowBackspace(!noBackspace)
          .optNoRetype(noRetype).optStopIds(stopIds).optLogprobs(logprobs).build();
    } catch (IllegalArgumentException e) {
      String m = e.getMessage().replaceFirst("^invalid sampling options: ", "").replace("use greedy", "use --greedy");
      for (String field : FIELDS) {
        m = m.replaceAll("\\b" + field + "\\b", "--" + field.replace('_', '-'));
      }
      problems.add(m);
      return null;
    }
  }

  private List<long[]> encode(Text text, long bosTokenId) {
    if (text.tokenizer().isEmpty()) {
      throw new InvalidInputException("--prompt needs a tokenizer, and " + (checkpoint != null ? checkpoint : onnxModel)
          + " has none (no "
          + "tokenizer.json, no \"seqmatch\".\"tokenizer\" in config.json). Hint: use --prompt-ids");
    }
    List<long[]> out = new ArrayList<>();
    for (String p : prompts) {
      long[] encoded = text.tokenizer().get().encodePrompt(p); // start token + text, as in training
      if (encoded.length == 0 && bosTokenId != ModelConfig.NO_TOKEN) {
        encoded = new long[] {bosTokenId}; // an empty prompt starts from BOS
      }
      out.add(encoded);
    }
    return out;
  }

  private boolean useErase() {
    return backspaceStyle == BackspaceStyle.erase
        || backspaceStyle == BackspaceStyle.auto && System.console() != null;
  }

  private void print(List<GenerationResult> results, Text text) {
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      ObjectMapper mapper = new ObjectMapper();
      if (results.size() == 1) {
        out.println(toJson(mapper, results.get(0), text).put("max_actions_rows", maxActionRows(results)));
      } else {
        ObjectNode node = mapper.createObjectNode();
        node.put("max_actions_rows", maxActionRows(results));
        ObjectNode reasons = node.putObject("finish_reasons");
        for (GenerationResult r : results) {
          String name = r.finishReason().wireName();
          reasons.put(name, reasons.path(name).asLong(0) + 1);
        }
        ArrayNode array = node.putArray("results");
        results.forEach(r -> array.add(toJson(mapper, r, text)));
        out.println(node);
      }
    } else {
      for (int row = 0; row < results.size(); row++) {
        GenerationResult r = results.get(row);
        out.println("[" + row + "] " + summary(r));
        out.println(text.available() ? text.decode(r.tokens()) : "ids: " + joined(r.tokens()));
      }
    }
    out.flush();
  }

  /** Rows that ended at the action cap: with the no-retype rule only a tried-out vocabulary gets there. */
  static long maxActionRows(List<GenerationResult> results) {
    return results.stream().filter(r -> r.finishReason() == FinishReason.MAX_ACTIONS).count();
  }

  static String summary(GenerationResult r) {
    return r.finishReason().wireName() + ", " + r.generatedTokens() + " new tokens, " + r.backspaces()
        + " backspaces, " + r.actionCount() + " actions";
  }

  private static String joined(long[] ids) {
    StringBuilder sb = new StringBuilder();
    for (long id : ids) {
      sb.append(sb.length() == 0 ? "" : " ").append(id);
    }
    return sb.toString();
  }

  private ObjectNode toJson(ObjectMapper mapper, GenerationResult r, Text text) {
    ObjectNode node = mapper.createObjectNode();
    ArrayNode tokens = node.putArray("tokens");
    Arrays.stream(r.tokens()).forEach(tokens::add);
    node.put("prompt_length", r.promptLength());
    ArrayNode actions = node.putArray("actions");
    Arrays.stream(r.actions()).forEach(actions::add);
    if (text.available()) {
      node.put("text", text.decode(r.tokens()));
      node.put("completion", text.completion(r)); // SentencePiece: " Paris", not "Paris"
    }
    node.put("finish_reason", r.finishReason().wireName());
    node.put("new_tokens", r.generatedTokens());
    node.put("backspaces", r.backspaces());
    node.put("num_actions", r.actionCount());
    if (r.logprobs() != null) {
      ArrayNode lp = node.putArray("logprobs");
      for (float f : r.logprobs()) {
        lp.add(f);
      }
    }
    return node;
  }

  /** The checkpoint's tokenizer, if any; ids it does not know (SeqMatch specials, padding rows) add no text. */
  record Text(Optional<Tokenizer> tokenizer) implements AutoCloseable {
    boolean available() {
      return tokenizer.isPresent();
    }

    boolean knows(long id) {
      return tokenizer.isPresent() && id >= 0 && id < tokenizer.get().vocabSize();
    }

    String decode(long[] ids) {
      return tokenizer.get().decode(Arrays.stream(ids).filter(this::knows).toArray(), true);
    }

    /** The text the generated tokens add after the prompt. */
    String completion(GenerationResult r) {
      long[] prompt = Arrays.copyOf(r.tokens(), r.promptLength());
      return tokenizer.get().decodeContinuation(Arrays.stream(prompt).filter(this::knows).toArray(),
          Arrays.stream(r.generated()).filter(this::knows).toArray(), true);
    }

    @Override
    public void close() {
      tokenizer.ifPresent(Tokenizer::close);
    }
  }

  /** Prints edits as they happen: inline for one row, one line per edit ("[row] ...") for several. */
  static final class StreamPrinter implements GenerationListener {
    private final PrintWriter out;
    private final boolean erase;
    private final boolean inline;
    private final List<RowText> rows = new ArrayList<>();

    StreamPrinter(PrintWriter out, Text text, List<long[]> prompts, boolean erase) {
      this.out = out;
      this.erase = erase;
      this.inline = prompts.size() == 1;
      for (int row = 0; row < prompts.size(); row++) {
        RowText t = new RowText(text);
        StringBuilder start = new StringBuilder();
        for (long id : prompts.get(row)) {
          start.append(t.push(id).text());
        }
        rows.add(t);
        emit(row, 0, start.toString());
      }
    }

    @Override
    public void onToken(int row, long tokenId) {
      RowText.Edit e = rows.get(row).push(tokenId);
      emit(row, e.deleteChars(), e.text());
    }

    @Override
    public void onBackspace(int row, long deletedTokenId) {
      RowText.Edit e = rows.get(row).backspace();
      emit(row, e.deleteChars(), e.text());
    }

    @Override
    public void onFinished(int row, GenerationResult result) {
      RowText.Edit e = rows.get(row).finish();
      emit(row, e.deleteChars(), e.text());
    }

    private void emit(int row, int deleteChars, String text) {
      if (deleteChars == 0 && text.isEmpty()) {
        return;
      }
      StringBuilder sb = new StringBuilder();
      String rub = erase && inline ? "\b \b" : "\u232b";
      sb.append(rub.repeat(deleteChars)).append(text);
      if (inline) {
        out.print(sb);
      } else {
        out.println("[" + row + "] " + sb.toString().replace("\n", "\\n"));
      }
      out.flush();
    }

    void end(List<GenerationResult> results) {
      if (inline) {
        out.println();
      }
      for (int row = 0; row < results.size(); row++) {
        out.println("-- [" + row + "] " + summary(results.get(row)));
      }
      out.flush();
    }
  }

  /** One row's streamed text: a StreamingDecoder with a tokenizer, else ids separated by spaces. */
  static final class RowText {
    record Edit(int deleteChars, String text) {
      static final Edit NONE = new Edit(0, "");
    }

    private final Text text;
    private final StreamingDecoder decoder; // null without a tokenizer
    private final Deque<Integer> pushed = new ArrayDeque<>(); // per token: 1/0 pushed to decoder, or piece length

    RowText(Text text) {
      this.text = text;
      this.decoder = text.tokenizer().map(t -> t.streamingDecoder(true)).orElse(null);
    }

    Edit push(long id) {
      if (decoder == null) {
        String piece = (pushed.isEmpty() ? "" : " ") + id;
        pushed.push(piece.length());
        return new Edit(0, piece);
      }
      if (!text.knows(id)) {
        pushed.push(0); // an id the tokenizer lacks contributes no text
        return Edit.NONE;
      }
      pushed.push(1);
      return edit(decoder.push(id));
    }

    Edit backspace() {
      int last = pushed.pop();
      if (decoder == null) {
        return new Edit(last, "");
      }
      return last == 0 ? Edit.NONE : edit(decoder.backspace());
    }

    Edit finish() {
      return decoder == null ? Edit.NONE : edit(decoder.finish());
    }

    private static Edit edit(StreamingDecoder.Piece p) {
      return new Edit(p.deleteChars(), p.text());
    }
  }
}
