/*
 * `seqmatch export`: a checkpoint (ours or a Hugging Face GPT-2 dir) -> an ONNX export directory
 * (model.onnx with KV-cache I/O, seqmatch-onnx.json, config.json, tokenizer), validated in ONNX Runtime.
 * Run it with `seqmatch generate --engine onnx --model OUT`. Tested by ExportCommandTest.
 */
package ai.seqmatch.cli;

import ai.seqmatch.model.CausalLM;
import ai.seqmatch.onnx.OnnxExporter;
import ai.seqmatch.onnx.OnnxModelInfo;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Export a checkpoint to ONNX (opset 17) with KV-cache inputs/outputs for ONNX Runtime.",
        "Inputs: input_ids, position_ids [batch, seq] int64; attention_mask [batch, seq, past+seq] bool; "
            + "past_key_i, past_value_i [batch, n_head, past, head_dim]. Outputs: logits [batch, seq, vocab]; "
            + "present_key_i, present_value_i [batch, n_head, past+seq, head_dim].",
        "Then: seqmatch generate --engine onnx --model OUT ..."})
final class ExportCommand implements Callable<Integer> {
  enum External { auto, always, never }

  @Spec CommandSpec spec;

  @Option(names = "--checkpoint", required = true, paramLabel = "DIR", description = "Checkpoint directory.")
  Path checkpoint;

  @Option(names = "--adapter", paramLabel = "DIR",
      description = "LoRA adapter directory (PEFT format) on the --checkpoint base: merged into a temporary "
          + "checkpoint (as seqmatch merge), which is what gets exported.")
  Path adapter;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory (created).")
  Path out;

  @Option(names = "--fp16", description = "Store the weight matrices as float16 (half the size; compute stays float32).")
  boolean fp16;

  @Option(names = "--external-data", defaultValue = "auto", paramLabel = "MODE",
      description = "Weights in model.onnx.data: auto (only past protobuf's 2 GiB), always, never (default: ${DEFAULT-VALUE}).")
  External external;

  @Option(names = "--no-validate", description = "Skip loading the export in ONNX Runtime afterwards.")
  boolean noValidate;

  @Option(names = "--json", description = "Print one JSON object instead of text.")
  boolean json;

  @Override
  public Integer call() throws IOException {
    long t0 = System.nanoTime();
    OnnxModelInfo info;
    if (adapter == null) {
      info = exportFrom(checkpoint);
    } else {
      // The exporter reads a plain checkpoint: merge into a private temporary one, removed afterwards.
      Path tmp = Files.createTempDirectory("seqmatch-export-merge");
      try {
        Path merged = tmp.resolve("merged");
        CausalLM.mergeAdapter(checkpoint, adapter, merged);
        info = exportFrom(merged);
      } finally {
        deleteTree(tmp);
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    long bytes = Files.size(out.resolve(info.modelFile()))
        + (info.externalData() == null ? 0 : Files.size(out.resolve(info.externalData())));
    PrintWriter w = spec.commandLine().getOut();
    if (json) {
      ObjectNode j = new ObjectMapper().createObjectNode();
      j.put("checkpoint", checkpoint.toString());
      j.put("adapter", adapter == null ? null : adapter.toString());
      j.put("out", out.toString());
      j.put("model_file", out.resolve(info.modelFile()).toString());
      j.put("external_data", info.externalData());
      j.put("dtype", info.dtype());
      j.put("opset", info.opset());
      j.put("bytes", bytes);
      j.put("n_layer", info.nLayer());
      j.put("model_type", info.modelType());
      j.put("n_head", info.nHead());
      j.put("n_kv_heads", info.nKvHeads());
      j.put("head_dim", info.headDim());
      j.put("vocab_size", info.vocabSize());
      j.put("n_positions", info.nPositions());
      j.put("eos_token_id", info.eosTokenId());
      j.put("bkspc_token_id", info.bkspcTokenId());
      j.put("validated", !noValidate);
      j.put("seconds", seconds);
      w.println(j);
    } else {
      w.printf("exported %s -> %s (%s, opset %d, %,d bytes%s) in %.1f s%s%n", checkpoint,
          out.resolve(info.modelFile()), info.dtype(), info.opset(), bytes,
          info.externalData() == null ? "" : ", weights in " + info.externalData(), seconds,
          noValidate ? "" : "; validated in ONNX Runtime");
      w.println("run it: seqmatch generate --engine onnx --model " + out + " --prompt-ids ...");
    }
    w.flush();
    return 0;
  }

  private OnnxModelInfo exportFrom(Path dir) {
    return OnnxExporter.builder(dir, out).optFp16(fp16)
        .optExternalData(OnnxExporter.ExternalData.valueOf(external.name().toUpperCase(Locale.ROOT)))
        .optValidate(!noValidate).build().export();
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
