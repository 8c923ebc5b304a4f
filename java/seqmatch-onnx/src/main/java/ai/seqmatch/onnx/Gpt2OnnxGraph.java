/*
 * GPT-2 as an ONNX graph with KV-cache I/O, op for op the model of native/src/model/gpt2.cpp:
 * x = wte[ids] + wpe[pos]; per block x += attn(ln_1(x)), x += mlp(ln_2(x)); ln_f; logits = x·wteᵀ.
 * Inputs, outputs, the mask bias and the logits head are DecoderIo's, shared with LlamaOnnxGraph.
 * Legend: B batch, T new positions, P past, S = P + T, H heads, D head_dim, C = H·D, V vocab.
 */
package ai.seqmatch.onnx;

import static ai.seqmatch.onnx.GraphBuilder.attr;
import static ai.seqmatch.onnx.GraphBuilder.attrInts;

import java.io.IOException;
import java.util.List;

final class Gpt2OnnxGraph {
  /** LayerNormalization is in the default domain from opset 17; ORT 1.23 runs opsets up to 23. */
  static final int OPSET = 17;

  private final SourceCheckpoint ckpt;
  private final GraphBuilder g;
  private final long C;
  private final long H;
  private final long D;

  private Gpt2OnnxGraph(SourceCheckpoint ckpt, GraphBuilder g) {
    this.ckpt = ckpt;
    this.g = g;
    this.C = ckpt.model.nEmbd();
    this.H = ckpt.model.nHead();
    this.D = ckpt.model.headDim();
  }

  static void build(SourceCheckpoint ckpt, GraphBuilder g) throws IOException {
    new Gpt2OnnxGraph(ckpt, g).build();
  }

  private void build() throws IOException {
    DecoderIo.declare(g, ckpt.model.nLayer(), H, D, ckpt.model.vocabSize());
    long V = ckpt.model.vocabSize();
    long N = ckpt.model.nPositions();
    String wte = g.weight("wte.weight", ckpt.tensor("wte.weight", V, C), true, V, C);
    String wpe = g.weight("wpe.weight", ckpt.tensor("wpe.weight", N, C), true, N, C);
    String tok = g.op("Gather", "tok_emb", List.of(wte, "input_ids"), attr("axis", 0L));  // (B, T, C)
    String pos = g.op("Gather", "pos_emb", List.of(wpe, "position_ids"), attr("axis", 0L)); // (B, T, C)
    String x = g.op("Add", "h_in", List.of(tok, pos));                                       // (B, T, C)

    DecoderIo.attentionBias(g);                                                             // (B, 1, T, S)
    g.constLongs("shape_bthd", 0, 0, H, D);
    g.constLongs("shape_btc", 0, 0, C);
    g.constLongs("split_qkv", C, C, C);
    g.scalarFloat("attn_scale", (float) (1.0 / Math.sqrt(D)));
    g.scalarFloat("half", 0.5f);
    g.scalarFloat("one", 1f);
    g.scalarFloat("gelu_c", (float) Math.sqrt(2.0 / Math.PI));
    g.scalarFloat("gelu_a", 0.044715f);

    for (long i = 0; i < ckpt.model.nLayer(); i++) {
      x = block(i, x);
    }
    x = layerNorm("ln_f", x);                                                                  // (B, T, C)
    DecoderIo.logits(g, x, wte, C, V);                                                         // (B, T, V)
  }

  private String block(long i, String x) throws IOException {
    String p = "h." + i + ".";
    String a = attention(i, layerNorm(p + "ln_1", x));               // (B, T, C)
    x = g.op("Add", p + "res_attn", List.of(x, a));                  // (B, T, C)
    String m = mlp(p, layerNorm(p + "ln_2", x));                     // (B, T, C)
    return g.op("Add", p + "res_mlp", List.of(x, m));                // (B, T, C)
  }

  private String attention(long i, String x) throws IOException {
    String p = "h." + i + ".attn.";
    String qkv = linear(p + "c_attn", x, C, 3 * C);                                              // (B, T, 3C)
    List<String> parts = List.of(p + "q_btc", p + "k_btc", p + "v_btc");
    g.opMulti("Split", List.of(qkv, "split_qkv"), parts, attr("axis", -1L));                     // 3 × (B, T, C)
    String q = heads(parts.get(0), p + "q");                                                     // (B, H, T, D)
    String k = heads(parts.get(1), p + "k_new");                                                 // (B, H, T, D)
    String v = heads(parts.get(2), p + "v_new");                                                 // (B, H, T, D)
    String[] kv = DecoderIo.appendCache(g, i, k, v, H, D);                                       // 2 × (B, H, S, D)
    k = kv[0];
    v = kv[1];
    String kt = g.op("Transpose", p + "k_t", List.of(k), attrInts("perm", 0, 1, 3, 2));          // (B, H, D, S)
    String att = g.op("MatMul", p + "qk", List.of(q, kt));                                       // (B, H, T, S)
    att = g.op("Mul", p + "qk_scaled", List.of(att, "attn_scale"));                              // (B, H, T, S)
    att = g.op("Add", p + "qk_masked", List.of(att, "attn_bias"));                               // (B, H, T, S)
    att = g.op("Softmax", p + "att", List.of(att), attr("axis", -1L));                           // (B, H, T, S)
    String y = g.op("MatMul", p + "y_bhtd", List.of(att, v));                                    // (B, H, T, D)
    y = g.op("Transpose", p + "y_bthd", List.of(y), attrInts("perm", 0, 2, 1, 3));               // (B, T, H, D)
    y = g.op("Reshape", p + "y", List.of(y, "shape_btc"));                                       // (B, T, C)
    return linear(p + "c_proj", y, C, C);                                                        // (B, T, C)
  }

  /** (B, T, C) -> (B, H, T, D). */
  private String heads(String x, String name) {
    String r = g.op("Reshape", name + "_bthd", List.of(x, "shape_bthd"));              // (B, T, H, D)
    return g.op("Transpose", name, List.of(r), attrInts("perm", 0, 2, 1, 3));          // (B, H, T, D)
  }

  private String mlp(String p, String x) throws IOException {
    String h = linear(p + "mlp.c_fc", x, C, 4 * C);                                    // (B, T, 4C)
    // GPT-2's "gelu_new": 0.5·h·(1 + tanh(√(2/π)·(h + 0.044715·h³))); Gelu is only opset 20+.
    String h3 = g.op("Mul", p + "mlp.h2", List.of(h, h));
    h3 = g.op("Mul", p + "mlp.h3", List.of(h3, h));
    String inner = g.op("Mul", p + "mlp.ah3", List.of(h3, "gelu_a"));
    inner = g.op("Add", p + "mlp.inner", List.of(h, inner));
    inner = g.op("Mul", p + "mlp.inner_c", List.of(inner, "gelu_c"));
    String t = g.op("Tanh", p + "mlp.tanh", List.of(inner));
    t = g.op("Add", p + "mlp.tanh1", List.of(t, "one"));
    String hh = g.op("Mul", p + "mlp.half_h", List.of(h, "half"));
    String gelu = g.op("Mul", p + "mlp.gelu", List.of(hh, t));                         // (B, T, 4C)
    return linear(p + "mlp.c_proj", gelu, 4 * C, C);                                   // (B, T, C)
  }

  /** HF Conv1D: y = x·W + b with W (in, out). */
  private String linear(String name, String x, long in, long out) throws IOException {
    String w = g.weight(name + ".weight", ckpt.tensor(name + ".weight", in, out), true, in, out);
    String b = g.weight(name + ".bias", ckpt.tensor(name + ".bias", out), false, out);
    String y = g.op("MatMul", name + ".mm", List.of(x, w));
    return g.op("Add", name + ".out", List.of(y, b));
  }

  private String layerNorm(String name, String x) throws IOException {
    String w = g.weight(name + ".weight", ckpt.tensor(name + ".weight", C), false, C);
    String b = g.weight(name + ".bias", ckpt.tensor(name + ".bias", C), false, C);
    return g.op("LayerNormalization", name + ".out", List.of(x, w, b), attr("axis", -1L),
        attr("epsilon", (float) ckpt.model.layerNormEpsilon()));
  }
}
