// The SequenceMatch loss (DESIGN.md §3; Cundy & Ermon 2024, Eq. 9 and App. C), with behaviour
// cloning (BC) on the same rows:
//   L_SM = −E_D[w·φ(r)] + ½(E_D[w·(V − V')] + E_M[w·(V − V')]) + c·½(E_D[w·r²] + E_M[w·r²])
//   L_BC = −mean over expert data rows of log π(a_{t+1}|s_t) = −mean(Q − V)
// E_D / E_M are weighted means over data / replay-buffer loss rows, each normalised by its own
// total weight (an empty set contributes 0). Injected noise actions are left out of the φ
// term and of BC (unless noise_as_expert), their states and the <bkspc> after them stay.
// Test: ctest -R test_loss
#pragma once

#include <torch/torch.h>

#include <string>

#include "data/pack.h"
#include "loss/normalisers.h"
#include "loss/values.h"

namespace seqmatch {
namespace loss {

enum class Divergence { kChi2Mixture, kChi2, kKL, kJS, kHellinger };
Divergence parse_divergence(const std::string& name);  // "chi2-mixture", "chi2", "kl", "js", "hellinger"
const char* divergence_name(Divergence d);

struct SequenceMatchOptions {
  TORCH_ARG(Divergence, divergence) = Divergence::kChi2Mixture;
  TORCH_ARG(double, gamma) = 0.998;
  TORCH_ARG(double, alpha) = 0.5;  // χ²-mixture: c = 1/(4α)
  TORCH_ARG(bool, noise_as_expert) = false;
};

// φ(r) of the divergence, and its c (the r² coefficient).
torch::Tensor phi(Divergence d, const torch::Tensor& r);
double r2_coefficient(Divergence d, double alpha);

struct LossTerms {
  torch::Tensor bc;       // scalar
  torch::Tensor sm;       // scalar: phi_term + v_term + r2_term
  torch::Tensor phi_term, v_term, r2_term;
  torch::Tensor mean_r, mean_v;  // diagnostics over data loss rows (detached)
  torch::Tensor terminal_q;      // mean Q(s, <eos>) over terminal loss rows, data and model (detached; NaN if none)
};

// head: the LM head's outputs for policy_query(p, bkspc_id) (head.h; the trainer computes them in
// chunks from the hidden states). v_absorb: V_abs, the learned terminal-reward offset (values.h;
// scalar, may require grad); undefined = 0.
// totals: the denominators of every mean (normalisers.h); null = this batch's own. Given the sums
// over all ranks, every returned term is this rank's share of the global batch's value.
LossTerms sequence_match_loss(const HeadOutput& head, const data::PackedBatch& p,
                              const SequenceMatchOptions& o, const torch::Tensor& v_absorb = {},
                              const Normalisers* totals = nullptr);
// The same from full logits (B, T, V).
LossTerms sequence_match_loss(const torch::Tensor& logits, const data::PackedBatch& p,
                              int64_t bkspc_id, const SequenceMatchOptions& o,
                              const torch::Tensor& v_absorb = {}, const Normalisers* totals = nullptr);

}  // namespace loss
}  // namespace seqmatch
