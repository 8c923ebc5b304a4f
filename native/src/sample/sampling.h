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
  // No-retype rule (DESIGN.md §3 "Generation"): a token deleted by <bkspc> at a state is banned at
  // that state. Always applied when greedy (else argmax retypes it and loops); off by default for
  // sampling so that samples stay the policy's (replay-buffer rollouts never set it).
  bool no_retype = false;
  uint64_t seed = 0;            // row b uses seed + b unless row_seeds are given
  std::vector<uint64_t> row_seeds;
  std::vector<int64_t> stop_token_ids;  // besides <eos>: finish a row after emitting one
  bool logprobs = false;        // record log π(a|s) of each chosen action
};

// Sampling temperatures are clamped to this range before dividing the logits: outside it float32
// logits / T overflow or underflow to ±inf and the probabilities turn NaN. At 1e-6 sampling is
// already argmax up to ties; at 1e6 it is uniform over the allowed actions to float precision.
constexpr double kMinTemperature = 1e-6, kMaxTemperature = 1e6;

// Validates options; throws with the offending field named.
void validate(const SamplingOptions& o);

// Whether the no-retype rule applies under these options (greedy implies it).
inline bool no_retype(const SamplingOptions& o) { return o.greedy || o.no_retype; }

// Uniform in (0, 1) from (seed, counter): splitmix64, 53-bit mantissa, never 0 or 1.
double counter_uniform(uint64_t seed, uint64_t counter);

// Chooses one action per row from logits (B, V) already masked (-inf = not allowed).
// u: one uniform per row (ignored when greedy). Returns actions (B) int64 on the logits'
// device; if logprob_out is given, fills it with log π(a|s) under the distribution sampled.
// Total: a masked action is never chosen. A NaN or +inf logit, or a row with every action
// masked, throws "generate: row R: ..." naming row_ids[i] (the slot i when row_ids is empty).
torch::Tensor choose_actions(const torch::Tensor& logits, const SamplingOptions& o,
                             const std::vector<double>& u, torch::Tensor* logprob_out,
                             const std::vector<int64_t>& row_ids = {});

}  // namespace sample
}  // namespace seqmatch
