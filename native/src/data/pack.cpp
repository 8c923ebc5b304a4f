// Single-pass backspace packing: see pack.h.
#include "data/pack.h"

#include <algorithm>

#include "util/check.h"

namespace seqmatch {
namespace data {

PackedBatch PackedBatch::to(const torch::Device& d) const {
  PackedBatch o = *this;
  for (auto* t : {&o.ids, &o.pos, &o.mask, &o.target, &o.loss_row, &o.expert, &o.terminal,
                  &o.bk_allowed, &o.step, &o.from_model}) {
    *t = t->to(d, /*non_blocking=*/true);
  }
  return o;
}

PackedBatch pack(const std::vector<ActionTrace>& traces, int64_t bkspc_id, int64_t eos_id,
                 int64_t vocab_size, int64_t pad_to) {
  SM_CHECK(!traces.empty(), "pack: no trajectories");
  SM_CHECK(vocab_size > 0 && bkspc_id < vocab_size && eos_id < vocab_size, "pack: vocab_size ",
           vocab_size, " must be > 0 and hold <bkspc> (", bkspc_id, ") and <eos> (", eos_id, ")");
  const int64_t B = int64_t(traces.size());
  int64_t T = pad_to;
  for (const auto& tr : traces) T = std::max<int64_t>(T, int64_t(tr.actions.size()));
  SM_CHECK(T > 0, "pack: all trajectories are empty");

  PackedBatch p;
  p.ids = torch::zeros({B, T}, torch::kLong);
  p.pos = torch::zeros({B, T}, torch::kLong);
  p.mask = torch::zeros({B, T, T}, torch::kBool);
  p.target = torch::zeros({B, T}, torch::kLong);
  p.loss_row = torch::zeros({B, T}, torch::kBool);
  p.expert = torch::zeros({B, T}, torch::kBool);
  p.terminal = torch::zeros({B, T}, torch::kBool);
  p.bk_allowed = torch::zeros({B, T}, torch::kBool);
  p.step = torch::zeros({B, T}, torch::kFloat);
  p.from_model = torch::zeros({B}, torch::kBool);
  auto ids = p.ids.accessor<int64_t, 2>();
  auto pos = p.pos.accessor<int64_t, 2>();
  auto mask = p.mask.accessor<bool, 3>();
  auto target = p.target.accessor<int64_t, 2>();
  auto loss_row = p.loss_row.accessor<bool, 2>();
  auto expert = p.expert.accessor<bool, 2>();
  auto terminal = p.terminal.accessor<bool, 2>();
  auto bk_allowed = p.bk_allowed.accessor<bool, 2>();
  auto step = p.step.accessor<float, 2>();

  for (int64_t b = 0; b < B; ++b) {
    const auto& tr = traces[b];
    const int64_t n = int64_t(tr.actions.size());
    SM_CHECK(tr.prompt_length >= 1 && tr.prompt_length <= n, "pack: trajectory ", b,
             " has prompt_length ", tr.prompt_length, " for ", n, " actions (need 1..n)");
    SM_CHECK(tr.noise.empty() || int64_t(tr.noise.size()) == n, "pack: trajectory ", b,
             " has ", tr.noise.size(), " noise flags for ", n, " actions");
    p.from_model[b] = tr.from_model;
    std::vector<int64_t> stack;
    int64_t eos_at = -1;  // index of the generated <eos>, if any
    for (int64_t t = 0; t < n; ++t) {
      const int64_t a = tr.actions[t];
      SM_CHECK(a >= 0 && a < vocab_size, "pack: trajectory ", b, " action ", t, " has id ", a,
               " outside the vocabulary [0, ", vocab_size, ")");
      SM_CHECK(eos_at < 0, "pack: trajectory ", b, " has action ", t, " (id ", a, ") after <eos> at action ",
               eos_at, ": a trajectory ends at <eos>. Hint: cut text chunks into documents "
               "(data::split_documents)");
      if (t >= tr.prompt_length && a == eos_id) eos_at = t;
      if (a == bkspc_id) {
        SM_CHECK(int64_t(stack.size()) > tr.prompt_length, "pack: trajectory ", b, " action ", t,
                 " is <bkspc> with nothing generated to delete (the prompt is never deleted)");
        stack.pop_back();
        const int64_t prev = stack.back();
        stack.pop_back();
        ids[b][t] = ids[b][prev];
        pos[b][t] = pos[b][prev];
      } else {
        ids[b][t] = a;
        pos[b][t] = int64_t(stack.size());
      }
      stack.push_back(t);
      for (int64_t j : stack) mask[b][t][j] = true;
      bk_allowed[b][t] = int64_t(stack.size()) > tr.prompt_length;
      step[b][t] = float(std::max<int64_t>(0, t - (tr.prompt_length - 1)));
      if (t >= tr.prompt_length - 1 && t + 1 < n) {
        const int64_t next = tr.actions[t + 1];
        loss_row[b][t] = true;
        target[b][t] = next;
        expert[b][t] = tr.noise.empty() || tr.noise[t + 1] == 0;
        terminal[b][t] = next == eos_id;
        ++p.actions;
        p.backspaces += next == bkspc_id;
      }
    }
    for (int64_t t = n; t < T; ++t) mask[b][t][t] = true;  // padding sees itself only
  }
  return p;
}

}  // namespace data
}  // namespace seqmatch
