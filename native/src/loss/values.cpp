// Q, V and r from packed logits: see values.h.
#include "loss/values.h"

#include <limits>

namespace seqmatch {
namespace loss {

torch::Tensor allowed_logits(const torch::Tensor& logits, const data::PackedBatch& p,
                             int64_t bkspc_id) {
  // float32 at least (bf16 logits under autocast); float64 stays for reference tests.
  auto x = logits.scalar_type() == torch::kDouble ? logits : logits.to(torch::kFloat);  // (B, T, V)
  if (bkspc_id < 0) return x;
  auto col = x.select(2, bkspc_id);                                           // (B, T)
  auto masked = torch::where(p.bk_allowed, col,
                             torch::full_like(col, -std::numeric_limits<float>::infinity()));
  // A copy (not x itself) so autograd sees the mask: one (B, T, V), as log_softmax would cost.
  auto y = x.clone();                                              // (B, T, V)
  y.index_put_({torch::indexing::Ellipsis, bkspc_id}, masked);
  return y;
}

torch::Tensor weighted_mean(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& rows) {
  auto wr = w * rows.to(w.dtype());  // (B, T)
  auto total = wr.sum();
  return (wr * x).sum() / total.clamp_min(1e-12);
}

Values values(const torch::Tensor& allowed, const data::PackedBatch& p, double gamma,
              const torch::Tensor& v_absorb) {
  const auto T = allowed.size(1);
  Values o;
  o.q = allowed.gather(2, p.target.unsqueeze(2)).squeeze(2);  // (B, T)
  o.v = torch::logsumexp(allowed, -1);                        // (B, T)
  auto v_succ = torch::cat({o.v.narrow(1, 1, T - 1), torch::zeros_like(o.v.narrow(1, 0, 1))}, 1);
  auto v_end = v_absorb.defined() ? (gamma * v_absorb.to(v_succ.dtype())).expand_as(v_succ)
                                  : torch::zeros_like(v_succ);
  o.v_next = torch::where(p.terminal, v_end, gamma * v_succ);  // (B, T)
  o.r = o.q - o.v_next;                                                            // (B, T)
  o.w = torch::pow(gamma, p.step.to(allowed.dtype())) * p.loss_row.to(allowed.dtype());  // (B, T)
  return o;
}

}  // namespace loss
}  // namespace seqmatch
