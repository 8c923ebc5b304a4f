// Backspace-aware batched decoder over a KV cache (DESIGN.md §3 "Generation").
// Each step takes one action per unfinished row over vocab ∪ {<bkspc>}:
//   token a  -> append a, feed it (one new cache entry);
//   <bkspc>  -> pop the row's last generated token and roll its cache back: drop the last two
//               entries and re-feed the new last token, whose output is the logits of the
//               shortened state. Other rows are unaffected.
// <bkspc> is masked while a row has generated nothing, so the prompt is never deleted.
// No-retype rule (greedy, or SamplingOptions::no_retype): a token deleted at a state is banned at
// that state, per row and per depth (generated tokens); appending a token at depth d clears the
// sets deeper than d (they belonged to another prefix). The rule yields where it would leave no
// allowed action (a tiny vocabulary tried out): the row then goes on and may end at max_actions.
// Rows
// finish independently (<eos>, a stop id, max_new_tokens in the final state, max_actions, the
// model's context) and finished rows leave the batch, so they stop costing compute.
// Driven step by step (streaming, cancellation) or to completion (sampler.h).
// Test: ctest -R test_sampler
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "model/config.h"
#include "model/decoder_lm.h"
#include "sample/sampling.h"

namespace seqmatch {
namespace sample {

enum class FinishReason { kNone, kEos, kStop, kMaxNewTokens, kMaxActions, kLength, kCancelled };
const char* finish_reason_name(FinishReason r);

// One action as it happens. For a backspace, `token` is the token that was deleted.
struct ActionEvent {
  int64_t row;
  int64_t action;
  bool backspace;
  int64_t token;
  float logprob;  // NaN unless SamplingOptions::logprobs
};

struct Trajectory {
  std::vector<int64_t> tokens;   // final state: prompt + generated
  int64_t prompt_length = 0;
  std::vector<int64_t> actions;  // every action taken, <bkspc> included
  std::vector<float> logprobs;   // per action, when requested
  int64_t backspaces = 0;
  FinishReason finish = FinishReason::kNone;
};

class BatchDecoder {
 public:
  // Validates inputs and runs the prefill. The model must outlive the decoder.
  BatchDecoder(model::DecoderLM model, const model::SpecialTokens& tokens,
               const std::vector<std::vector<int64_t>>& prompts, const SamplingOptions& options);

  // One action for every unfinished row; appends this step's events. Returns !done().
  bool step(std::vector<ActionEvent>* events = nullptr);
  // Finishes row `row` (index into the prompts) with reason kCancelled before its next action.
  void cancel(int64_t row);
  bool done() const { return active_.empty(); }
  const std::vector<Trajectory>& trajectories() const { return out_; }
  // Prompt index of each unfinished row, and the logits (B_active, V) of their current states
  // before masking: what the next step samples from. A view of a buffer the next step()
  // overwrites (copy it to keep it).
  const std::vector<int64_t>& active() const { return active_; }
  const torch::Tensor& logits() const { return logits_; }

 private:
  // The LM head for h (B_active, C) into logits_buf_: one (B, V) buffer for the whole decode, so
  // a step allocates nothing of the vocabulary's size (no heap growth and trim, no fresh pages).
  void head(const torch::Tensor& h);
  // Masks logits_ in place (it is recomputed after every action): <bkspc> where illegal, no-retype.
  torch::Tensor& masked_logits();  // (B_active, V)
  void mask_prompt_backspace(torch::Tensor& x);  // <bkspc> where nothing is generated yet
  void mask_banned(torch::Tensor& x);            // the no-retype rule
  // Per prompt, per depth (generated tokens in the state): tokens deleted at that state.
  std::vector<std::vector<std::vector<int64_t>>> banned_;
  void finish(size_t slot, FinishReason reason);

  model::DecoderLM model_;
  model::SpecialTokens tokens_;
  SamplingOptions options_;
  std::vector<Trajectory> out_;
  std::vector<int64_t> active_;         // prompt index of each live cache row
  std::vector<bool> finished_slot_;     // per live cache row, set during a step
  std::unique_ptr<model::KVCache> cache_;
  torch::Tensor logits_;                // (B_active, V) for the current states: a view of logits_buf_
  torch::Tensor logits_buf_;            // (B, V), allocated once at the prefill
  int64_t max_length_ = 0;              // state length cap from n_positions
};

}  // namespace sample
}  // namespace seqmatch
