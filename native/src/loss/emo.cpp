// EMO loss: see emo.h.
#include "loss/emo.h"

#include <algorithm>

#include "loss/values.h"
#include "util/autocast.h"

namespace seqmatch {
namespace loss {

EmoTerms emo_loss(const torch::Tensor& logits, const data::PackedBatch& p, int64_t bkspc_id,
                  const torch::Tensor& e_hat, const Normalisers* totals) {
  util::AutocastOff fp32;                          // DEMD in fp32 (see emo.h)
  auto x = allowed_logits(logits, p, bkspc_id);   // (B, T, V) float32 at least
  auto log_q = torch::log_softmax(x, -1);         // (B, T, V)
  auto rows = (p.loss_row & p.expert & p.from_model.logical_not().unsqueeze(1)).to(x.dtype());
  auto n = totals ? torch::tensor(std::max(totals->expert_rows, 1.0), x.options()) : rows.sum().clamp_min(1.0);
  auto nll = -log_q.gather(2, p.target.unsqueeze(2)).squeeze(2);           // (B, T) MLE_t
  auto e = e_hat.to(x.dtype());
  auto q_e = torch::matmul(log_q.exp(), e);                               // (B, T, C)
  auto e_y = torch::nn::functional::embedding(p.target, e);               // (B, T, C)
  auto demd = 1.0 - (q_e * e_y).sum(-1);                                  // (B, T) DEMD_t
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

}  // namespace loss
}  // namespace seqmatch
