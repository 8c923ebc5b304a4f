// The backspace-aware batched sampler against independent computations: one-row-at-a-time
// decoding, and a clean full forward pass on every state reached after backspaces.
// Run: ctest -R test_sampler
#include <gtest/gtest.h>

#include "model/checkpoint.h"
#include "model/safetensors.h"
#include "sample/sampler.h"

namespace sm = seqmatch::model;
namespace ss = seqmatch::sample;

namespace {

constexpr int64_t kVocab = 12, kEos = 10, kBk = 11;

sm::GPT2 tiny_model(int64_t seed) {
  torch::manual_seed(seed);
  sm::GPT2 m(sm::GPT2Options().vocab_size(kVocab).n_positions(64).n_embd(32).n_layer(2).n_head(4));
  m->eval();
  return m;
}

sm::SpecialTokens special() {
  sm::SpecialTokens t;
  t.eos = kEos;
  t.bkspc = kBk;
  return t;
}

const std::vector<std::vector<int64_t>> kPrompts = {{1, 2, 3}, {4}, {5, 6, 7, 8, 9, 1}, {2, 2}};

torch::Tensor reference_logits(sm::GPT2& m, const std::vector<int64_t>& seq) {
  auto ids = torch::tensor(seq, torch::kLong).unsqueeze(0);                   // (1, T)
  auto pos = torch::arange(int64_t(seq.size()), torch::kLong).unsqueeze(0);  // (1, T)
  return m->forward(ids, pos).select(1, int64_t(seq.size()) - 1).squeeze(0);  // (V)
}

// A model whose final hidden state is a constant c, with e_bkspc = 10·c: <bkspc> is the
// argmax whenever it is allowed.
sm::GPT2 backspace_loving_model() {
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

TEST(Sampler, RolledBackCacheEqualsFullForwardOnEveryState) {
  auto m = tiny_model(3);
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

TEST(Sampler, PromptIsNeverDeletedAndMaxActionsStopsALoop) {
  auto m = backspace_loving_model();
  ss::SamplingOptions o;
  o.greedy = true;
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
  std::vector<std::vector<int64_t>> prompts;
  for (int64_t b = 0; b < prompt.size(0); ++b) {
    auto row = prompt[b].contiguous();
    prompts.emplace_back(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + row.numel());
  }
  ss::SamplingOptions o;
  o.greedy = true;
  o.max_new_tokens = want.size(1) - prompt.size(1);
  auto out = ss::generate(ckpt.model, ckpt.config.tokens, prompts, o);
  for (int64_t b = 0; b < prompt.size(0); ++b) {
    auto row = want[b].contiguous();
    std::vector<int64_t> w(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + row.numel());
    EXPECT_EQ(out[b].tokens, w) << "row " << b;
  }
}
