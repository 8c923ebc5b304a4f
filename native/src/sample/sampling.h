// Action selection for one decode step: temperature, top-k, top-p (nucleus), greedy, and a
// counter-based random source. Each row draws its uniform from (row seed, action index) via
// splitmix64 and picks by inverse CDF, so a row's output depends only on its own seed and
// inputs: the same seed gives the same text whether the row is decoded alone or in a batch,
// on any device, with no device RNG state. Test: ctest -R test_sampler
// Legend: B rows, V actions (vocabulary incl. <bkspc>).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace seqmatch {
namespace sample {

struct SamplingOptions {
  int64_t max_new_tokens = 64;  // cap on generated tokens in the final state (after deletions)
  int64_t max_actions = 0;      // cap on actions incl. <bkspc> per row; 0 = 4 × max_new_tokens
  double temperature = 1.0;
  int64_t top_k = 0;            // 0 = off
  double top_p = 1.0;           // 1 = off
  bool greedy = false;          // argmax; ignores temperature/top-k/top-p and seeds
  bool allow_backspace = true;
  uint64_t seed = 0;            // row b uses seed + b unless row_seeds are given
  std::vector<uint64_t> row_seeds;
  std::vector<int64_t> stop_token_ids;  // besides <eos>: finish a row after emitting one
  bool logprobs = false;        // record log π(a|s) of each chosen action
};

// Validates options; throws with the offending field named.
void validate(const SamplingOptions& o);

// Uniform in (0, 1) from (seed, counter): splitmix64, 53-bit mantissa, never 0 or 1.
double counter_uniform(uint64_t seed, uint64_t counter);

// Chooses one action per row from logits (B, V) already masked (-inf = not allowed).
// u: one uniform per row (ignored when greedy). Returns actions (B) int64 on the logits'
// device; if logprob_out is given, fills it with log π(a|s) under the distribution sampled.
torch::Tensor choose_actions(const torch::Tensor& logits, const SamplingOptions& o,
                             const std::vector<double>& u, torch::Tensor* logprob_out);

}  // namespace sample
}  // namespace seqmatch
