// EMO loss: see emo.h.
#include "loss/emo.h"

#include <algorithm>

#include "util/autocast.h"
#include "util/check.h"

namespace seqmatch {
namespace loss {

EmoTerms emo_loss(const HeadOutput& head, const data::PackedBatch& p, const torch::Tensor& e_hat,
                  const Normalisers* totals) {
  SM_CHECK(head.qe.defined(), "emo: the head outputs lack qe (query the head with e_hat)");
  util::AutocastOff fp32;  // DEMD in fp32 (see emo.h); the head's outputs are fp32 at least
  auto rows = (p.loss_row & p.expert & p.from_model.logical_not().unsqueeze(1)).to(head.v.dtype());
  auto n = totals ? torch::tensor(std::max(totals->expert_rows, 1.0), head.v.options())
                  : rows.sum().clamp_min(1.0);
  auto nll = head.v - head.q;                                              // (B, T) MLE_t
  auto e = e_hat.to(head.qe.dtype());
  auto e_y = torch::nn::functional::embedding(p.target, e);               // (B, T, C)
  auto demd = 1.0 - (head.qe * e_y).sum(-1);                              // (B, T) DEMD_t
  // Per-token stop-gradient ratio; the floor keeps a token the model already predicts exactly
  // (DEMD_t → 0, MLE_t → 0) finite, as the authors' + 1e-10 does.
  auto ratio = (nll / demd.clamp_min(1e-10)).detach();                    // (B, T)
  auto per_token = 0.5 * (nll + ratio * demd);                            // (B, T)
  EmoTerms o;
  o.loss = (per_token * rows).sum() / n;
  o.mle = (nll * rows).sum() / n;
  o.demd = (demd * rows).sum() / n;
  return o;
}

EmoTerms emo_loss(const torch::Tensor& logits, const data::PackedBatch& p, int64_t bkspc_id,
                  const torch::Tensor& e_hat, const Normalisers* totals) {
  return emo_loss(head_output(logits, policy_query(p, bkspc_id, e_hat)), p, e_hat, totals);
}

}  // namespace loss
}  // namespace seqmatch
