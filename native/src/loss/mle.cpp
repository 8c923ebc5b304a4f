// Behaviour cloning / MLE: see mle.h.
#include "loss/mle.h"

#include "loss/values.h"

namespace seqmatch {
namespace loss {

torch::Tensor bc_loss(const torch::Tensor& logits, const data::PackedBatch& p, int64_t bkspc_id,
                      int64_t* n_tokens_out) {
  auto x = allowed_logits(logits, p, bkspc_id);                    // (B, T, V)
  auto q = x.gather(2, p.target.unsqueeze(2)).squeeze(2);          // (B, T)
  auto log_pi = q - torch::logsumexp(x, -1);                       // (B, T)
  auto rows = (p.loss_row & p.expert & p.from_model.logical_not().unsqueeze(1)).to(x.dtype());
  auto n = rows.sum();
  if (n_tokens_out) *n_tokens_out = n.item<int64_t>();
  return -(log_pi * rows).sum() / n.clamp_min(1.0);
}

}  // namespace loss
}  // namespace seqmatch
