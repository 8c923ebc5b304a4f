// Q, V and r from packed logits: see values.h.
#include "loss/values.h"

namespace seqmatch {
namespace loss {

torch::Tensor weighted_mean(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& rows) {
  auto wr = w * rows.to(w.dtype());  // (B, T)
  auto total = wr.sum();
  return (wr * x).sum() / total.clamp_min(1e-12);
}

Values values(const HeadOutput& head, const data::PackedBatch& p, double gamma,
              const torch::Tensor& v_absorb) {
  const auto T = head.v.size(1);
  Values o;
  o.q = head.q;  // (B, T)
  o.v = head.v;  // (B, T)
  auto v_succ = torch::cat({o.v.narrow(1, 1, T - 1), torch::zeros_like(o.v.narrow(1, 0, 1))}, 1);
  auto v_end = v_absorb.defined() ? (gamma * v_absorb.to(v_succ.dtype())).expand_as(v_succ)
                                  : torch::zeros_like(v_succ);
  o.v_next = torch::where(p.terminal, v_end, gamma * v_succ);  // (B, T)
  o.r = o.q - o.v_next;                                                            // (B, T)
  o.w = torch::pow(gamma, p.step.to(o.v.dtype())) * p.loss_row.to(o.v.dtype());  // (B, T)
  return o;
}

}  // namespace loss
}  // namespace seqmatch
