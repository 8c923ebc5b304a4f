/*
 * GPT-2 as an ONNX graph with KV-cache I/O, op for op the model of native/src/model/gpt2.cpp:
 * x = wte[ids] + wpe[pos]; per block x += attn(ln_1(x)), x += mlp(ln_2(x)); ln_f; logits = x·wteᵀ.
 * Attention adds where(mask, 0, lowest float) before the softmax, as attention_bias() does natively, so
 * a row with no visible key is uniform, not NaN. Legend: B batch, T new positions, P past, S = P + T,
 * H heads, D head_dim, C = H·D, V vocab.
 */
package ai.seqmatch.onnx;

import static ai.seqmatch.onnx.GraphBuilder.BOOL;
import static ai.seqmatch.onnx.GraphBuilder.FLOAT;
import static ai.seqmatch.onnx.GraphBuilder.INT64;
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
    this.C = ckpt.nEmbd;
    this.H = ckpt.nHead;
    this.D = ckpt.headDim();
  }

  static void build(SourceCheckpoint ckpt, GraphBuilder g) throws IOException {
    new Gpt2OnnxGraph(ckpt, g).build();
  }

  private void build() throws IOException {
    g.input("input_ids", INT64, "batch", "seq");
    g.input("position_ids", INT64, "batch", "seq");
    g.input("attention_mask", BOOL, "batch", "seq", "total");
    for (long i = 0; i < ckpt.nLayer; i++) {
      g.input("past_key_" + i, FLOAT, "batch", H, "past", D);
      g.input("past_value_" + i, FLOAT, "batch", H, "past", D);
    }
    g.output("logits", FLOAT, "batch", "seq", ckpt.vocabSize);

    String wte = g.weight("wte.weight", ckpt.tensor("wte.weight", ckpt.vocabSize, C), true, ckpt.vocabSize, C);
    String wpe = g.weight("wpe.weight", ckpt.tensor("wpe.weight", ckpt.nPositions, C), true, ckpt.nPositions, C);
    String tok = g.op("Gather", "tok_emb", List.of(wte, "input_ids"), attr("axis", 0L));  // (B, T, C)
    String pos = g.op("Gather", "pos_emb", List.of(wpe, "position_ids"), attr("axis", 0L)); // (B, T, C)
    String x = g.op("Add", "h_in", List.of(tok, pos));                                       // (B, T, C)

    String zero = g.scalarFloat("zero", 0f);
    String lowest = g.scalarFloat("lowest", -Float.MAX_VALUE);
    String bias = g.op("Where", "attn_bias_bts", List.of("attention_mask", zero, lowest)); // (B, T, S)
    bias = g.op("Unsqueeze", "attn_bias", List.of(bias, g.constLongs("axis_1", 1)));      // (B, 1, T, S)
    g.constLongs("shape_bthd", 0, 0, H, D);
    g.constLongs("shape_btc", 0, 0, C);
    g.constLongs("split_qkv", C, C, C);
    g.scalarFloat("attn_scale", (float) (1.0 / Math.sqrt(D)));
    g.scalarFloat("half", 0.5f);
    g.scalarFloat("one", 1f);
    g.scalarFloat("gelu_c", (float) Math.sqrt(2.0 / Math.PI));
    g.scalarFloat("gelu_a", 0.044715f);

    for (long i = 0; i < ckpt.nLayer; i++) {
      x = block(i, x);
      g.output("present_key_" + i, FLOAT, "batch", H, "total", D);
      g.output("present_value_" + i, FLOAT, "batch", H, "total", D);
    }
    x = layerNorm("ln_f", x);                                                                  // (B, T, C)
    // The final hidden state as an output too (text features for MAUVE, OrtModel.lastHiddenStates); a
    // caller that only asks for logits gets the same graph run, since logits need it anyway.
    x = g.op("Identity", OrtModel.HIDDEN_OUTPUT, List.of(x));                                  // (B, T, C)
    g.output(OrtModel.HIDDEN_OUTPUT, FLOAT, "batch", "seq", C);
    // logits = x·wteᵀ via Gemm(transB) on (B·T, C): no transposed copy of wte.
    String flat = g.op("Reshape", "h_flat", List.of(x, g.constLongs("shape_flat", -1, C)));   // (B·T, C)
    String lg = g.op("Gemm", "logits_flat", List.of(flat, wte), attr("transB", 1L));           // (B·T, V)
    String bt = g.op("Shape", "shape_bt", List.of("input_ids"));                               // [B, T]
    String btv = g.op("Concat", "shape_btv", List.of(bt, g.constLongs("vocab", ckpt.vocabSize)), attr("axis", 0L));
    g.op("Reshape", "logits", List.of(lg, btv));                                               // (B, T, V)
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
    k = g.op("Concat", "present_key_" + i, List.of("past_key_" + i, k), attr("axis", 2L));       // (B, H, S, D)
    v = g.op("Concat", "present_value_" + i, List.of("past_value_" + i, v), attr("axis", 2L));   // (B, H, S, D)
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
        attr("epsilon", (float) ckpt.layerNormEpsilon));
  }
}
