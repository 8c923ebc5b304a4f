// Behaviour cloning / MLE and the token-only validation NLL: see mle.h.
#include "loss/mle.h"

#include <algorithm>

namespace seqmatch {
namespace loss {

namespace {

// Expert data rows (not replay-buffer rows): the rows whose next action is a target.
torch::Tensor expert_data_rows(const data::PackedBatch& p) {
  return p.loss_row & p.expert & p.from_model.logical_not().unsqueeze(1);  // (B, T) bool
}

}  // namespace

torch::Tensor bc_loss(const HeadOutput& head, const data::PackedBatch& p, int64_t* n_tokens_out,
                      const Normalisers* totals) {
  auto log_pi = head.q - head.v;  // (B, T) log π(a_{t+1}|s_t)
  auto rows = expert_data_rows(p).to(log_pi.dtype());
  auto n = rows.sum();
  if (n_tokens_out) *n_tokens_out = n.item<int64_t>();
  if (totals) return -(log_pi * rows).sum() / std::max(totals->expert_rows, 1.0);
  return -(log_pi * rows).sum() / n.clamp_min(1.0);
}

torch::Tensor bc_loss(const torch::Tensor& logits, const data::PackedBatch& p, int64_t bkspc_id,
                      int64_t* n_tokens_out, const Normalisers* totals) {
  return bc_loss(head_output(logits, policy_query(p, bkspc_id)), p, n_tokens_out, totals);
}

TokenNll token_nll(const HeadOutput& head, const data::PackedBatch& p, int64_t bkspc_id) {
  auto rows = expert_data_rows(p);  // (B, T)
  if (bkspc_id >= 0) rows = rows & (p.target != bkspc_id);
  // V is over the vocabulary alone (token_query), so V − Q = −log p(y|s).
  auto nll = head.v - head.q;  // (B, T)
  // where, not a product: rows outside the query may hold anything (a <bkspc> target: +inf).
  auto kept = torch::where(rows, nll, torch::zeros_like(nll));
  TokenNll o;
  o.sum = kept.to(torch::kDouble).sum().item<double>();
  o.tokens = rows.sum().item<int64_t>();
  return o;
}

TokenNll token_nll(const torch::Tensor& logits, const data::PackedBatch& p, int64_t bkspc_id) {
  return token_nll(head_output(logits, token_query(p, bkspc_id)), p, bkspc_id);
}

}  // namespace loss
}  // namespace seqmatch
