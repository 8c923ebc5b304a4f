// EMO loss: see emo.h.
#include "loss/emo.h"

#include "loss/values.h"

namespace seqmatch {
namespace loss {

EmoTerms emo_loss(const torch::Tensor& logits, const data::PackedBatch& p, int64_t bkspc_id,
                  const torch::Tensor& e_hat) {
  auto x = allowed_logits(logits, p, bkspc_id);   // (B, T, V)
  auto log_q = torch::log_softmax(x, -1);         // (B, T, V)
  auto rows = (p.loss_row & p.expert & p.from_model.logical_not().unsqueeze(1)).to(torch::kFloat);
  auto n = rows.sum().clamp_min(1.0);
  auto nll = -log_q.gather(2, p.target.unsqueeze(2)).squeeze(2);           // (B, T)
  auto e = e_hat.to(x.dtype());
  auto q_e = torch::matmul(log_q.exp(), e);                               // (B, T, C)
  auto e_y = torch::nn::functional::embedding(p.target, e);               // (B, T, C)
  auto demd = 1.0 - (q_e * e_y).sum(-1);                                  // (B, T)
  EmoTerms o;
  o.mle = (nll * rows).sum() / n;
  o.demd = (demd * rows).sum() / n;
  o.loss = 0.5 * (o.mle + (o.mle / o.demd.clamp_min(1e-12)).detach() * o.demd);
  return o;
}

}  // namespace loss
}  // namespace seqmatch
