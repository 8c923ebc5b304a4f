/*
 * OpenAI chat over HTTP on an exported Llama: the llama-tiny-a fixture with the Llama-style test
 * tokenizer is exported (the export keeps tokenizer_config.json, so its chat template and bos/eos
 * travel with it) and served from the export directory. A chat request is rendered with that template
 * ("<s>[INST] ... [/INST]", written out here by hand), and its greedy answer is what OrtGenerator
 * produces on the same prompt ids, decoded by the tokenizer.
 */
package ai.seqmatch.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.seqmatch.onnx.OrtGenerator;
import ai.seqmatch.onnx.OrtModel;
import ai.seqmatch.sample.GenerationResult;
import ai.seqmatch.sample.SamplingOptions;
import ai.seqmatch.serving.ServerLimits;
import ai.seqmatch.serving.ServingCore;
import ai.seqmatch.serving.TestModels;
import ai.seqmatch.serving.engine.OrtStepEngine;
import ai.seqmatch.tokenize.Tokenizer;
import ai.seqmatch.tokenize.Tokenizers;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlamaChatTest {
  @TempDir Path dir;

  @Test
  void chatUsesTheExportedTemplateAndMatchesOrtGreedy() throws Exception {
    Path onnx = TestModels.llamaExport(dir, "llama", -1);
    try (Tokenizer tokenizer = Tokenizers.load(onnx).orElseThrow()) {
      long[] prompt = tokenizer.encode("<s>[INST] the cat sat [/INST]"); // the template, rendered by hand
      assertEquals(1, prompt[0], "<s> is recognised as the special token");
      String want;
      try (OrtModel m = OrtModel.load(onnx); OrtGenerator g = new OrtGenerator(m)) {
        GenerationResult r = g.generate(prompt, SamplingOptions.greedy(8));
        want = tokenizer.decodeContinuation(prompt, r.generated(), true);
      }
      OrtStepEngine engine = OrtStepEngine.load(onnx, 1);
      ServingCore core = ServingCore.create(engine, tokenizer, ServerLimits.defaults());
      HttpServer server = HttpServer.builder(core).optModelName("llama").optModelDir(onnx)
          .optDrainTimeout(Duration.ofSeconds(5)).build().start();
      try {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
            + "/v1/chat/completions")).timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"llama\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"the cat sat\"}],\"max_tokens\":8,\"temperature\":0}")).build();
        HttpResponse<String> resp = client.send(req, HttpResponse.BodyHandlers.ofString());
        assertEquals(200, resp.statusCode(), resp.body());
        JsonNode j = new ObjectMapper().readTree(resp.body());
        assertEquals(prompt.length, j.get("usage").get("prompt_tokens").asInt());
        assertFalse(want.isEmpty());
        assertEquals(want, j.get("choices").get(0).get("message").get("content").asText());
      } finally {
        server.shutdown(Duration.ofSeconds(5));
        core.close();
        engine.close();
      }
    }
  }
}
