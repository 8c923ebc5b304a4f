/*
 * `seqmatch prepare`: text / JSONL files -> .smtok token data for both training front ends
 * (DataPreparer): DIR/train.smtok, DIR/validation.smtok, DIR/prepare.json and, for a Hugging Face
 * tokenizer, DIR/tokenizer.json. Bad JSONL lines are skipped (listed, counted) or fail the command
 * with "file:line: reason" (exit 2). Tested by PrepareCommandTest.
 */
package ai.seqmatch.cli;

import ai.seqmatch.data.BadLinePolicy;
import ai.seqmatch.data.DataPreparer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "prepare", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Tokenize text / JSONL files into .smtok training data (docs/TRAINING.md).",
        "A .jsonl file holds {\"text\": ...} or {\"prompt\": ..., \"completion\": ...} per line; any other file is "
            + "one plain-text document. Text is cut into --seq-len chunks; a pair is one example whose prompt "
            + "is not trained on.",
        "Writes DIR/train.smtok, DIR/validation.smtok, DIR/prepare.json (tokenizer, vocabulary incl. "
            + "<eos>/<pad>/<bkspc>, counts, skipped lines, each file's size and CRC-32C) and DIR/tokenizer.json "
            + "(a copy, for a HF tokenizer).",
        "Streams: memory stays bounded whatever the input size; progress (rate, time left) goes to stderr every "
            + "few seconds. prepare.json is written last, so an interrupted run never looks complete, and train "
            + "refuses a file that no longer matches it."})
final class PrepareCommand implements Callable<Integer> {
  enum BadLines { skip, fail }

  private static final int SKIPPED_SHOWN = 10;

  @Spec CommandSpec spec;

  @Option(names = "--input", required = true, arity = "1..*", paramLabel = "FILE",
      description = "Input files (.jsonl, or plain text); repeatable.")
  List<Path> inputs;

  @Option(names = "--tokenizer", defaultValue = "byte", paramLabel = "byte|PATH",
      description = "byte (built-in, vocab 259) or a Hugging Face tokenizer.json (default: ${DEFAULT-VALUE}).")
  String tokenizer;

  @Option(names = "--seq-len", required = true, paramLabel = "N", description = "Tokens per example.")
  int seqLen;

  @Option(names = "--validation-fraction", defaultValue = "0.1", paramLabel = "F",
      description = "Share held out for validation, in [0, 1) (default: ${DEFAULT-VALUE}).")
  double validationFraction;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of the train/validation split (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--bad-lines", defaultValue = "skip", paramLabel = "skip|fail",
      description = "Bad JSONL lines: skip them (listed on stderr) or fail at the first (default: ${DEFAULT-VALUE}).")
  BadLines badLines;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
  Path out;

  @Option(names = "--json", description = "Print prepare.json's content as one JSON object.")
  boolean json;

  @Override
  public Integer call() {
    DataPreparer.Builder b = DataPreparer.builder(tokenizer, seqLen).optValidationFraction(validationFraction)
        .optSeed(seed).optBadLinePolicy(badLines == BadLines.fail ? BadLinePolicy.FAIL : BadLinePolicy.SKIP);
    inputs.forEach(b::addFile);
    PrintWriter err = spec.commandLine().getErr();
    b.optProgress(line -> {
      err.println(line);
      err.flush();
    });
    DataPreparer preparer;
    try {
      preparer = b.build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(e.getMessage().replaceFirst("^prepare: invalid settings: ", "")
          .replace("seq_len", "--seq-len").replace("validationFraction", "--validation-fraction"), e);
    }
    ObjectNode report = preparer.prepare(out);
    JsonNode skipped = report.path("skipped_lines");
    for (int i = 0; i < Math.min(SKIPPED_SHOWN, skipped.size()); i++) {
      err.println("prepare: skipped " + skipped.get(i).asText());
    }
    if (report.path("skipped").asInt() > SKIPPED_SHOWN) {
      err.println("prepare: ... " + (report.path("skipped").asInt() - SKIPPED_SHOWN) + " more (see "
          + out.resolve(DataPreparer.REPORT) + ")");
    }
    err.flush();
    PrintWriter o = spec.commandLine().getOut();
    if (json) {
      o.println(report);
    } else {
      o.printf("prepared %s: train %d examples (%d tokens), validation %d examples (%d tokens); vocab %d "
          + "(eos %d, pad %d, bkspc %d); %d lines skipped%n", out, report.path("train").path("examples").asLong(),
          report.path("train").path("tokens").asLong(), report.path("validation").path("examples").asLong(),
          report.path("validation").path("tokens").asLong(), report.path("vocab_size").asLong(),
          report.path("special_ids").path("eos").asLong(), report.path("special_ids").path("pad").asLong(),
          report.path("special_ids").path("bkspc").asLong(), report.path("skipped").asLong());
    }
    o.flush();
    return 0;
  }
}
