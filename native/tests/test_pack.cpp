// Backspace packing is exact: the packed single-pass logits equal a clean forward pass on every
// intermediate state, for random action traces with backspaces, for every model family (GPT-2's
// learned positions, Llama/Qwen2's rotary positions from the same explicit position ids).
// Run: ctest -R test_pack
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "data/pack.h"
#include "tiny_models.h"

namespace sd = seqmatch::data;
namespace sm = seqmatch::model;

namespace {

constexpr int64_t kVocab = 20, kBk = 19, kEos = 18;

// A random valid trace: prompt, then tokens and backspaces (never into the prompt).
sd::ActionTrace random_trace(std::mt19937& rng, int64_t prompt_len, int64_t n_actions) {
  sd::ActionTrace tr;
  tr.prompt_length = prompt_len;
  std::uniform_int_distribution<int64_t> tok(0, kVocab - 3);
  for (int64_t i = 0; i < prompt_len; ++i) tr.actions.push_back(tok(rng));
  int64_t generated = 0;
  for (int64_t i = 0; i < n_actions; ++i) {
    if (generated > 0 && rng() % 3 == 0) {
      tr.actions.push_back(kBk);
      --generated;
    } else {
      tr.actions.push_back(tok(rng));
      ++generated;
    }
  }
  return tr;
}

// The state after each action, by replaying the trace with a plain vector.
std::vector<std::vector<int64_t>> states(const sd::ActionTrace& tr) {
  std::vector<std::vector<int64_t>> out;
  std::vector<int64_t> s;
  for (int64_t a : tr.actions) {
    if (a == kBk) s.pop_back(); else s.push_back(a);
    out.push_back(s);
  }
  return out;
}

}  // namespace

TEST(Pack, DesignTableExample) {
  // BOS The cat sat <bk> <bk> dog ran, with ids BOS=0 The=1 cat=2 sat=3 dog=4 ran=5: six distinct
  // states, eight actions; the states after the two <bkspc>s are rows 2 and 1 again.
  sd::ActionTrace tr;
  tr.actions = {0, 1, 2, 3, kBk, kBk, 4, 5};
  tr.prompt_length = 1;
  auto p = sd::pack({tr}, kBk, kEos, kVocab);
  ASSERT_EQ(p.ids.size(1), 6);
  ASSERT_EQ(p.target.size(1), 8);
  EXPECT_EQ(sd::state_count(tr, kBk), 6);
  EXPECT_EQ(std::vector<int64_t>(p.ids[0].data_ptr<int64_t>(), p.ids[0].data_ptr<int64_t>() + 6),
            (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(std::vector<int64_t>(p.pos[0].data_ptr<int64_t>(), p.pos[0].data_ptr<int64_t>() + 6),
            (std::vector<int64_t>{0, 1, 2, 3, 2, 3}));
  EXPECT_EQ(std::vector<int64_t>(p.state[0].data_ptr<int64_t>(), p.state[0].data_ptr<int64_t>() + 8),
            (std::vector<int64_t>{0, 1, 2, 3, 2, 1, 4, 5}));
  auto attends = [&](int64_t r) {
    std::vector<int64_t> j;
    for (int64_t k = 0; k < 6; ++k)
      if (p.mask[0][r][k].item<bool>()) j.push_back(k);
    return j;
  };
  EXPECT_EQ(attends(3), (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(attends(4), (std::vector<int64_t>{0, 1, 4}));     // dog: BOS The dog
  EXPECT_EQ(attends(5), (std::vector<int64_t>{0, 1, 4, 5}));  // ran: BOS The dog ran
  EXPECT_EQ(p.actions, 7);
  EXPECT_EQ(p.backspaces, 2);
  EXPECT_EQ(p.target[0][3].item<int64_t>(), kBk);
  EXPECT_EQ(p.target[0][5].item<int64_t>(), 4);  // in state "BOS The" (row 1) the next action is dog
  EXPECT_FALSE(p.bk_allowed[0][0].item<bool>());  // BOS only: nothing to delete
  EXPECT_TRUE(p.bk_allowed[0][3].item<bool>());
  // per_action lays a per-state tensor out per action.
  auto x = torch::arange(6, torch::kFloat).view({1, 6, 1}).expand({1, 6, 2}).contiguous();
  auto y = p.per_action(x);
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{1, 8, 2}));
  EXPECT_EQ(y[0][5][1].item<float>(), 1.0f);
  EXPECT_EQ(y[0][6][0].item<float>(), 4.0f);
}

TEST(Pack, PackedLogitsEqualCleanForwardOnEveryState) {
  for (const auto& family : seqmatch::testing::families()) {
    SCOPED_TRACE(family);
    auto m = seqmatch::testing::tiny_model(family, kVocab, 64, 11);
    torch::NoGradGuard no_grad;
    std::mt19937 rng(5);
    std::vector<sd::ActionTrace> traces;
    for (int i = 0; i < 6; ++i) traces.push_back(random_trace(rng, 1 + i % 3, 8 + 5 * i));
    auto p = sd::pack(traces, kBk, kEos, kVocab);
    EXPECT_LT(p.ids.size(1), p.target.size(1)) << "states revisited after <bkspc> get no row of their own";
    auto logits = p.per_action(m->forward(p.ids, p.pos, p.mask));  // (B, T, V) per action
    int64_t checked = 0, backspace_states = 0;
    double worst = 0;
    for (size_t b = 0; b < traces.size(); ++b) {
      auto st = states(traces[b]);
      for (size_t t = 0; t < st.size(); ++t) {
        auto ids = torch::tensor(st[t], torch::kLong).unsqueeze(0);
        auto pos = torch::arange(int64_t(st[t].size()), torch::kLong).unsqueeze(0);
        auto want = m->forward(ids, pos).select(1, int64_t(st[t].size()) - 1).squeeze(0);
        worst = std::max(worst, (logits[b][t] - want).abs().max().item<double>());
        ++checked;
        backspace_states += traces[b].actions[t] == kBk;
      }
    }
    EXPECT_LE(worst, 1e-5) << "max |packed - clean| over " << checked << " states";
    EXPECT_GT(backspace_states, 10);
    std::cout << "[pack " << family << "] " << checked << " states (" << backspace_states
              << " after <bkspc>), max abs diff " << worst << "\n";
  }
}

TEST(Pack, BackspaceIntoThePromptIsAnError) {
  sd::ActionTrace tr;
  tr.actions = {1, 2, kBk};
  tr.prompt_length = 2;
  EXPECT_THROW(sd::pack({tr}, kBk, kEos, kVocab), c10::Error);
}

TEST(Pack, ActionsAfterEosAndOutOfRangeIdsAreErrors) {
  auto message = [](const std::vector<int64_t>& actions, int64_t prompt_length) {
    sd::ActionTrace tr;
    tr.actions = actions;
    tr.prompt_length = prompt_length;
    try {
      sd::pack({tr}, kBk, kEos, kVocab);
    } catch (const c10::Error& e) {
      return std::string(e.what_without_backtrace());
    }
    return std::string();
  };
  // A trajectory ends at its <eos>: two documents joined by <eos> are not one trajectory.
  auto m = message({1, 2, kEos, 3, 4}, 1);
  EXPECT_NE(m.find("trajectory 0 has action 3 (id 3) after <eos> at action 2"), std::string::npos) << m;
  EXPECT_NE(message({1, 2, kEos, kBk}, 1).find("after <eos>"), std::string::npos);  // not even <bkspc>
  // Generated ids outside [0, vocab_size), and prompt ids, name the action.
  m = message({1, 2, kVocab}, 1);
  EXPECT_NE(m.find("trajectory 0 action 2 has id 20 outside the vocabulary [0, 20)"), std::string::npos) << m;
  EXPECT_NE(message({1, -3, 2}, 1).find("action 1 has id -3 outside the vocabulary"), std::string::npos);
  EXPECT_NE(message({kVocab + 5, 2}, 1).find("action 0 has id 25"), std::string::npos);
  // <eos> as (part of) the prompt is context, not an episode end (GPT-2 starts texts after it).
  EXPECT_EQ(message({kEos, 1, 2, kEos}, 1), "");
  EXPECT_EQ(message({1, 2, kEos}, 1), "");
}

// Several trajectories per row (pack_rows): every state's logits equal a clean forward of that
// state alone, positions restart per trajectory, and no position attends another trajectory.
TEST(Pack, RowsOfSeveralTrajectoriesEqualCleanForwardOfEach) {
  for (const auto& family : seqmatch::testing::families()) {
    SCOPED_TRACE(family);
    auto m = seqmatch::testing::tiny_model(family, kVocab, 64, 12);
    torch::NoGradGuard no_grad;
    std::mt19937 rng(8);
    std::vector<sd::ActionTrace> traces;
    for (int i = 0; i < 9; ++i) traces.push_back(random_trace(rng, 1 + i % 3, 3 + (7 * i) % 17));
    std::vector<int64_t> lengths;
    for (const auto& t : traces) lengths.push_back(int64_t(t.actions.size()));
    const auto plan = sd::plan_rows(lengths, 30);
    std::vector<std::vector<sd::ActionTrace>> rows;
    size_t most = 0;
    for (const auto& r : plan) {
      rows.emplace_back();
      for (size_t i : r) rows.back().push_back(traces[i]);
      most = std::max(most, r.size());
    }
    ASSERT_GE(most, 3u) << "the plan should put several trajectories in a row";
    auto p = sd::pack_rows(rows, kBk, kEos, kVocab);
    EXPECT_FALSE(p.causal);
    auto logits = p.per_action(m->forward(p.ids, p.pos, p.mask));  // (B, T, V) per action
    double worst = 0;
    int64_t checked = 0;
    for (size_t b = 0; b < plan.size(); ++b) {
      int64_t o = 0, so = 0;  // the trajectory's first action row and first state row in row b
      for (size_t i : plan[b]) {
        const auto st = states(traces[i]);
        const int64_t n = int64_t(st.size()), ns = sd::state_count(traces[i], kBk);
        for (int64_t t = 0; t < n; ++t) {
          auto ids = torch::tensor(st[size_t(t)], torch::kLong).unsqueeze(0);
          auto pos = torch::arange(int64_t(st[size_t(t)].size()), torch::kLong).unsqueeze(0);
          auto want = m->forward(ids, pos).select(1, ids.size(1) - 1).squeeze(0);
          worst = std::max(worst, (logits[int64_t(b)][o + t] - want).abs().max().item<double>());
          const int64_t r = p.state[int64_t(b)][o + t].item<int64_t>();
          EXPECT_EQ(p.pos[int64_t(b)][r].item<int64_t>(), int64_t(st[size_t(t)].size()) - 1);
          // Block-diagonal: nothing outside the trajectory's state rows [so, so + ns) is visible.
          EXPECT_TRUE(r >= so && r < so + ns);
          auto row = p.mask[int64_t(b)][r];
          EXPECT_EQ(row.narrow(0, so, ns).sum().item<int64_t>(), row.sum().item<int64_t>());
          ++checked;
        }
        // The last action of a trajectory has no successor here: it is never a loss row.
        EXPECT_FALSE(p.loss_row[int64_t(b)][o + n - 1].item<bool>());
        o += n;
        so += ns;
      }
    }
    EXPECT_LE(worst, 1e-5) << "max |packed - clean| over " << checked << " states";
    std::cout << "[pack rows " << family << "] " << plan.size() << " rows for " << traces.size()
              << " trajectories, " << checked << " states, max abs diff " << worst << "\n";
  }
}

TEST(Pack, PlanRowsIsFirstFitDecreasingWithinCapacity) {
  const std::vector<int64_t> lengths = {5, 9, 3, 12, 4, 4, 7};
  const auto plan = sd::plan_rows(lengths, 12);
  // By hand: 12 | 9+3 | 7+5 | 4+4 (longest first, each into the first row with room).
  const std::vector<std::vector<size_t>> want = {{3}, {1, 2}, {0, 6}, {4, 5}};
  EXPECT_EQ(plan, want);
  // Longer than the capacity: a row of its own; an empty list: no rows.
  EXPECT_EQ(sd::plan_rows({20, 2, 1}, 8), (std::vector<std::vector<size_t>>{{0}, {1, 2}}));
  EXPECT_TRUE(sd::plan_rows({}, 8).empty());
}

TEST(Pack, CausalOnlyForOnePlainTrajectoryPerRowAndRowsMustNotMixDataAndReplay) {
  sd::ActionTrace a, b;
  a.actions = {1, 2, 3};
  b.actions = {4, 5};
  EXPECT_TRUE(sd::pack({a, b}, kBk, kEos, kVocab).causal);
  EXPECT_FALSE(sd::pack_rows({{a, b}}, kBk, kEos, kVocab).causal);  // two trajectories in a row
  auto c = a;
  c.actions = {1, 2, kBk, 3};
  EXPECT_FALSE(sd::pack({a, c}, kBk, kEos, kVocab).causal);
  b.from_model = true;
  std::string m;
  try {
    sd::pack_rows({{a}, {a, b}}, kBk, kEos, kVocab);
  } catch (const c10::Error& e) {
    m = e.what_without_backtrace();
  }
  EXPECT_NE(m.find("pack: row 1 mixes data and replay trajectories (trajectory 2)"), std::string::npos) << m;
  m.clear();
  try {
    sd::pack_rows({{a}, {}}, kBk, kEos, kVocab);
  } catch (const c10::Error& e) {
    m = e.what_without_backtrace();
  }
  EXPECT_NE(m.find("pack: row 1 has no trajectories"), std::string::npos) << m;
}

// batch_rows sizes rows by state rows, not actions: a replay trajectory with a <bkspc> takes one
// row fewer than its actions, so here it shares a row it could not share by action count.
TEST(Pack, BatchRowsPlansByStateRows) {
  sd::ActionTrace a, b, c;
  a.actions = {1, 2, 3, 4};       // data: 4 states, the capacity
  b.actions = {1, 2, kBk, 3};     // replay: 4 actions, 3 states
  c.actions = {5};                // replay: 1 state
  b.from_model = c.from_model = true;
  const auto rows = sd::batch_rows({a}, {b, c}, kBk);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].size(), 2u);
  auto p = sd::pack_rows(rows, kBk, kEos, kVocab);
  EXPECT_EQ(p.ids.size(1), 4);     // S: no row wider than the data trajectory
  EXPECT_EQ(p.target.size(1), 5);  // T: b's 4 actions + c's 1
}
