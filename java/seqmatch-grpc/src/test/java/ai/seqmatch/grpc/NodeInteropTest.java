/*
 * Interop with a non-Java client: src/test/node/client.js (@grpc/grpc-js + @grpc/proto-loader, versions
 * pinned by package-lock.json) streams from this server over loopback Netty, applies the events and
 * compares with the finished event and a unary call. `npm ci` installs into target/node-interop (once;
 * reused while the lock file is unchanged). Skipped, visibly, only when node or npm is not installed.
 */
package ai.seqmatch.grpc;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.Device;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.serving.TestModels;
import ai.seqmatch.serving.TestProcesses;
import ai.seqmatch.serving.engine.RecomputeStepEngine;
import ai.seqmatch.tokenize.ByteTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class NodeInteropTest {
  @Test
  void nodeClientStreamsAndAppliesBackspaces() throws Exception {
    boolean tools = TestProcesses.onPath("node") && TestProcesses.onPath("npm");
    if (!tools) {
      System.err.println("SKIPPED NodeInteropTest: node and npm are not both installed");
    }
    Assumptions.assumeTrue(tools, "node/npm not installed");
    Path src = Path.of(System.getProperty("seqmatch.grpc.node.dir", "src/test/node"));
    Path work = TestModels.workDir().resolveSibling("node-interop");
    Files.createDirectories(work);
    boolean fresh = !Files.isDirectory(work.resolve("node_modules")) || !Files.exists(work.resolve("package-lock.json"))
        || Files.mismatch(src.resolve("package-lock.json"), work.resolve("package-lock.json")) != -1;
    for (String f : List.of("package.json", "package-lock.json", "client.js")) {
      Files.copy(src.resolve(f), work.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }
    if (fresh) {
      TestProcesses.run(work, 300, "npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund");
    }
    Path protoRoot = src.resolve("../../../../../proto").normalize();
    try (CausalLM model = CausalLM.load(TestModels.checkpoint(), Device.cpu());
        RecomputeStepEngine engine = new RecomputeStepEngine(model)) {
      SeqMatchServer server = SeqMatchServer.builder(NettyTransport.server("127.0.0.1", 0, null, null, 10), engine)
          .optTokenizer(new ByteTokenizer()).build().start();
      try {
        String out = TestProcesses.run(work, 120, "node", "client.js", "127.0.0.1", Integer.toString(server.port()),
            protoRoot.toString());
        System.out.println("node interop: " + out.strip());
        assertTrue(out.contains("\"ok\":true"), out);
        assertTrue(!out.contains("\"backspaces\":0,"), "expected backspace events: " + out);
      } finally {
        server.shutdown(Duration.ofSeconds(2));
      }
    }
  }
}
