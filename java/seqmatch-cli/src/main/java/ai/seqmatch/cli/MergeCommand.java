/*
 * `seqmatch merge --base DIR --adapter DIR --out DIR`: a base checkpoint plus a LoRA adapter (PEFT's format:
 * a `"lora"` training run's final/ or checkpoints, or an adapter trained with PEFT) -> one plain checkpoint
 * directory with W + (alpha/r)·B·A folded into the weights, written atomically (native/src/model/merge.h).
 * Tested by MergeCommandTest.
 */
package ai.seqmatch.cli;

import ai.seqmatch.model.CausalLM;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "merge", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Merge a LoRA adapter into its base: writes a plain checkpoint directory (config.json + "
        + "model.safetensors in Hugging Face's names, with the base's tokenizer files) that every command and "
        + "transformers load without the adapter.",
        "The adapter's new token rows (<bkspc>) grow the base's vocabulary; its special-token ids go into "
            + "config.json."})
final class MergeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--base", required = true, paramLabel = "DIR",
      description = "Base checkpoint directory the adapter was trained on (ours or a Hugging Face one).")
  Path base;

  @Option(names = "--adapter", required = true, paramLabel = "DIR",
      description = "LoRA adapter directory (adapter_config.json + adapter_model.safetensors).")
  Path adapter;

  @Option(names = "--out", required = true, paramLabel = "DIR",
      description = "Output checkpoint directory (replaced atomically if it exists).")
  Path out;

  @Option(names = "--json", description = "Print one JSON object instead of text.")
  boolean json;

  @Override
  public Integer call() {
    long t0 = System.nanoTime();
    CausalLM.mergeAdapter(base, adapter, out);
    double seconds = (System.nanoTime() - t0) / 1e9;
    PrintWriter w = spec.commandLine().getOut();
    if (json) {
      ObjectNode j = new ObjectMapper().createObjectNode();
      j.put("base", base.toString()).put("adapter", adapter.toString()).put("out", out.toString())
          .put("seconds", seconds);
      w.println(j);
    } else {
      w.printf("merged %s + %s -> %s in %.1f s%n", base, adapter, out, seconds);
    }
    w.flush();
    return 0;
  }
}
