// Single-pass backspace packing: see pack.h.
#include "data/pack.h"

#include <algorithm>

#include "util/check.h"

namespace seqmatch {
namespace data {

PackedBatch PackedBatch::to(const torch::Device& d) const {
  PackedBatch o = *this;
  for (auto* t : {&o.ids, &o.pos, &o.mask, &o.state, &o.target, &o.loss_row, &o.expert, &o.terminal,
                  &o.bk_allowed, &o.step, &o.from_model}) {
    *t = t->to(d, /*non_blocking=*/true);
  }
  return o;
}

torch::Tensor PackedBatch::per_action(const torch::Tensor& x) const {
  SM_CHECK(x.dim() >= 2 && x.size(0) == state.size(0) && x.size(1) == ids.size(1), "pack: per_action expects (",
           state.size(0), ", ", ids.size(1), ", ...) per state row, got ", x.sizes());
  if (causal && x.size(1) == state.size(1)) return x;  // state rows are action rows
  auto shape = x.sizes().vec();
  shape[1] = state.size(1);
  auto index = state;
  for (int64_t d = 2; d < x.dim(); ++d) index = index.unsqueeze(-1);
  return x.gather(1, index.expand(shape));
}

int64_t state_count(const ActionTrace& trace, int64_t bkspc_id) {
  return int64_t(trace.actions.size()) - std::count(trace.actions.begin(), trace.actions.end(), bkspc_id);
}

PackedBatch pack(const std::vector<ActionTrace>& traces, int64_t bkspc_id, int64_t eos_id,
                 int64_t vocab_size, int64_t pad_to) {
  SM_CHECK(!traces.empty(), "pack: no trajectories");
  std::vector<std::vector<ActionTrace>> rows;
  rows.reserve(traces.size());
  for (const auto& tr : traces) rows.push_back({tr});
  return pack_rows(rows, bkspc_id, eos_id, vocab_size, pad_to);
}

PackedBatch pack_rows(const std::vector<std::vector<ActionTrace>>& rows, int64_t bkspc_id,
                      int64_t eos_id, int64_t vocab_size, int64_t pad_to) {
  SM_CHECK(!rows.empty(), "pack: no trajectories");
  SM_CHECK(vocab_size > 0 && bkspc_id < vocab_size && eos_id < vocab_size, "pack: vocab_size ",
           vocab_size, " must be > 0 and hold <bkspc> (", bkspc_id, ") and <eos> (", eos_id, ")");
  const int64_t B = int64_t(rows.size());
  int64_t T = pad_to, S = pad_to;
  for (size_t b = 0; b < rows.size(); ++b) {
    SM_CHECK(!rows[b].empty(), "pack: row ", b, " has no trajectories");
    int64_t n = 0, k = 0;
    for (const auto& tr : rows[b]) n += int64_t(tr.actions.size()), k += state_count(tr, bkspc_id);
    T = std::max(T, n);
    S = std::max(S, k);
  }
  SM_CHECK(T > 0, "pack: all trajectories are empty");
  S = std::max<int64_t>(S, 1);  // a padding state row for padding actions to read

  PackedBatch p;
  p.ids = torch::zeros({B, S}, torch::kLong);
  p.pos = torch::zeros({B, S}, torch::kLong);
  p.mask = torch::zeros({B, S, S}, torch::kBool);
  p.state = torch::zeros({B, T}, torch::kLong);
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
  auto state = p.state.accessor<int64_t, 2>();
  auto target = p.target.accessor<int64_t, 2>();
  auto loss_row = p.loss_row.accessor<bool, 2>();
  auto expert = p.expert.accessor<bool, 2>();
  auto terminal = p.terminal.accessor<bool, 2>();
  auto bk_allowed = p.bk_allowed.accessor<bool, 2>();
  auto step = p.step.accessor<float, 2>();
  p.causal = true;

  int64_t g = 0;  // trajectory index over all rows, for error messages
  for (int64_t b = 0; b < B; ++b) {
    p.from_model[b] = rows[b].front().from_model;
    p.causal = p.causal && rows[b].size() == 1;
    int64_t o = 0, so = 0;  // the segment's first action row and first state row in row b
    for (const auto& tr : rows[b]) {
      const int64_t n = int64_t(tr.actions.size());
      SM_CHECK(tr.prompt_length >= 1 && tr.prompt_length <= n, "pack: trajectory ", g,
               " has prompt_length ", tr.prompt_length, " for ", n, " actions (need 1..n)");
      SM_CHECK(tr.noise.empty() || int64_t(tr.noise.size()) == n, "pack: trajectory ", g,
               " has ", tr.noise.size(), " noise flags for ", n, " actions");
      SM_CHECK(tr.from_model == rows[b].front().from_model, "pack: row ", b, " mixes data and replay "
               "trajectories (trajectory ", g, "): a row's trajectories must all be one or the other");
      std::vector<int64_t> stack;  // state rows of row b forming the current state
      int64_t eos_at = -1;         // index of the generated <eos>, if any
      int64_t r = so;              // the next new state row
      for (int64_t t = 0; t < n; ++t) {
        const int64_t a = tr.actions[t], at = o + t;
        SM_CHECK(a >= 0 && a < vocab_size, "pack: trajectory ", g, " action ", t, " has id ", a,
                 " outside the vocabulary [0, ", vocab_size, ")");
        SM_CHECK(eos_at < 0, "pack: trajectory ", g, " has action ", t, " (id ", a, ") after <eos> at action ",
                 eos_at, ": a trajectory ends at <eos>. Hint: cut text chunks into documents "
                 "(data::split_documents)");
        if (t >= tr.prompt_length && a == eos_id) eos_at = t;
        if (a == bkspc_id) {
          SM_CHECK(int64_t(stack.size()) > tr.prompt_length, "pack: trajectory ", g, " action ", t,
                   " is <bkspc> with nothing generated to delete (the prompt is never deleted)");
          p.causal = false;
          stack.pop_back();  // back to the state the deleted token was appended to: its row
        } else {
          ids[b][r] = a;
          pos[b][r] = int64_t(stack.size());
          stack.push_back(r);
          for (int64_t j : stack) mask[b][r][j] = true;
          ++r;
        }
        state[b][at] = stack.back();
        bk_allowed[b][at] = int64_t(stack.size()) > tr.prompt_length;
        step[b][at] = float(std::max<int64_t>(0, t - (tr.prompt_length - 1)));
        if (t >= tr.prompt_length - 1 && t + 1 < n) {
          const int64_t next = tr.actions[t + 1];
          loss_row[b][at] = true;
          target[b][at] = next;
          expert[b][at] = tr.noise.empty() || tr.noise[t + 1] == 0;
          terminal[b][at] = next == eos_id;
          ++p.actions;
          p.backspaces += next == bkspc_id;
        }
      }
      o += n;
      so = r;
      ++g;
    }
    for (int64_t j = so; j < S; ++j) mask[b][j][j] = true;  // padding sees itself only
    for (int64_t t = o; t < T; ++t) state[b][t] = std::min(so, S - 1);  // a padding (or any) state row
  }
  return p;
}

std::vector<std::vector<size_t>> plan_rows(const std::vector<int64_t>& lengths, int64_t capacity) {
  std::vector<size_t> order(lengths.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return lengths[a] > lengths[b]; });
  std::vector<std::vector<size_t>> rows;
  std::vector<int64_t> room;  // free positions per row
  for (size_t i : order) {
    size_t r = 0;
    while (r < rows.size() && room[r] < lengths[i]) ++r;
    if (r == rows.size()) {
      rows.emplace_back();
      room.push_back(std::max<int64_t>(capacity, lengths[i]));
    }
    rows[r].push_back(i);
    room[r] -= lengths[i];
  }
  for (auto& row : rows) std::sort(row.begin(), row.end());
  return rows;
}

std::vector<std::vector<ActionTrace>> batch_rows(std::vector<ActionTrace> data,
                                                 std::vector<ActionTrace> replay, int64_t bkspc_id) {
  int64_t capacity = 0;
  for (const auto& t : data) capacity = std::max(capacity, state_count(t, bkspc_id));
  std::vector<std::vector<ActionTrace>> rows;
  for (auto* traces : {&data, &replay}) {
    std::vector<int64_t> lengths;
    for (const auto& t : *traces) lengths.push_back(state_count(t, bkspc_id));
    for (const auto& plan : plan_rows(lengths, capacity)) {
      rows.emplace_back();
      for (size_t i : plan) rows.back().push_back(std::move((*traces)[i]));
    }
  }
  return rows;
}

}  // namespace data
}  // namespace seqmatch
