// Single-pass backspace packing (DESIGN.md §3): every state of a trajectory with <bkspc>
// actions is computed in ONE forward pass, and each distinct state exactly once. Walk the actions
// with a stack of state rows that forms the current state:
//   token a:  a new state row r: ids[r] = a; pos[r] = len(stack); r attends the stack; push r
//   <bkspc>:  pop; the state is the row now on top of the stack (computed before: no new row)
// Action row t (the t-th action) reads the state row state[t]. Example "BOS The cat sat <bk> <bk> dog":
//   action  t  state row  id  pos  attends    state
//   sat     3  3          sat 3    {0,1,2,3}  BOS The cat sat
//   <bk>    4  2          (row 2 again)       BOS The cat
//   <bk>    5  1          (row 1 again)       BOS The
//   dog     6  4          dog 2    {0,1,4}    BOS The dog
// A state after <bkspc> is the state the deleted token was appended to: same token ids, same
// positions, same attended keys, so its hidden state and logits are that earlier row's. Giving it
// a row of its own (DESIGN.md's table) computes it twice: every noise event (a token, then
// <bkspc>) would cost two rows instead of one, and a model trajectory one per <bkspc>. The model
// runs on the state rows (ids, pos, mask: B × S) and per_action() lays its output out per action
// row (B × T) for the losses, which are indexed by action (t counts actions, backspaces included).
// Loss rows: action rows t >= prompt_length-1 that have a next action a_{t+1}.
// A trajectory ends at its <eos> (DESIGN.md §3): an action after a generated <eos> is an error,
// as is an id outside [0, vocab_size). Text chunks that join documents with <eos> are cut into
// one trajectory per document first (data::split_documents), so the V-term telescopes within
// each document and no value or context leaks from one document into the next.
// Several trajectories can share one row (pack_rows), back to back: each segment walks its own
// stack from an empty state, so its positions restart at 0 and its rows attend only rows of the
// same segment (the mask is block-diagonal). Loss rows never look past their own segment: V' of
// action row t is action row t+1's V, and t is a loss row only if its trajectory has an action
// t+1. The packed rows therefore give every state exactly the logits of a forward of its
// trajectory alone, and the losses (sums over loss rows, normalised by total weight) do not
// depend on which trajectories share a row; short trajectories stop costing a padded row each.
// Test: ctest -R test_pack
// Legend: B rows, S state rows (distinct states of a row's segments, padded), T action rows
// (actions of a row's segments, padded; T >= S), V vocabulary.
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
  // The model's input: one row per distinct state.
  torch::Tensor ids;         // (B, S) int64
  torch::Tensor pos;         // (B, S) int64
  torch::Tensor mask;        // (B, S, S) bool: state row r may attend state row j
  // Per action row t (the losses' index): the state it is taken in, and what follows it.
  torch::Tensor state;       // (B, T) int64: the state row of s_t (padding: a padding state row)
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
  // comes after the real positions, and nothing attends forward), so the forward may skip `mask`;
  // state rows are then action rows (S = T, state[t] = t).
  bool causal = false;

  PackedBatch to(const torch::Device& device) const;
  // x (B, S, ...) per state row, e.g. the model's hidden states or logits -> (B, T, ...) per
  // action row (a gather; its gradient sums over the actions taken in the same state).
  torch::Tensor per_action(const torch::Tensor& x) const;
};

// The rows a trajectory needs: its distinct states (actions minus <bkspc>s).
int64_t state_count(const ActionTrace& trace, int64_t bkspc_id);

// Packs one trajectory per row, right-padded to the longest (or to `pad_to` if larger: both S and
// T). Padding state rows attend only themselves (no NaN); padding action rows are never loss rows. vocab_size: the model's,
// <bkspc> included; every action must be an id below it. Errors name the trajectory by its index.
PackedBatch pack(const std::vector<ActionTrace>& traces, int64_t bkspc_id, int64_t eos_id,
                 int64_t vocab_size, int64_t pad_to = 0);

// Packs rows[b] (one or more trajectories, in order) into row b, padded as pack() does. The
// trajectories of a row must all be data or all replay (from_model is per row). Errors name a
// trajectory by its index in rows flattened in order.
PackedBatch pack_rows(const std::vector<std::vector<ActionTrace>>& rows, int64_t bkspc_id,
                      int64_t eos_id, int64_t vocab_size, int64_t pad_to = 0);

// Which trajectories share a row: first-fit decreasing over `lengths` (actions per trajectory)
// into rows of at most `capacity` state rows; a trajectory longer than capacity gets a row of its
// own. Returns, per row, the indices of its trajectories in ascending order. Deterministic (ties
// keep index order), so a resumed run packs exactly what the uninterrupted one did.
std::vector<std::vector<size_t>> plan_rows(const std::vector<int64_t>& lengths, int64_t capacity);

// A training batch's rows: the data trajectories, then the replay trajectories in rows of their
// own, each kind planned by plan_rows (lengths = state rows) into rows no wider than the data
// trajectory with the most states (so packing adds no padding to the data rows).
std::vector<std::vector<ActionTrace>> batch_rows(std::vector<ActionTrace> data,
                                                 std::vector<ActionTrace> replay, int64_t bkspc_id);

}  // namespace data
}  // namespace seqmatch
