// Single-pass backspace packing (DESIGN.md §3): every state of a trajectory with <bkspc>
// actions is computed in ONE forward pass. Walk the actions with a stack of packed rows that
// forms the current state:
//   token a:  ids[t] = a; pos[t] = len(stack); push t
//   <bkspc>:  pop; prev = pop; ids[t] = ids[prev]; pos[t] = pos[prev]; push t
// and row t attends exactly the rows in the stack after step t. Row t's logits are then those
// of state s_t. Example "BOS The cat sat <bk> <bk> dog":
//   row action id  pos attends     state
//   3   sat    sat 3   {0,1,2,3}   BOS The cat sat
//   4   <bk>   cat 2   {0,1,4}     BOS The cat
//   5   <bk>   The 1   {0,5}       BOS The
//   6   dog    dog 2   {0,5,6}     BOS The dog
// Loss rows: state s_t for t >= prompt_length-1 that has a next action a_{t+1}.
// A trajectory ends at its <eos> (DESIGN.md §3): an action after a generated <eos> is an error,
// as is an id outside [0, vocab_size). Text chunks that join documents with <eos> are cut into
// one trajectory per document first (data::split_documents), so the V-term telescopes within
// each document and no value or context leaks from one document into the next.
// Test: ctest -R test_pack
// Legend: B trajectories, T packed rows (= actions, padded), V vocabulary.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace seqmatch {
namespace data {

// One trajectory: the prompt's tokens, then the actions taken (tokens and <bkspc>).
struct ActionTrace {
  std::vector<int64_t> actions;  // prompt first; <bkspc> never deletes the prompt
  int64_t prompt_length = 1;
  std::vector<uint8_t> noise;    // per action (optional): 1 = injected noise, not expert
  bool from_model = false;       // replay-buffer row (M) rather than data (D)
};

struct PackedBatch {
  torch::Tensor ids;         // (B, T) int64
  torch::Tensor pos;         // (B, T) int64
  torch::Tensor mask;        // (B, T, T) bool: row t may attend row j
  torch::Tensor target;      // (B, T) int64: a_{t+1} on loss rows, 0 elsewhere
  torch::Tensor loss_row;    // (B, T) bool: s_t is a state the loss sees
  torch::Tensor expert;      // (B, T) bool: a_{t+1} is an expert action (BC target, φ term)
  torch::Tensor terminal;    // (B, T) bool: a_{t+1} is <eos> (V' = 0)
  torch::Tensor bk_allowed;  // (B, T) bool: s_t has generated tokens, so <bkspc> is legal
  torch::Tensor step;        // (B, T) float: actions since the prompt, for w = γ^t
  torch::Tensor from_model;  // (B) bool
  int64_t actions = 0;       // real loss rows in the batch
  int64_t backspaces = 0;    // of which <bkspc> targets

  PackedBatch to(const torch::Device& device) const;
};

// Packs trajectories, right-padded to the longest (or to `pad_to` if larger). Padding rows
// attend only themselves (no NaN) and are never loss rows. vocab_size: the model's, <bkspc>
// included; every action must be an id below it.
PackedBatch pack(const std::vector<ActionTrace>& traces, int64_t bkspc_id, int64_t eos_id,
                 int64_t vocab_size, int64_t pad_to = 0);

}  // namespace data
}  // namespace seqmatch
