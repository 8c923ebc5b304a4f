/*
 * Reference NLL: the formula on hand-made logits, windows that predict every token once, documents cut at
 * <eos>, and the native trainer's validation loss (a SequenceMatch run on chunks joining two documents)
 * equal to evaluateExamples on the same checkpoint and data.
 */
package ai.seqmatch.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.Device;
import ai.seqmatch.data.Example;
import ai.seqmatch.data.SmtokReader;
import ai.seqmatch.data.SmtokWriter;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.model.ModelConfig;
import ai.seqmatch.train.FinishResult;
import ai.seqmatch.train.TrainConfig;
import ai.seqmatch.train.Trainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelPerplexityTest {
  @Test
  void nllLeavesBackspaceOut() {
    float[] logits = {0f, (float) Math.log(3), 100f}; // id 2 is <bkspc>: p = (1/4, 3/4) over ids 0, 1
    assertEquals(Math.log(4), ModelPerplexity.nll(logits, 0, 3, 2, 0), 1e-6);
    assertEquals(Math.log(4.0 / 3), ModelPerplexity.nll(logits, 0, 3, 2, 1), 1e-6);
    assertEquals(Math.log(1 + 3 + Math.exp(100)) - 0.0, ModelPerplexity.nll(logits, 0, 3, -1, 0), 1e-4);
  }

  @Test
  void shortDocumentMatchesOneForwardAndLongOnesAreWindowed() {
    ModelConfig config = ModelConfig.builder(16).optNPositions(8).optNEmbd(16).optNLayer(1).optNHead(2)
        .optEosTokenId(13).optPadTokenId(14).optBkspcTokenId(15).build();
    try (CausalLM model = CausalLM.create(config, 2, Device.cpu())) {
      long[] doc = {1, 2, 3, 4, 5};
      long[] ids = {13, 1, 2, 3, 4, 5};
      float[] logits = model.forward(ids, 1, ids.length);
      double expected = 0;
      for (int t = 0; t < 5; t++) {
        expected += ModelPerplexity.nll(logits, t * 16, 16, 15, ids[t + 1]);
      }
      ModelPerplexity.Result r = ModelPerplexity.evaluate(model, List.of(doc), 1000);
      assertEquals(5, r.tokens());
      assertEquals(expected, r.nllSum(), 1e-4);
      assertEquals(Math.exp(expected / 5), r.perplexity(), 1e-3);

      long[] longDoc = new long[40]; // windows of 8 overlapping by 1: 40 tokens predicted in 6 forwards
      for (int i = 0; i < longDoc.length; i++) {
        longDoc[i] = i % 13;
      }
      assertEquals(40, ModelPerplexity.evaluate(model, List.of(longDoc), 1000).tokens());
      assertEquals(17, ModelPerplexity.evaluate(model, List.of(longDoc, doc), 17).tokens());
      // The prefix of a capped run is the same computation as the uncapped one.
      assertEquals(ModelPerplexity.evaluate(model, List.of(doc), 1000).nllSum(),
          ModelPerplexity.evaluate(model, List.of(doc, longDoc), 5).nllSum(), 1e-9);
    }
  }

  @Test
  void documentsAreCutAtEos() {
    ModelConfig noBos = ModelConfig.builder(18).optEosTokenId(16).optBkspcTokenId(17).build();
    List<Example> docs = ModelPerplexity.documents(List.of(
        new Example(new long[] {1}, new long[] {2, 16, 3, 4, 16, 5}), // a chunk: 3 documents
        new Example(new long[] {16, 7}, new long[] {8, 16}), // <eos> in the prompt is context
        new Example(new long[] {3}, new long[] {4, 5})), noBos); // no <eos>: unchanged
    assertEquals(List.of(new Example(new long[] {1}, new long[] {2, 16}),
        new Example(new long[] {16}, new long[] {3, 4, 16}), new Example(new long[] {16}, new long[] {5}),
        new Example(new long[] {16, 7}, new long[] {8, 16}), new Example(new long[] {3}, new long[] {4, 5})), docs);
    ModelConfig bos = ModelConfig.builder(18).optBosTokenId(15).optEosTokenId(16).optBkspcTokenId(17).build();
    List<Example> withBos = ModelPerplexity.documents(
        List.of(new Example(new long[] {15}, new long[] {2, 16, 3, 16})), bos); // nothing after the last <eos>
    assertEquals(2, withBos.size());
    assertArrayEquals(new long[] {15, 3, 16}, withBos.get(1).tokens());
  }

  /** A start digit d, then d+1, ... (mod 16), then <eos> (16): learnable in a few steps. */
  private static long[] counting(int d, int len) {
    long[] out = new long[len + 1];
    for (int k = 0; k < len; k++) {
      out[k] = (d + k) % 16;
    }
    out[len] = 16;
    return out;
  }

  @Test
  void examplesMatchTheNativeTrainersValidationLoss(@TempDir Path tmp) {
    List<Example> train = new ArrayList<>();
    for (int i = 0; i < 48; i++) {
      long[] t = counting((i * 5) % 16, 6 + i % 5);
      train.add(new Example(new long[] {t[0]}, java.util.Arrays.copyOfRange(t, 1, t.length)));
    }
    List<Example> validation = new ArrayList<>(); // chunks joining a document and the start of the next
    for (int i = 0; i < 6; i++) {
      long[] a = counting((i * 3 + 1) % 16, 5 + i % 3);
      long[] b = counting((i * 7) % 16, 8);
      long[] chunk = new long[a.length + 4];
      System.arraycopy(a, 0, chunk, 0, a.length);
      System.arraycopy(b, 0, chunk, a.length, 4);
      validation.add(new Example(new long[] {chunk[0]}, java.util.Arrays.copyOfRange(chunk, 1, chunk.length)));
    }
    SmtokWriter.write(tmp.resolve("train.smtok"), train);
    SmtokWriter.write(tmp.resolve("val.smtok"), validation);
    String json = """
        {"model": {"vocab_size": 18, "n_positions": 32, "n_embd": 32, "n_layer": 2, "n_head": 2,
                   "eos_token_id": 16, "bkspc_token_id": 17},
         "data": {"train": "%s", "validation": "%s"},
         "objective": {"type": "sequence_match", "warmup_bc_steps": 3},
         "noise": {"eta": 0.1},
         "replay": {"sample_every": 2, "rollouts": 4, "model_rows": 2, "max_new_tokens": 10},
         "optim": {"lr": 3e-3, "warmup_steps": 2},
         "max_steps": 6, "batch_size": 6, "eval_every": 0, "eval_batches": 8, "checkpoint_every": 0,
         "out_dir": "%s", "seed": 5}
        """.formatted(tmp.resolve("train.smtok"), tmp.resolve("val.smtok"), tmp.resolve("run"));
    FinishResult finished;
    try (Trainer trainer = Trainer.create(TrainConfig.parse(json, "test"))) {
      while (!trainer.finished()) {
        trainer.step();
      }
      finished = trainer.finish();
    }
    try (CausalLM model = CausalLM.load(finished.finalModel(), Device.cpu())) {
      List<Example> data = SmtokReader.read(tmp.resolve("val.smtok"));
      ModelPerplexity.Result r = ModelPerplexity.evaluateExamples(model, data, 8 * 6);
      assertEquals(6 * 2, ModelPerplexity.documents(data, model.config()).size());
      System.out.printf("[val] native trainer %.9f, Java evaluateExamples %.9f (%d tokens)%n",
          finished.eval().valLoss(), r.meanNll(), r.tokens());
      assertEquals(finished.eval().valLoss(), r.meanNll(), 1e-5);
      // <bkspc> holds probability mass after SequenceMatch training: normalising over it would differ.
      double withBkspc = 0;
      long n = 0;
      for (Example d : ModelPerplexity.documents(data, model.config())) {
        long[] ids = d.tokens();
        float[] logits = model.forward(ids, 1, ids.length);
        for (int t = 0; t + 1 < ids.length; t++, n++) {
          withBkspc += ModelPerplexity.nll(logits, t * 18, 18, -1, ids[t + 1]);
        }
      }
      assertEquals(r.tokens(), n);
      assertTrue(Math.abs(withBkspc / n - r.meanNll()) > 1e-3, withBkspc / n + " vs " + r.meanNll());
    }
  }
}
