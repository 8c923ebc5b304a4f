/*
 * The graph interface every exported decoder shares (OnnxModelInfo writes it down): inputs input_ids,
 * position_ids, attention_mask and past_key_i / past_value_i shaped [batch, n_kv_heads, past, head_dim];
 * outputs logits and present_key_i / present_value_i = concat(past, new). One copy for GPT-2 and the
 * Llama family, so OrtModel, OrtGenerator and the server never ask which family they run.
 */
package ai.seqmatch.onnx;

import static ai.seqmatch.onnx.GraphBuilder.BOOL;
import static ai.seqmatch.onnx.GraphBuilder.FLOAT;
import static ai.seqmatch.onnx.GraphBuilder.INT64;
import static ai.seqmatch.onnx.GraphBuilder.attr;

import java.util.List;

final class DecoderIo {
  private DecoderIo() {}

  /** Declares the inputs and the logits output; KV heads {@code hKv}, head size {@code d}. */
  static void declare(GraphBuilder g, long nLayer, long hKv, long d, long vocab) {
    g.input("input_ids", INT64, "batch", "seq");
    g.input("position_ids", INT64, "batch", "seq");
    g.input("attention_mask", BOOL, "batch", "seq", "total");
    for (long i = 0; i < nLayer; i++) {
      g.input("past_key_" + i, FLOAT, "batch", hKv, "past", d);
      g.input("past_value_" + i, FLOAT, "batch", hKv, "past", d);
    }
    g.output("logits", FLOAT, "batch", "seq", vocab);
  }

  /**
   * Appends this step's keys and values (B, hKv, T, D) to layer i's past and declares the presents;
   * returns {present_key, present_value}, (B, hKv, S, D).
   */
  static String[] appendCache(GraphBuilder g, long i, String k, String v, long hKv, long d) {
    String key = g.op("Concat", "present_key_" + i, List.of("past_key_" + i, k), attr("axis", 2L));
    String value = g.op("Concat", "present_value_" + i, List.of("past_value_" + i, v), attr("axis", 2L));
    g.output("present_key_" + i, FLOAT, "batch", hKv, "total", d);
    g.output("present_value_" + i, FLOAT, "batch", hKv, "total", d);
    return new String[] {key, value};
  }

  /**
   * where(mask, 0, lowest float) as (B, 1, T, S), added to the scores before the softmax as the native
   * attention_bias() does, so a row with no visible key is uniform, not NaN.
   */
  static String attentionBias(GraphBuilder g) {
    String zero = g.scalarFloat("zero", 0f);
    String lowest = g.scalarFloat("lowest", -Float.MAX_VALUE);
    String bias = g.op("Where", "attn_bias_bts", List.of("attention_mask", zero, lowest)); // (B, T, S)
    return g.op("Unsqueeze", "attn_bias", List.of(bias, g.constLongs("axis_1", 1)));      // (B, 1, T, S)
  }

  /** logits = x·Wᵀ for W (V, C), via Gemm(transB) on (B·T, C): no transposed copy of W. */
  static void logits(GraphBuilder g, String x, String w, long c, long vocab) {
    // The final hidden state as an output too (text features for MAUVE, OrtModel.lastHiddenStates); a
    // caller that only asks for logits gets the same graph run, since logits need it anyway.
    x = g.op("Identity", OrtModel.HIDDEN_OUTPUT, List.of(x));                                  // (B, T, C)
    g.output(OrtModel.HIDDEN_OUTPUT, GraphBuilder.FLOAT, "batch", "seq", c);
    String flat = g.op("Reshape", "h_flat", List.of(x, g.constLongs("shape_flat", -1, c)));    // (B·T, C)
    String lg = g.op("Gemm", "logits_flat", List.of(flat, w), attr("transB", 1L));              // (B·T, V)
    String bt = g.op("Shape", "shape_bt", List.of("input_ids"));                                // [B, T]
    String btv = g.op("Concat", "shape_btv", List.of(bt, g.constLongs("vocab", vocab)), attr("axis", 0L));
    g.op("Reshape", "logits", List.of(lg, btv));                                                // (B, T, V)
  }
}
