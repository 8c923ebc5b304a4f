// Behaviour cloning / maximum likelihood on packed trajectories: −mean log π(a_{t+1}|s_t)
// over expert data rows, with π the softmax over the allowed actions (<bkspc> excluded while
// nothing is generated). On plain data this is ordinary MLE; on noise-augmented data it is
// the paper's BC baseline (noise tokens are not targets, the <bkspc> after them is).
// Test: ctest -R test_loss
#pragma once

#include <torch/torch.h>

#include "data/pack.h"

namespace seqmatch {
namespace loss {

// Returns the scalar loss; n_tokens_out (optional) receives the number of target rows.
torch::Tensor bc_loss(const torch::Tensor& logits, const data::PackedBatch& p, int64_t bkspc_id,
                      int64_t* n_tokens_out = nullptr);

}  // namespace loss
}  // namespace seqmatch
