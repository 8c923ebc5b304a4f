/*
 * The Llama family (llama, qwen2) as an ONNX graph with the KV-cache I/O of DecoderIo, op for op
 * transformers' LlamaForCausalLM / Qwen2ForCausalLM in eager float32:
 * x = embed_tokens[ids]; per layer x += o_proj(attn(rope(q), rope(k), v)) on input_layernorm(x),
 * x += down_proj(silu(gate_proj(h))·up_proj(h)) on h = post_attention_layernorm(x); norm; lm_head.
 * RoPE is computed from position_ids inside the graph (cos/sin of position·inv_freq, inv_freq a
 * constant from RopeScaling, llama3/linear scaling included), so backspace packing and the KV-cache
 * rollback keep working from explicit positions. The cache holds n_kv_heads heads; grouped-query
 * attention repeats them inside the graph by broadcasting: queries are viewed as (B, Hkv, G, T, D)
 * against keys (B, Hkv, 1, S, D), so query head h = kv·G + g reads kv head h / G, as repeat_kv does.
 * Legend: B batch, T new positions, S past + T, H heads, Hkv kv heads, G = H / Hkv, D head_dim,
 * C hidden, I intermediate, V vocab.
 */
package ai.seqmatch.onnx;

import static ai.seqmatch.onnx.GraphBuilder.FLOAT;
import static ai.seqmatch.onnx.GraphBuilder.attr;
import static ai.seqmatch.onnx.GraphBuilder.attrInts;

import ai.seqmatch.model.ModelConfig;
import ai.seqmatch.model.RopeScaling;
import java.io.IOException;
import java.util.List;

final class LlamaOnnxGraph {
  private final SourceCheckpoint ckpt;
  private final ModelConfig m;
  private final GraphBuilder g;
  private final long C;
  private final long H;
  private final long Hkv;
  private final long D;

  private LlamaOnnxGraph(SourceCheckpoint ckpt, GraphBuilder g) {
    this.ckpt = ckpt;
    this.m = ckpt.model;
    this.g = g;
    this.C = m.nEmbd();
    this.H = m.nHead();
    this.Hkv = m.nKvHeads();
    this.D = m.headDim();
  }

  static void build(SourceCheckpoint ckpt, GraphBuilder g) throws IOException {
    new LlamaOnnxGraph(ckpt, g).build();
  }

  /** Weights the graph stores: embeddings, (untied) lm_head, projections, norms and biases. */
  static long parameters(ModelConfig m) {
    long c = m.nEmbd();
    long q = m.nHead() * m.headDim();
    long kv = m.nKvHeads() * m.headDim();
    long perLayer = c * q + 2 * c * kv + q * c + 3 * c * m.intermediateSize() + 2 * c
        + (m.qkvBias() ? q + 2 * kv : 0) + (m.oBias() ? c : 0);
    return m.vocabSize() * c * (m.tieWordEmbeddings() ? 1 : 2) + m.nLayer() * perLayer + c;
  }

  private void build() throws IOException {
    long V = m.vocabSize();
    DecoderIo.declare(g, m.nLayer(), Hkv, D, V);
    String embed = g.weight("model.embed_tokens.weight", ckpt.tensor("model.embed_tokens.weight", V, C), true, V, C);
    String x = g.op("Gather", "tok_emb", List.of(embed, "input_ids"), attr("axis", 0L));          // (B, T, C)

    String bias = DecoderIo.attentionBias(g);                                                     // (B, 1, T, S)
    g.op("Unsqueeze", "attn_bias_g", List.of(bias, g.constLongs("axis_2", 2)));                   // (B, 1, 1, T, S)
    rope();
    g.constLongs("shape_bthd", 0, 0, H, D);
    g.constLongs("shape_btkd", 0, 0, Hkv, D);
    g.constLongs("shape_bkgtd", 0, Hkv, H / Hkv, -1, D);
    g.constLongs("shape_bhtd", 0, H, -1, D);
    g.constLongs("shape_btq", 0, 0, H * D);
    g.constLongs("split_half", D / 2, D / 2);
    g.scalarFloat("attn_scale", (float) (1.0 / Math.sqrt(D)));
    g.scalarFloat("rms_eps", (float) m.layerNormEpsilon());

    for (long i = 0; i < m.nLayer(); i++) {
      x = layer(i, x);
    }
    x = rmsNorm("model.norm", x);                                                                 // (B, T, C)
    String head = m.tieWordEmbeddings() ? embed
        : g.weight("lm_head.weight", ckpt.tensor("lm_head.weight", V, C), true, V, C);
    DecoderIo.logits(g, x, head, C, V);                                                           // (B, T, V)
  }

  /** cos/sin of position·inv_freq, both halves alike (HF's cat(freqs, freqs)): rope_cos, rope_sin (B, 1, T, D). */
  private void rope() {
    double[] inv = RopeScaling.invFreq(D, m.ropeTheta(), m.ropeScaling());
    float[] invF = new float[inv.length];
    for (int i = 0; i < inv.length; i++) {
      invF[i] = (float) inv[i];
    }
    String invFreq = g.constFloat("rope_inv_freq", invF);                                         // (D/2)
    String pos = g.op("Cast", "rope_pos", List.of("position_ids"), attr("to", (long) FLOAT));    // (B, T)
    pos = g.op("Unsqueeze", "rope_pos_1", List.of(pos, g.constLongs("axis_last", 2)));            // (B, T, 1)
    String freqs = g.op("Mul", "rope_freqs", List.of(pos, invFreq));                              // (B, T, D/2)
    String emb = g.op("Concat", "rope_emb", List.of(freqs, freqs), attr("axis", -1L));            // (B, T, D)
    String cos = g.op("Cos", "rope_cos_btd", List.of(emb));
    String sin = g.op("Sin", "rope_sin_btd", List.of(emb));
    g.op("Unsqueeze", "rope_cos", List.of(cos, "axis_1"));                                        // (B, 1, T, D)
    g.op("Unsqueeze", "rope_sin", List.of(sin, "axis_1"));                                        // (B, 1, T, D)
  }

  private String layer(long i, String x) throws IOException {
    String p = "model.layers." + i + ".";
    String a = attention(i, p + "self_attn.", rmsNorm(p + "input_layernorm", x));                 // (B, T, C)
    x = g.op("Add", p + "res_attn", List.of(x, a));                                               // (B, T, C)
    String f = mlp(p + "mlp.", rmsNorm(p + "post_attention_layernorm", x));                       // (B, T, C)
    return g.op("Add", p + "res_mlp", List.of(x, f));                                             // (B, T, C)
  }

  private String attention(long i, String p, String x) throws IOException {
    String q = linear(p + "q_proj", x, C, H * D, m.qkvBias());                                    // (B, T, H·D)
    String k = linear(p + "k_proj", x, C, Hkv * D, m.qkvBias());                                  // (B, T, Hkv·D)
    String v = linear(p + "v_proj", x, C, Hkv * D, m.qkvBias());                                  // (B, T, Hkv·D)
    q = rotate(p + "q", heads(q, p + "q", "shape_bthd"));                                         // (B, H, T, D)
    k = rotate(p + "k", heads(k, p + "k", "shape_btkd"));                                         // (B, Hkv, T, D)
    v = heads(v, p + "v", "shape_btkd");                                                          // (B, Hkv, T, D)
    String[] kv = DecoderIo.appendCache(g, i, k, v, Hkv, D);                                      // 2 × (B, Hkv, S, D)
    String qg = g.op("Reshape", p + "q_groups", List.of(q, "shape_bkgtd"));                       // (B, Hkv, G, T, D)
    String kg = g.op("Unsqueeze", p + "k_groups", List.of(kv[0], "axis_2"));                      // (B, Hkv, 1, S, D)
    String vg = g.op("Unsqueeze", p + "v_groups", List.of(kv[1], "axis_2"));                      // (B, Hkv, 1, S, D)
    String kt = g.op("Transpose", p + "k_t", List.of(kg), attrInts("perm", 0, 1, 2, 4, 3));       // (B, Hkv, 1, D, S)
    String att = g.op("MatMul", p + "qk", List.of(qg, kt));                                       // (B, Hkv, G, T, S)
    att = g.op("Mul", p + "qk_scaled", List.of(att, "attn_scale"));
    att = g.op("Add", p + "qk_masked", List.of(att, "attn_bias_g"));
    att = g.op("Softmax", p + "att", List.of(att), attr("axis", -1L));                            // (B, Hkv, G, T, S)
    String y = g.op("MatMul", p + "y_groups", List.of(att, vg));                                  // (B, Hkv, G, T, D)
    y = g.op("Reshape", p + "y_bhtd", List.of(y, "shape_bhtd"));                                  // (B, H, T, D)
    y = g.op("Transpose", p + "y_bthd", List.of(y), attrInts("perm", 0, 2, 1, 3));                // (B, T, H, D)
    y = g.op("Reshape", p + "y", List.of(y, "shape_btq"));                                        // (B, T, H·D)
    return linear(p + "o_proj", y, H * D, C, m.oBias());                                          // (B, T, C)
  }

  /** (B, T, n·D) -> (B, n, T, D). */
  private String heads(String x, String name, String shape) {
    String r = g.op("Reshape", name + "_btnd", List.of(x, shape));
    return g.op("Transpose", name + "_heads", List.of(r), attrInts("perm", 0, 2, 1, 3));
  }

  /** x·cos + rotate_half(x)·sin, rotate_half(x) = cat(−x[D/2:], x[:D/2]). */
  private String rotate(String name, String x) {
    List<String> halves = List.of(name + "_x1", name + "_x2");
    g.opMulti("Split", List.of(x, "split_half"), halves, attr("axis", -1L));
    String neg = g.op("Neg", name + "_neg_x2", List.of(halves.get(1)));
    String rot = g.op("Concat", name + "_rot_half", List.of(neg, halves.get(0)), attr("axis", -1L));
    String a = g.op("Mul", name + "_cos", List.of(x, "rope_cos"));
    String b = g.op("Mul", name + "_sin", List.of(rot, "rope_sin"));
    return g.op("Add", name + "_rope", List.of(a, b));
  }

  private String mlp(String p, String x) throws IOException {
    String gate = linear(p + "gate_proj", x, C, m.intermediateSize(), false);                     // (B, T, I)
    String up = linear(p + "up_proj", x, C, m.intermediateSize(), false);                         // (B, T, I)
    String sig = g.op("Sigmoid", p + "gate_sigmoid", List.of(gate));
    String silu = g.op("Mul", p + "gate_silu", List.of(gate, sig));
    String h = g.op("Mul", p + "swiglu", List.of(silu, up));                                      // (B, T, I)
    return linear(p + "down_proj", h, m.intermediateSize(), C, false);                            // (B, T, C)
  }

  /** nn.Linear: y = x·Wᵀ + b with W (out, in), stored transposed (in, out) so MatMul needs no Transpose. */
  private String linear(String name, String x, long in, long out, boolean bias) throws IOException {
    float[] w = ckpt.tensor(name + ".weight", out, in);
    float[] wt = new float[w.length];
    for (int o = 0; o < out; o++) {
      for (int j = 0; j < in; j++) {
        wt[(int) (j * out + o)] = w[(int) (o * in + j)];
      }
    }
    String wn = g.weight(name + ".weight_t", wt, true, in, out);
    String y = g.op("MatMul", name + ".mm", List.of(x, wn));
    if (!bias) {
      return y;
    }
    String b = g.weight(name + ".bias", ckpt.tensor(name + ".bias", out), false, out);
    return g.op("Add", name + ".out", List.of(y, b));
  }

  /** weight · x / sqrt(mean(x²) + eps) over the last axis, as LlamaRMSNorm in float32. */
  private String rmsNorm(String name, String x) throws IOException {
    String w = g.weight(name + ".weight", ckpt.tensor(name + ".weight", C), false, C);
    String sq = g.op("Mul", name + ".sq", List.of(x, x));
    String ms = g.op("ReduceMean", name + ".ms", List.of(sq), attrInts("axes", -1), attr("keepdims", 1L));
    String rms = g.op("Sqrt", name + ".rms", List.of(g.op("Add", name + ".ms_eps", List.of(ms, "rms_eps"))));
    String n = g.op("Div", name + ".normed", List.of(x, rms));
    return g.op("Mul", name + ".out", List.of(n, w));
  }
}
