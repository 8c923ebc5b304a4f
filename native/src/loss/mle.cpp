// Behaviour cloning / MLE and the token-only validation NLL: see mle.h.
#include "loss/mle.h"

#include <algorithm>
#include <limits>

#include "loss/values.h"

namespace seqmatch {
namespace loss {

namespace {

// Expert data rows (not replay-buffer rows): the rows whose next action is a target.
torch::Tensor expert_data_rows(const data::PackedBatch& p) {
  return p.loss_row & p.expert & p.from_model.logical_not().unsqueeze(1);  // (B, T) bool
}

}  // namespace

torch::Tensor bc_loss(const torch::Tensor& logits, const data::PackedBatch& p, int64_t bkspc_id,
                      int64_t* n_tokens_out, const Normalisers* totals) {
  auto x = allowed_logits(logits, p, bkspc_id);                    // (B, T, V)
  auto q = x.gather(2, p.target.unsqueeze(2)).squeeze(2);          // (B, T)
  auto log_pi = q - torch::logsumexp(x, -1);                       // (B, T)
  auto rows = expert_data_rows(p).to(x.dtype());
  auto n = rows.sum();
  if (n_tokens_out) *n_tokens_out = n.item<int64_t>();
  if (totals) return -(log_pi * rows).sum() / std::max(totals->expert_rows, 1.0);
  return -(log_pi * rows).sum() / n.clamp_min(1.0);
}

TokenNll token_nll(const torch::Tensor& logits, const data::PackedBatch& p, int64_t bkspc_id) {
  // float32 at least (bf16 logits under autocast); float64 stays for reference tests.
  auto x = logits.scalar_type() == torch::kDouble ? logits : logits.to(torch::kFloat);  // (B, T, V)
  auto rows = expert_data_rows(p);                                                       // (B, T)
  if (bkspc_id >= 0) {
    x = x.index_fill(2, torch::tensor({bkspc_id}, x.options().dtype(torch::kLong)),
                     -std::numeric_limits<double>::infinity());  // a copy: the vocabulary alone
    rows = rows & (p.target != bkspc_id);
  }
  auto nll = torch::logsumexp(x, -1) - x.gather(2, p.target.unsqueeze(2)).squeeze(2);  // (B, T)
  // where, not a product: a <bkspc> target has nll = +inf, and inf·0 would be NaN.
  auto kept = torch::where(rows, nll, torch::zeros_like(nll));
  TokenNll o;
  o.sum = kept.to(torch::kDouble).sum().item<double>();
  o.tokens = rows.sum().item<int64_t>();
  return o;
}

}  // namespace loss
}  // namespace seqmatch
