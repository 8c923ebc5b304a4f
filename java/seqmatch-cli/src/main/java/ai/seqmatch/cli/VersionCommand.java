/* `seqmatch version`: versions of SeqMatch, the native core and libtorch, and whether CUDA is usable. */
package ai.seqmatch.cli;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import ai.seqmatch.Engine;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "version", mixinStandardHelpOptions = true,
    description = "Print SeqMatch, libtorch, ONNX Runtime and Java versions and whether CUDA is usable.")
final class VersionCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--json", description = "Print one JSON object instead of text.")
  boolean json;

  /** The version Maven filtered into version.properties at build time. */
  static String seqmatchVersion() {
    try (InputStream in = VersionCommand.class.getResourceAsStream("version.properties")) {
      Properties p = new Properties();
      if (in != null) {
        p.load(in);
      }
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** ONNX Runtime's native version and whether its CUDA execution provider is in this build. */
  record OrtInfo(String version, boolean cudaProvider) {
    static OrtInfo read() {
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      return new OrtInfo(env.getVersion(), OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA));
    }
  }

  @Override
  public Integer call() throws IOException {
    Engine.RuntimeInfo info = Engine.runtimeInfo();
    OrtInfo ort = OrtInfo.read();
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      ObjectNode node = new ObjectMapper().createObjectNode();
      node.put("seqmatch", seqmatchVersion());
      node.put("libseqmatch", info.seqmatchVersion());
      node.put("libtorch", info.libtorchVersion());
      node.put("cuda_available", info.cudaAvailable());
      node.put("cuda_devices", info.cudaDevices());
      node.put("onnxruntime", ort.version());
      node.put("onnxruntime_cuda_provider", ort.cudaProvider());
      node.put("java", Runtime.version().toString());
      out.println(node);
    } else {
      out.println("seqmatch " + seqmatchVersion());
      out.println("libseqmatch " + info.seqmatchVersion());
      out.println("libtorch " + info.libtorchVersion());
      out.println("cuda: " + (info.cudaAvailable() ? "available (" + info.cudaDevices() + " devices)" : "not available"));
      out.println("onnxruntime " + ort.version() + " (CUDA execution provider " + (ort.cudaProvider() ? "built in" : "not in this build") + ")");
      out.println("java " + Runtime.version());
    }
    out.flush();
    return 0;
  }

  /** For `seqmatch --version`: Java-side only, so it works even when the native library does not load. */
  static final class Provider implements IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"seqmatch " + seqmatchVersion()};
    }
  }
}
