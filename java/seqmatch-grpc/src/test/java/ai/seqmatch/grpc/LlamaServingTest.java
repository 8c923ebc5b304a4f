/*
 * Serving an exported Llama over gRPC (Netty on 127.0.0.1:0, OrtStepEngine, the Llama-style
 * SentencePiece tokenizer of seqmatch-core's test resources): the llama-tiny-a fixture with that
 * tokenizer is exported and served twice, as is and with a declared <bkspc> (the fixture's 4th greedy
 * token, so greedy decoding deletes). ModelInfo reports the Llama shape; greedy generation returns
 * transformers' 20 greedy tokens; with backspace, the streamed events applied in order reproduce the
 * final ids and text, and the text is what they add after the prompt (decodeContinuation).
 */
package ai.seqmatch.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.grpc.v1.GenerateEvent;
import ai.seqmatch.grpc.v1.GenerateRequest;
import ai.seqmatch.grpc.v1.GenerateResponse;
import ai.seqmatch.grpc.v1.GenerationGrpc;
import ai.seqmatch.grpc.v1.GetModelInfoRequest;
import ai.seqmatch.grpc.v1.ModelInfo;
import ai.seqmatch.grpc.v1.TokenIds;
import ai.seqmatch.io.SafeTensors;
import ai.seqmatch.serving.ServerLimits;
import ai.seqmatch.serving.TestModels;
import ai.seqmatch.serving.engine.OrtStepEngine;
import ai.seqmatch.tokenize.Tokenizer;
import ai.seqmatch.tokenize.Tokenizers;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlamaServingTest {
  @TempDir static Path dir;
  private static SafeTensors expected;
  private static long bkspc;
  private static Tokenizer tokenizer;
  private static Served plain;
  private static Served withBackspace;

  /** One export served on its own port. */
  private record Served(OrtStepEngine engine, SeqMatchServer server, ManagedChannel channel) {
    static Served start(Path onnx, Tokenizer tokenizer) {
      OrtStepEngine engine = OrtStepEngine.load(onnx, 1);
      SeqMatchServer server = SeqMatchServer.builder(NettyTransport.server("127.0.0.1", 0, null, null, 100), engine)
          .optTokenizer(tokenizer).optLimits(ServerLimits.defaults()).optDrainTimeout(Duration.ofSeconds(5))
          .build().start();
      return new Served(engine, server, NettyTransport.channel("127.0.0.1:" + server.port(), null));
    }

    GenerationGrpc.GenerationBlockingStub stub() {
      return GenerationGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    void stop() throws InterruptedException {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdown(Duration.ofSeconds(2));
      engine.close();
    }
  }

  @BeforeAll
  static void exportAndServe() throws Exception {
    expected = SafeTensors.open(TestModels.CORE_RESOURCES.resolve("fixtures/llama-tiny-a/expected.safetensors"));
    bkspc = expected.longs("greedy_ids")[3];
    Path onnx = TestModels.llamaExport(dir, "plain", -1);
    tokenizer = Tokenizers.load(onnx).orElseThrow(); // the export carries the tokenizer files
    plain = Served.start(onnx, tokenizer);
    withBackspace = Served.start(TestModels.llamaExport(dir, "bk", bkspc), tokenizer);
  }

  @AfterAll
  static void stop() throws Exception {
    plain.stop();
    withBackspace.stop();
    tokenizer.close();
  }

  private static GenerateRequest.Builder prompt(int row) throws Exception {
    int p = (int) expected.info("prompt_ids").shape()[1];
    long[] ids = Arrays.copyOfRange(expected.longs("prompt_ids"), row * p, (row + 1) * p);
    return GenerateRequest.newBuilder().setTokenIds(TokenIds.newBuilder()
        .addAllIds(Arrays.stream(ids).boxed().toList()));
  }

  @Test
  void modelInfoHasTheLlamaShape() {
    ModelInfo info = withBackspace.stub().getModelInfo(GetModelInfoRequest.getDefaultInstance());
    assertEquals("onnxruntime", info.getEngine());
    assertEquals(512, info.getVocabSize());
    assertEquals(4, info.getNHead());
    assertEquals(64, info.getNEmbd());
    assertEquals(bkspc, info.getBkspcTokenId());
    assertTrue(info.getHasTokenizer());
  }

  @Test
  void greedyIsTransformersGreedy() throws Exception {
    long[] want = expected.longs("greedy_ids");
    int n = (int) expected.info("greedy_ids").shape()[1];
    for (int row = 0; row < 2; row++) {
      GenerateResponse r = plain.stub().generate(prompt(row).setGreedy(true).setMaxNewTokens(n).build());
      long[] got = r.getGeneratedIdsList().stream().mapToLong(Long::longValue).toArray();
      assertEquals(Arrays.toString(Arrays.copyOfRange(want, row * n, (row + 1) * n)), Arrays.toString(got));
      long[] promptIds = r.getPromptIdsList().stream().mapToLong(Long::longValue).toArray();
      assertEquals(tokenizer.decodeContinuation(promptIds, got, true), r.getText());
    }
  }

  @Test
  void streamedBackspacesReplayToTheFinalState() throws Exception {
    Iterator<GenerateEvent> events = withBackspace.stub().generateStream(prompt(0).setGreedy(true).setMaxNewTokens(20).build());
    List<Long> ids = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    int backspaces = 0;
    GenerateEvent last = null;
    while (events.hasNext()) {
      last = events.next();
      if (last.hasToken()) {
        ids.add(last.getToken().getId());
        text.setLength(text.length() - last.getToken().getDeleteChars());
        text.append(last.getToken().getText());
      } else if (last.hasBackspace()) {
        backspaces += last.getBackspace().getCount();
        for (int k = 0; k < last.getBackspace().getCount(); k++) {
          ids.remove(ids.size() - 1);
        }
        text.setLength(text.length() - last.getBackspace().getDeleteChars());
      }
    }
    assertTrue(last != null && last.hasFinished());
    text.append(last.getFinished().getTail());
    assertTrue(backspaces > 0, "the declared <bkspc> was never streamed");
    assertEquals(last.getFinished().getGeneratedIdsList(), ids);
    assertEquals(last.getFinished().getText(), text.toString());
    long[] promptIds = prompt(0).getTokenIds().getIdsList().stream().mapToLong(Long::longValue).toArray();
    assertEquals(tokenizer.decodeContinuation(promptIds, ids.stream().mapToLong(Long::longValue).toArray(), true),
        text.toString());
  }
}
