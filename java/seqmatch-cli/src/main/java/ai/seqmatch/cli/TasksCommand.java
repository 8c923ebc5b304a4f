/*
 * `seqmatch tasks`: the built-in generated tasks (ai.seqmatch.tasks). `list` names them; `generate` writes
 * deterministic JSONL data ({"prompt": ..., "completion": ...}, one file or train/validation/test splits
 * with disjoint prompts) and optionally the task's ground-truth noise candidates as the token-level JSON the
 * trainer's noise kind "task" reads. Tested by TasksCommandTest.
 */
package ai.seqmatch.cli;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.data.DataPreparer;
import ai.seqmatch.tasks.NoiseCandidates;
import ai.seqmatch.tasks.Task;
import ai.seqmatch.tasks.TaskDataset;
import ai.seqmatch.tasks.TaskExample;
import ai.seqmatch.tasks.TaskRegistry;
import ai.seqmatch.tokenize.Tokenizer;
import ai.seqmatch.tokenize.Tokenizers;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "tasks", mixinStandardHelpOptions = true,
    description = "Generated tasks with exact checkers (for training data and evaluation).",
    subcommands = {TasksCommand.ListTasks.class, TasksCommand.Generate.class})
final class TasksCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return CommandLine.ExitCode.USAGE;
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the built-in tasks.")
  static final class ListTasks implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      ObjectNode root = new ObjectMapper().createObjectNode();
      ArrayNode tasks = root.putArray("tasks");
      for (String name : TaskRegistry.names()) {
        Task t = TaskRegistry.get(name);
        if (json) {
          tasks.addObject().put("name", name).put("description", t.describe())
              .put("noise", t.groundTruthNoise().isPresent());
        } else {
          out.println(name + "  (" + t.describe() + ")");
        }
      }
      if (json) {
        out.println(root);
      }
      out.flush();
      return 0;
    }
  }

  @Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Write N examples of a task as JSONL {\"prompt\": ..., \"completion\": ...}, the same "
          + "for the same --task, --n and --seed.",
          "Either --out FILE with --n N, or --out-dir DIR with --splits TRAIN,VALIDATION,TEST (train.jsonl, "
              + "validation.jsonl, test.jsonl): test and validation are distinct problems drawn without "
              + "replacement, stratified (for add-or-sub-in-base by base and operand length), at most half of "
              + "each stratum held out, so every test stratum is trained on; train shares no prompt with them. "
              + "Asking for more distinct held-out prompts than the task has is an error naming the counts.",
          "--noise-candidates FILE also writes the noise alphabets of the written training examples "
              + "(format seqmatch-noise/2: per example the digits of its base; the random-noise alphabet) for "
              + "the trainer's noise.candidates."})
  static final class Generate implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--task", required = true, paramLabel = "NAME", description = "Task name ('seqmatch tasks list').")
    String task;

    @Option(names = "--n", paramLabel = "N", description = "Examples to write with --out.")
    Integer n;

    @Option(names = "--seed", defaultValue = "0", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", paramLabel = "FILE", description = "Output JSONL file.")
    Path out;

    @Option(names = "--out-dir", paramLabel = "DIR", description = "Output directory for --splits.")
    Path outDir;

    @Option(names = "--splits", split = ",", paramLabel = "TRAIN,VAL,TEST", description = "Split sizes, e.g. 10000,500,500.")
    int[] splits;

    @Option(names = "--noise-candidates", paramLabel = "FILE", description = "Also write noise candidates (JSON).")
    Path noiseCandidates;

    @Option(names = "--tokenizer", defaultValue = "byte", paramLabel = "SPEC",
        description = "Tokenizer for --noise-candidates: byte (default), a tokenizer.json, or a checkpoint directory.")
    String tokenizer;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Override
    public Integer call() {
      List<String> problems = new ArrayList<>();
      if ((out == null) == (outDir == null)) {
        problems.add("give --out FILE (with --n) or --out-dir DIR (with --splits) (got "
            + (out == null ? "neither" : "both") + ")");
      }
      if (out != null && (n == null || n < 1)) {
        problems.add("--out needs --n >= 1 (got " + (n == null ? "none" : n) + ")");
      }
      if (outDir != null && (splits == null || splits.length != 3 || splits[0] < 0 || splits[1] < 0 || splits[2] < 0)) {
        problems.add("--out-dir needs --splits TRAIN,VALIDATION,TEST, three counts >= 0");
      }
      if (outDir != null && n != null) {
        problems.add("--n goes with --out; use --splits with --out-dir");
      }
      Task t = null;
      try {
        t = TaskRegistry.get(task);
      } catch (InvalidInputException e) {
        problems.add(e.getMessage());
      }
      if (t != null && noiseCandidates != null && t.groundTruthNoise().isEmpty()) {
        problems.add("task " + task + " has no ground-truth noise, so --noise-candidates cannot be written");
      }
      if (!problems.isEmpty()) {
        throw new InvalidInputException(String.join("; ", problems));
      }
      ObjectNode result = new ObjectMapper().createObjectNode();
      result.put("task", t.name()).put("description", t.describe()).put("seed", seed);
      List<String> lines = new ArrayList<>();
      List<TaskExample> trained;
      if (out != null) {
        trained = TaskDataset.write(t, n, seed, out);
        result.putObject("files").put(out.toString(), n);
        lines.add("wrote " + n + " examples of " + t.name() + " to " + out);
      } else {
        TaskDataset.Split split = TaskDataset.split(t, splits[0], splits[1], splits[2], seed);
        trained = split.train();
        TaskDataset.Splits s = TaskDataset.writeSplits(split, outDir);
        ObjectNode files = result.putObject("files");
        files.put(s.train().toString(), splits[0]).put(s.validation().toString(), splits[1])
            .put(s.test().toString(), splits[2]);
        lines.add("wrote " + splits[0] + "/" + splits[1] + "/" + splits[2] + " train/validation/test examples of "
            + t.name() + " to " + outDir);
      }
      if (noiseCandidates != null) {
        try (Tokenizer tok = openTokenizer()) {
          NoiseCandidates.write(t, trained, tok, noiseCandidates);
        }
        result.put("noise_candidates", noiseCandidates.toString());
        lines.add("wrote noise candidates (" + tokenizer + " tokenizer) to " + noiseCandidates);
      }
      PrintWriter o = spec.commandLine().getOut();
      if (json) {
        o.println(result);
      } else {
        lines.forEach(o::println);
      }
      o.flush();
      return 0;
    }

    private Tokenizer openTokenizer() {
      if (tokenizer.equals("byte")) {
        return DataPreparer.openTokenizer("byte"); // as `seqmatch prepare` encodes prompts (the noise file's keys)
      }
      return Tokenizers.load(Path.of(tokenizer)).orElseThrow(() -> new InvalidInputException("--tokenizer "
          + tokenizer + " names no tokenizer (no tokenizer.json, no \"seqmatch\".\"tokenizer\" in config.json). "
          + "Hint: use --tokenizer byte"));
    }
  }
}
