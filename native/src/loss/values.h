// Q, V and r of SequenceMatch (DESIGN.md §3; Cundy & Ermon 2024, §3-4) from the LM head's
// per-row outputs (head.h: Q and V come from there, chunked or from full logits).
//   Q(s_t, a) = ℓ_t[a]                 the logits are the Q-function
//   V(s_t)    = logsumexp of allowed ℓ_t  (<bkspc> is not allowed while nothing is generated)
//   V'_t      = γ·V(s_{t+1}), or γ·V_abs when a_{t+1} = <eos>  (terminal; truncation bootstraps)
//               V_abs is 0 (DESIGN.md §3) unless the trainer learns it (objective.terminal_value =
//               learned; see trainer.h): then −γ·V_abs is a learned offset of the terminal reward
//               r = Q(s, <eos>) − γ·V_abs, not the value of any state the policy reaches
//   r_t       = Q(s_t, a_{t+1}) − V'_t  the implied reward
//   w_t       = γ^t on loss rows (t counts actions since the prompt, backspaces included)
// Test: ctest -R test_loss
// Legend: B trajectories, T packed rows, V vocabulary.
#pragma once

#include <torch/torch.h>

#include "data/pack.h"
#include "loss/head.h"

namespace seqmatch {
namespace loss {

struct Values {
  torch::Tensor q;       // (B, T) Q(s_t, a_{t+1})
  torch::Tensor v;       // (B, T) V(s_t)
  torch::Tensor v_next;  // (B, T) V'_t
  torch::Tensor r;       // (B, T) r_t
  torch::Tensor w;       // (B, T) γ^t on loss rows, 0 elsewhere
};

// head: policy_query(p, ...) outputs. v_absorb: a scalar tensor V_abs (the terminal-reward
// offset, may require grad), or undefined for 0.
Values values(const HeadOutput& head, const data::PackedBatch& p, double gamma,
              const torch::Tensor& v_absorb = {});

// Σ w·x / Σ w over the rows selected by `rows` (B, T) bool; 0 when none is selected.
torch::Tensor weighted_mean(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& rows);

}  // namespace loss
}  // namespace seqmatch
