// Behaviour cloning / maximum likelihood on packed trajectories: −mean log π(a_{t+1}|s_t)
// over expert data rows, with π the softmax over the allowed actions (<bkspc> excluded while
// nothing is generated). On plain data this is ordinary MLE; on noise-augmented data it is
// the paper's BC baseline (noise tokens are not targets, the <bkspc> after them is).
// The validation NLL is token-only instead: −log p(y|s) with p the softmax over the vocabulary
// WITHOUT <bkspc>, i.e. the probability of y given that the policy appends a token. Normalising
// over vocab ∪ {<bkspc>} would charge BC and SequenceMatch models for the mass they put on
// deleting, so their numbers could not be compared with MLE's; Java's ModelPerplexity computes
// the same quantity. Test: ctest -R test_loss, test_train
#pragma once

#include <torch/torch.h>

#include "data/pack.h"
#include "loss/head.h"
#include "loss/normalisers.h"

namespace seqmatch {
namespace loss {

// Returns the scalar loss; n_tokens_out (optional) receives the number of target rows.
// head: the LM head's outputs for policy_query(p, bkspc_id) (head.h).
// totals: the denominator (normalisers.h, expert_rows); null = this batch's own.
torch::Tensor bc_loss(const HeadOutput& head, const data::PackedBatch& p, int64_t* n_tokens_out = nullptr,
                      const Normalisers* totals = nullptr);
// The same from full logits (B, T, V).
torch::Tensor bc_loss(const torch::Tensor& logits, const data::PackedBatch& p, int64_t bkspc_id,
                      int64_t* n_tokens_out = nullptr, const Normalisers* totals = nullptr);

struct TokenNll {
  double sum = 0;      // Σ −log p(y|s) in nats, accumulated in float64
  int64_t tokens = 0;  // rows counted: expert data rows whose next action is a token (not <bkspc>)
};

// Token-only NLL over the batch (see above); no gradient is needed, so call it under NoGradGuard.
// head: the LM head's outputs for token_query(p, bkspc_id) (head.h).
TokenNll token_nll(const HeadOutput& head, const data::PackedBatch& p, int64_t bkspc_id);
// The same from full logits (B, T, V).
TokenNll token_nll(const torch::Tensor& logits, const data::PackedBatch& p, int64_t bkspc_id);

}  // namespace loss
}  // namespace seqmatch
