/* `seqmatch inspect CHECKPOINT`: architecture, size and special tokens of a checkpoint directory. */
package ai.seqmatch.cli;

import ai.seqmatch.Device;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.model.ModelConfig;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "inspect", mixinStandardHelpOptions = true,
    description = "Describe a checkpoint directory (config.json + model.safetensors; ours or Hugging Face GPT-2).")
final class InspectCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "CHECKPOINT", description = "Checkpoint directory.")
  Path checkpoint;

  @Option(names = "--device", defaultValue = "cpu", description = "Device to load on: cpu, cuda, cuda:N (default: ${DEFAULT-VALUE}).")
  String device;

  @Option(names = "--json", description = "Print one JSON object instead of text.")
  boolean json;

  @Override
  public Integer call() {
    try (CausalLM model = CausalLM.load(checkpoint, Device.of(device))) {
      ModelConfig c = model.config();
      ObjectNode node = new ObjectMapper().createObjectNode();
      node.put("checkpoint", checkpoint.toAbsolutePath().toString());
      node.put("architecture", c.family().modelType());
      node.put("parameters", model.numParameters());
      node.put("vocab_size", c.vocabSize());
      node.put("n_positions", c.nPositions());
      node.put("n_embd", c.nEmbd());
      node.put("n_layer", c.nLayer());
      node.put("n_head", c.nHead());
      if (c.family().isLlamaLike()) { // the Llama family's own shape (HF names)
        node.put("num_key_value_heads", c.nKvHeads()).put("head_dim", c.headDim())
            .put("intermediate_size", c.intermediateSize()).put("rope_theta", c.ropeTheta())
            .put("rope_scaling", c.ropeScaling() == null ? "none" : c.ropeScaling().type())
            .put("tie_word_embeddings", c.tieWordEmbeddings());
      }
      ObjectNode special = node.putObject("special_tokens");
      putToken(special, "bos", c.bosTokenId());
      putToken(special, "eos", c.eosTokenId());
      putToken(special, "pad", c.padTokenId());
      putToken(special, "bkspc", c.bkspcTokenId());
      node.put("device", model.device().toString());
      print(node);
    }
    return 0;
  }

  private static void putToken(ObjectNode node, String name, long id) {
    if (id == ModelConfig.NO_TOKEN) {
      node.putNull(name);
    } else {
      node.put(name, id);
    }
  }

  private void print(ObjectNode node) {
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(node);
    } else {
      node.properties().forEach(e -> {
        String value = e.getValue().isObject() ? e.getValue().toString() : e.getValue().asText();
        out.println(e.getKey() + ": " + value);
      });
    }
    out.flush();
  }
}
