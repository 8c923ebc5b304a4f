// The backspace-aware batched sampler against independent computations: one-row-at-a-time
// decoding, and a clean full forward pass on every state reached after backspaces.
// Run: ctest -R test_sampler
#include <gtest/gtest.h>

#include "test_util.h"
#include "tiny_models.h"

#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "model/checkpoint.h"
#include "model/safetensors.h"
#include "sample/sampler.h"

namespace sm = seqmatch::model;
namespace ss = seqmatch::sample;

namespace {

constexpr int64_t kVocab = 12, kEos = 10, kBk = 11;

std::shared_ptr<sm::GPT2Impl> tiny_model(int64_t seed) {
  torch::manual_seed(seed);
  sm::GPT2 m(sm::GPT2Options().vocab_size(kVocab).n_positions(64).n_embd(32).n_layer(2).n_head(4));
  m->eval();
  return m.ptr();
}

sm::SpecialTokens special() {
  sm::SpecialTokens t;
  t.eos = kEos;
  t.bkspc = kBk;
  return t;
}

const std::vector<std::vector<int64_t>> kPrompts = {{1, 2, 3}, {4}, {5, 6, 7, 8, 9, 1}, {2, 2}};

torch::Tensor reference_logits(const sm::DecoderLM& m, const std::vector<int64_t>& seq) {
  auto ids = torch::tensor(seq, torch::kLong).unsqueeze(0);                   // (1, T)
  auto pos = torch::arange(int64_t(seq.size()), torch::kLong).unsqueeze(0);  // (1, T)
  return m->forward(ids, pos).select(1, int64_t(seq.size()) - 1).squeeze(0);  // (V)
}

// A model whose final hidden state is a constant c, with e_bkspc = 10·c: <bkspc> is the
// argmax whenever it is allowed.
std::shared_ptr<sm::GPT2Impl> backspace_loving_model() {
  auto m = tiny_model(9);
  torch::NoGradGuard no_grad;
  auto c = torch::randn({32});
  m->ln_f->weight.zero_();
  m->ln_f->bias.copy_(c);
  m->wte->weight[kBk].copy_(c * 10);
  return m;
}

}  // namespace

TEST(Sampler, BatchedGreedyEqualsOneRowAtATime) {
  auto m = tiny_model(1);
  ss::SamplingOptions o;
  o.greedy = true;
  o.max_new_tokens = 12;
  auto batched = ss::generate(m, special(), kPrompts, o);
  for (size_t b = 0; b < kPrompts.size(); ++b) {
    auto alone = ss::generate(m, special(), {kPrompts[b]}, o);
    EXPECT_EQ(batched[b].tokens, alone[0].tokens) << "row " << b;
    EXPECT_EQ(batched[b].actions, alone[0].actions) << "row " << b;
    EXPECT_EQ(batched[b].finish, alone[0].finish) << "row " << b;
  }
}

TEST(Sampler, SeededSamplingIsBatchInvariantAndReproducible) {
  auto m = tiny_model(2);
  ss::SamplingOptions o;
  o.max_new_tokens = 20;
  o.seed = 1234;
  auto batched = ss::generate(m, special(), kPrompts, o);
  auto again = ss::generate(m, special(), kPrompts, o);
  int64_t backspaces = 0;
  for (size_t b = 0; b < kPrompts.size(); ++b) {
    EXPECT_EQ(batched[b].actions, again[b].actions);
    ss::SamplingOptions single = o;
    single.row_seeds = {o.seed + b};
    auto alone = ss::generate(m, special(), {kPrompts[b]}, single);
    EXPECT_EQ(batched[b].actions, alone[0].actions) << "row " << b;
    backspaces += batched[b].backspaces;
  }
  EXPECT_GT(backspaces, 0) << "the test must exercise backspaces";
  o.seed = 99;
  auto other = ss::generate(m, special(), kPrompts, o);
  bool differs = false;
  for (size_t b = 0; b < kPrompts.size(); ++b) differs = differs || other[b].actions != batched[b].actions;
  EXPECT_TRUE(differs);
}

// For every family: the decoder's rolled-back cache (GQA-shaped for Llama/Qwen2) gives a clean
// forward's logits on every state.
TEST(Sampler, RolledBackCacheEqualsFullForwardOnEveryState) {
  for (const auto& family : seqmatch::testing::families()) {
    SCOPED_TRACE(family);
    auto m = seqmatch::testing::tiny_model(family, kVocab, 64, 3);
    torch::NoGradGuard no_grad;
    for (uint64_t seed : {1u, 2u, 3u}) {
      ss::SamplingOptions o;
      o.max_new_tokens = 16;
      o.seed = seed;
      ss::BatchDecoder d(m, special(), kPrompts, o);
      int64_t checked = 0, backspaces = 0;
      while (!d.done()) {
        const auto& active = d.active();
        for (size_t i = 0; i < active.size(); ++i) {
          const auto& t = d.trajectories()[active[i]];
          auto want = reference_logits(m, t.tokens);
          EXPECT_LE((d.logits()[i] - want).abs().max().item<double>(), 1e-5)
              << "row " << active[i] << " after " << t.actions.size() << " actions";
          ++checked;
        }
        d.step();
      }
      for (const auto& t : d.trajectories()) backspaces += t.backspaces;
      EXPECT_GT(checked, 20);
      EXPECT_GT(backspaces, 0) << "seed " << seed << " exercised no backspace";
    }
  }
}

TEST(Sampler, HugeMaxNewTokensEndsAtTheContextWithoutOverflow) {
  // max_new_tokens near INT64_MAX once overflowed the default max_actions (4x) and the cache size,
  // surfacing as "kv cache: rows and capacity must be positive (got capacity=-9223372036854775807)".
  auto m = backspace_loving_model();
  ss::SamplingOptions o;
  o.greedy = true;
  o.max_new_tokens = std::numeric_limits<int64_t>::max();
  auto out = ss::generate(m, special(), kPrompts, o);
  for (const auto& t : out) {
    EXPECT_TRUE(t.finish == ss::FinishReason::kLength || t.finish == ss::FinishReason::kEos ||
                t.finish == ss::FinishReason::kMaxActions)
        << ss::finish_reason_name(t.finish);
    EXPECT_LE(int64_t(t.tokens.size()), m->max_positions());
  }
}

TEST(Sampler, PromptIsNeverDeletedAndMaxActionsStopsALoop) {
  // Sampling at a low temperature without the no-retype rule is the pure policy: it types the
  // best token and deletes it again until max_actions (greedy has the rule; see below).
  auto m = backspace_loving_model();
  ss::SamplingOptions o;
  o.temperature = 1e-3;
  o.max_new_tokens = 5;
  o.max_actions = 9;
  auto out = ss::generate(m, special(), kPrompts, o);
  for (size_t b = 0; b < kPrompts.size(); ++b) {
    const auto& t = out[b];
    EXPECT_EQ(t.finish, ss::FinishReason::kMaxActions);
    EXPECT_EQ(int64_t(t.actions.size()), 9);
    EXPECT_NE(t.actions[0], kBk) << "a row with nothing generated cannot backspace";
    // token, <bk>, token, <bk>, ...: the prompt survives intact.
    for (size_t i = 1; i < t.actions.size(); i += 2) EXPECT_EQ(t.actions[i], kBk);
    for (size_t i = 2; i < t.actions.size(); i += 2) EXPECT_EQ(t.actions[i], t.actions[0]) << "retyped";
    EXPECT_EQ(std::vector<int64_t>(t.tokens.begin(), t.tokens.begin() + t.prompt_length), kPrompts[b]);
    EXPECT_EQ(int64_t(t.tokens.size()), t.prompt_length + 1);
    EXPECT_EQ(t.backspaces, 4);
  }
  o.allow_backspace = false;
  out = ss::generate(m, special(), kPrompts, o);
  for (const auto& t : out) {
    EXPECT_EQ(t.backspaces, 0);
    EXPECT_EQ(t.finish == ss::FinishReason::kMaxNewTokens || t.finish == ss::FinishReason::kEos, true);
  }
}

namespace {

using Prefix = std::vector<int64_t>;

// Independent replay of the no-retype rule over a whole action trace, keyed by the full state
// (not by depth as the decoder keeps it): no token may be typed at a state where it was deleted
// before. With `greedy`, every action must also be the argmax of a clean full forward on that
// state over the allowed actions (<bkspc> masked with nothing generated, banned tokens masked).
// Returns how many actions were checked.
int64_t replay_no_retype(const sm::DecoderLM& m, const ss::Trajectory& t, bool greedy) {
  torch::NoGradGuard no_grad;
  std::map<Prefix, std::set<int64_t>> deleted;
  Prefix state(t.tokens.begin(), t.tokens.begin() + t.prompt_length);
  int64_t checked = 0;
  for (int64_t a : t.actions) {
    auto& banned = deleted[state];
    if (greedy) {
      auto x = reference_logits(m, state).to(torch::kDouble);  // (V)
      if (int64_t(state.size()) == t.prompt_length) x[kBk] = -INFINITY;
      for (int64_t b : banned) x[b] = -INFINITY;
      EXPECT_EQ(a, x.argmax().item<int64_t>()) << "greedy action at state of length " << state.size();
    }
    if (a == kBk) {
      EXPECT_GT(int64_t(state.size()), t.prompt_length) << "the prompt was deleted";
      const int64_t removed = state.back();
      state.pop_back();
      deleted[state].insert(removed);
    } else {
      EXPECT_EQ(banned.count(a), 0u) << "token " << a << " retyped at a state where it was deleted";
      state.push_back(a);
    }
    ++checked;
  }
  EXPECT_EQ(state, t.tokens) << "the trace does not replay to the final state";
  return checked;
}

// Whether some token is typed again at a state where it was deleted (the loop the rule prevents).
bool retypes(const ss::Trajectory& t) {
  std::map<Prefix, std::set<int64_t>> deleted;
  Prefix state(t.tokens.begin(), t.tokens.begin() + t.prompt_length);
  for (int64_t a : t.actions) {
    if (a == kBk) {
      const int64_t removed = state.back();
      state.pop_back();
      deleted[state].insert(removed);
    } else {
      if (deleted[state].count(a)) return true;
      state.push_back(a);
    }
  }
  return false;
}

}  // namespace

TEST(Sampler, GreedyWithBackspaceArgmaxTerminatesWithoutRetyping) {
  // After any generated token <bkspc> is the argmax: without the rule greedy loops (test above).
  auto m = backspace_loving_model();
  ss::SamplingOptions o;
  o.greedy = true;
  o.max_new_tokens = 5;
  o.max_actions = 200;
  auto out = ss::generate(m, special(), kPrompts, o);
  for (size_t b = 0; b < kPrompts.size(); ++b) {
    const auto& t = out[b];
    EXPECT_NE(t.finish, ss::FinishReason::kMaxActions) << "row " << b << " still loops";
    EXPECT_GT(t.backspaces, 0) << "row " << b;
    EXPECT_GE(replay_no_retype(m, t, /*greedy=*/true), 2);
    // Each deleted token is banned at the prompt state, so eos comes after at most V-2 deletions.
    EXPECT_LE(t.backspaces, kVocab - 2);
  }
  // Batched = one row at a time: the banned sets are per row.
  for (size_t b = 0; b < kPrompts.size(); ++b) {
    auto alone = ss::generate(m, special(), {kPrompts[b]}, o);
    EXPECT_EQ(alone[0].actions, out[b].actions) << "row " << b;
  }
}

TEST(Sampler, NoRetypeIsAnOptionForSamplingAndOffByDefault) {
  auto m = tiny_model(2);
  ss::SamplingOptions o;
  o.max_new_tokens = 20;
  bool policy_retyped = false;
  int64_t backspaces = 0;
  for (uint64_t seed = 0; seed < 8; ++seed) {
    o.seed = seed;
    o.no_retype = false;
    for (const auto& t : ss::generate(m, special(), kPrompts, o)) policy_retyped = policy_retyped || retypes(t);
    o.no_retype = true;
    auto ruled = ss::generate(m, special(), kPrompts, o);
    for (size_t b = 0; b < kPrompts.size(); ++b) {
      replay_no_retype(m, ruled[b], /*greedy=*/false);
      backspaces += ruled[b].backspaces;
      ss::SamplingOptions single = o;
      single.row_seeds = {seed + b};
      EXPECT_EQ(ss::generate(m, special(), {kPrompts[b]}, single)[0].actions, ruled[b].actions);
    }
  }
  EXPECT_TRUE(policy_retyped) << "the policy's own samples retype: the rule must be off by default";
  EXPECT_GT(backspaces, 0);
}

TEST(Sampler, RolloutOptionsArePurePolicySamples) {
  // The trainer's replay rollouts (train/trainer.cpp) sample with default options but for
  // max_new_tokens, max_actions = 2x and a seed: their trajectories must be those of the policy,
  // i.e. those of an independent decoder (clean full forward on every state, no banned sets)
  // drawing the same counter-based uniforms.
  auto m = tiny_model(6);
  torch::NoGradGuard no_grad;
  ss::SamplingOptions o;
  o.max_new_tokens = 12;
  o.max_actions = 24;
  bool any_retype = false;
  for (uint64_t seed : {7u, 8u, 9u}) {
    o.seed = seed;
    auto got = ss::generate(m, special(), kPrompts, o);
    for (size_t b = 0; b < kPrompts.size(); ++b) {
      Prefix state = kPrompts[b];
      std::vector<int64_t> want;
      while (true) {
        auto x = reference_logits(m, state).unsqueeze(0);  // (1, V)
        if (state.size() == kPrompts[b].size()) x[0][kBk] = -INFINITY;
        const double u = ss::counter_uniform(seed + b, want.size());
        const int64_t a = ss::choose_actions(x, o, {u}, nullptr).item<int64_t>();
        want.push_back(a);
        if (a == kBk) {
          state.pop_back();
          if (int64_t(want.size()) >= o.max_actions) break;
          continue;
        }
        state.push_back(a);
        if (a == kEos || int64_t(state.size() - kPrompts[b].size()) >= o.max_new_tokens ||
            int64_t(want.size()) >= o.max_actions)
          break;
      }
      EXPECT_EQ(got[b].actions, want) << "seed " << seed << " row " << b;
      any_retype = any_retype || retypes(got[b]);
    }
  }
  EXPECT_TRUE(any_retype) << "no rollout retyped a deleted token: the test cannot tell the rule is off";
}

TEST(Sampler, ExtremeTemperaturesNeverChooseAMaskedAction) {
  const float inf = std::numeric_limits<float>::infinity();
  for (double T : {1e-45, 1e-38, 1e-7, 1e39, double(std::numeric_limits<float>::max()), 1e300}) {
    // Direct: masked entries (-inf) beside finite logits of any size, many uniforms.
    auto x = torch::tensor({-inf, 3e38f, -3e38f, -inf, 1.0f, 0.0f, -inf}).unsqueeze(0);  // (1, 7)
    ss::SamplingOptions o;
    o.temperature = T;
    for (int i = 1; i < 200; ++i) {
      torch::Tensor lp;
      const int64_t a = ss::choose_actions(x, o, {i / 200.0}, &lp).item<int64_t>();
      EXPECT_TRUE(a != 0 && a != 3 && a != 6) << "T=" << T << " chose masked action " << a;
      EXPECT_FALSE(std::isnan(lp.item<float>())) << "T=" << T;
    }
    // End to end: <bkspc> never at the prompt boundary, never with allow_backspace off.
    auto m = backspace_loving_model();
    ss::SamplingOptions g;
    g.temperature = T;
    g.max_new_tokens = 6;
    for (bool allow : {true, false}) {
      g.allow_backspace = allow;
      for (const auto& t : ss::generate(m, special(), kPrompts, g)) {
        Prefix state(t.tokens.begin(), t.tokens.begin() + t.prompt_length);
        for (int64_t a : t.actions) {
          EXPECT_FALSE(a == kBk && (!allow || int64_t(state.size()) == t.prompt_length)) << "T=" << T;
          if (a == kBk) state.pop_back(); else state.push_back(a);
        }
      }
    }
  }
}

TEST(Sampler, NonFiniteLogitsAreAClearErrorNamingTheRow) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::nanf("");
  ss::SamplingOptions o;
  auto x = torch::zeros({4, 5});
  x[3][2] = nan;
  try {
    ss::choose_actions(x, o, {0.5, 0.5, 0.5, 0.5}, nullptr, {10, 11, 12, 13});
    ADD_FAILURE() << "NaN logits were sampled";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what_without_backtrace()).find("generate: row 13: the model's logits are not finite (NaN) at action 2"),
              std::string::npos) << e.what_without_backtrace();
  }
  x = torch::zeros({2, 5});
  x[0][4] = inf;
  o.greedy = true;
  EXPECT_THROW(ss::choose_actions(x, o, {0.5, 0.5}, nullptr), c10::Error);
  x = torch::full({1, 5}, -inf);
  try {
    ss::choose_actions(x, o, {0.5}, nullptr);
    ADD_FAILURE() << "a row without an allowed action was sampled";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what_without_backtrace()).find("row 0: no action is allowed"), std::string::npos);
  }
  // A checkpoint with NaN weights: an error on the first step, greedy or not, backspace or not.
  auto m = tiny_model(7);
  {
    torch::NoGradGuard no_grad;
    m->ln_f->bias[0] = nan;
  }
  for (bool greedy : {true, false}) {
    for (bool allow : {true, false}) {
      ss::SamplingOptions g;
      g.greedy = greedy;
      g.allow_backspace = allow;
      try {
        ss::generate(m, special(), kPrompts, g);
        ADD_FAILURE() << "a NaN model generated";
      } catch (const c10::Error& e) {
        EXPECT_NE(std::string(e.what_without_backtrace()).find("generate: row 0: the model's logits are not finite (NaN)"),
                  std::string::npos) << e.what_without_backtrace();
      }
    }
  }
}

TEST(Sampler, FinishReasonsStopTokensAndCancellation) {
  auto m = tiny_model(4);
  ss::SamplingOptions o;
  o.greedy = true;
  o.max_new_tokens = 3;
  o.allow_backspace = false;
  auto out = ss::generate(m, special(), {{1, 2}}, o);
  ASSERT_EQ(out.size(), 1u);
  if (out[0].finish == ss::FinishReason::kMaxNewTokens) EXPECT_EQ(out[0].tokens.size(), 5u);
  // Stopping on the first generated token.
  const int64_t first = out[0].actions[0];
  if (first != kEos) {
    o.stop_token_ids = {first};
    auto stopped = ss::generate(m, special(), {{1, 2}}, o);
    EXPECT_EQ(stopped[0].finish, ss::FinishReason::kStop);
    EXPECT_EQ(stopped[0].tokens.size(), 3u);
  }
  // A listener cancelling row 1 after its first action leaves the other rows running.
  o.stop_token_ids.clear();
  o.max_new_tokens = 6;
  auto cancelled = ss::generate(m, special(), kPrompts, o, [](const ss::ActionEvent& e) {
    return e.row != 1;
  });
  EXPECT_EQ(cancelled[1].finish, ss::FinishReason::kCancelled);
  EXPECT_EQ(cancelled[1].actions.size(), 1u);
  EXPECT_NE(cancelled[0].finish, ss::FinishReason::kCancelled);
}

TEST(Sampler, BadOptionsAreOneLineErrors) {
  auto m = tiny_model(5);
  ss::SamplingOptions o;
  o.top_p = 1.5;
  EXPECT_THROW(ss::generate(m, special(), kPrompts, o), c10::Error);
  o = {};
  EXPECT_THROW(ss::generate(m, special(), {{}}, o), c10::Error);
  EXPECT_THROW(ss::generate(m, special(), {{kVocab}}, o), c10::Error);
}

TEST(Sampler, GreedyReproducesTransformersOnTheFixture) {
  const std::string dir = std::string(SEQMATCH_FIXTURES_DIR) + "/hf-gpt2-tiny";
  auto ckpt = sm::load_checkpoint(dir, torch::kCPU);
  auto expected = sm::read_safetensors(dir + "/expected.safetensors");
  auto prompt = expected.at("prompt_ids"), want = expected.at("greedy_ids");  // (2, 8), (2, 20)
  ss::SamplingOptions o;
  o.greedy = true;
  o.max_new_tokens = want.size(1) - prompt.size(1);
  auto out = ss::generate(ckpt.model, ckpt.config.tokens, seqmatch::testing::rows_of(prompt), o);
  const auto w = seqmatch::testing::rows_of(want);
  for (int64_t b = 0; b < prompt.size(0); ++b) EXPECT_EQ(out[b].tokens, w[size_t(b)]) << "row " << b;
}
