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
// Several trajectories can share one row (pack_rows), back to back: each segment walks its own
// stack from an empty state, so its positions restart at 0 and its rows attend only rows of the
// same segment (the mask is block-diagonal). Loss rows never look past their own segment: V' of
// row t is row t+1's V, and row t is a loss row only if its trajectory has an action t+1. The
// packed rows therefore give every state exactly the logits of a forward of its trajectory
// alone, and the losses (sums over loss rows, normalised by total weight) do not depend on
// which trajectories share a row; short trajectories stop costing a padded row each.
// Test: ctest -R test_pack
// Legend: B rows, T packed positions (= actions of a row's segments, padded), V vocabulary.
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
  torch::Tensor from_model;  // (B) bool: the row's trajectories come from the replay buffer
  int64_t actions = 0;       // real loss rows in the batch
  int64_t backspaces = 0;    // of which <bkspc> targets
  // Every row is one trajectory without <bkspc>: the plain causal mask is then exact (padding
  // comes after the real positions, and nothing attends forward), so the forward may skip `mask`.
  bool causal = false;

  PackedBatch to(const torch::Device& device) const;
};

// Packs one trajectory per row, right-padded to the longest (or to `pad_to` if larger). Padding
// positions attend only themselves (no NaN) and are never loss rows. vocab_size: the model's,
// <bkspc> included; every action must be an id below it. Errors name the trajectory by its index.
PackedBatch pack(const std::vector<ActionTrace>& traces, int64_t bkspc_id, int64_t eos_id,
                 int64_t vocab_size, int64_t pad_to = 0);

// Packs rows[b] (one or more trajectories, in order) into row b, padded as pack() does. The
// trajectories of a row must all be data or all replay (from_model is per row). Errors name a
// trajectory by its index in rows flattened in order.
PackedBatch pack_rows(const std::vector<std::vector<ActionTrace>>& rows, int64_t bkspc_id,
                      int64_t eos_id, int64_t vocab_size, int64_t pad_to = 0);

// Which trajectories share a row: first-fit decreasing over `lengths` (actions per trajectory)
// into rows of at most `capacity` positions; a trajectory longer than capacity gets a row of its
// own. Returns, per row, the indices of its trajectories in ascending order. Deterministic (ties
// keep index order), so a resumed run packs exactly what the uninterrupted one did.
std::vector<std::vector<size_t>> plan_rows(const std::vector<int64_t>& lengths, int64_t capacity);

// A training batch's rows: the data trajectories, then the replay trajectories in rows of their
// own, each kind planned by plan_rows into rows no longer than the longest data trajectory (so
// packing adds no padding to the data rows).
std::vector<std::vector<ActionTrace>> batch_rows(std::vector<ActionTrace> data,
                                                 std::vector<ActionTrace> replay);

}  // namespace data
}  // namespace seqmatch
