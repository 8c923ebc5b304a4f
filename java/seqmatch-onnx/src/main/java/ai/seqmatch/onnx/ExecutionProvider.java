/* Where ONNX Runtime runs the graph. CUDA needs the onnxruntime_gpu jar (Maven profile gpu) and a GPU. */
package ai.seqmatch.onnx;

import ai.seqmatch.InvalidInputException;
import java.util.Locale;

/** An ONNX Runtime execution provider. */
public enum ExecutionProvider {
  CPU,
  CUDA;

  /** "cpu" or "cuda" (case-insensitive), as the CLI's --ep takes it. */
  public static ExecutionProvider parse(String name) {
    for (ExecutionProvider ep : values()) {
      if (ep.wireName().equalsIgnoreCase(name.strip())) {
        return ep;
      }
    }
    throw new InvalidInputException("execution provider: unknown (got \"" + name + "\", expected cpu or cuda)");
  }

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
