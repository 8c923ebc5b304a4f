// Incremental (KV-cache) forward equals a clean full forward: ragged prefill, per-step decode,
// per-row rollback (the <bkspc> path), dropping rows, and masks that leave a row no key; for
// every family (Llama/Qwen2: the GQA-shaped cache holds the K heads unrepeated).
// Run: ctest -R test_kv_cache
#include <gtest/gtest.h>

#include "model/gpt2.h"
#include "tiny_models.h"

namespace sm = seqmatch::model;

namespace {

// Every test below runs once per family.
class KVCacheTest : public ::testing::TestWithParam<std::string> {
 protected:
  sm::DecoderLM tiny_model(int64_t seed) { return seqmatch::testing::tiny_model(GetParam(), 97, 48, seed); }
};

// Last-position logits of a clean forward over one sequence.
torch::Tensor reference_last(const sm::DecoderLM& m, const std::vector<int64_t>& seq) {
  auto ids = torch::tensor(seq, torch::kLong).unsqueeze(0);                      // (1, T)
  auto pos = torch::arange(int64_t(seq.size()), torch::kLong).unsqueeze(0);     // (1, T)
  return m->forward(ids, pos).select(1, int64_t(seq.size()) - 1).squeeze(0);    // (V)
}

}  // namespace

TEST_P(KVCacheTest, RaggedPrefillThenDecodeMatchesFullForward) {
  torch::NoGradGuard no_grad;
  auto m = tiny_model(1);
  const std::vector<int64_t> lens = {5, 2, 7};
  const int64_t B = 3, P = 7;
  std::vector<std::vector<int64_t>> seqs(B);
  auto ids = torch::randint(97, {B, P}, torch::kLong);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < lens[b]; ++t) seqs[b].push_back(ids[b][t].item<int64_t>());
  auto pos = torch::arange(P, torch::kLong).unsqueeze(0).expand({B, P}).contiguous();
  auto cache_ptr = m->make_cache(B, 20);
  auto& cache = *cache_ptr;
  auto logits = m->forward_cached(ids, pos, cache, lens);  // (B, P, V)
  for (int64_t b = 0; b < B; ++b) {
    auto got = logits[b][lens[b] - 1];
    EXPECT_LE((got - reference_last(m, seqs[b])).abs().max().item<double>(), 1e-5);
  }
  for (int step = 0; step < 6; ++step) {
    auto next = torch::randint(97, {B, 1}, torch::kLong);
    auto npos = torch::empty({B, 1}, torch::kLong);
    for (int64_t b = 0; b < B; ++b) {
      npos[b][0] = int64_t(seqs[b].size());
      seqs[b].push_back(next[b][0].item<int64_t>());
    }
    logits = m->forward_cached(next, npos, cache, {1, 1, 1});
    for (int64_t b = 0; b < B; ++b) {
      EXPECT_LE((logits[b][0] - reference_last(m, seqs[b])).abs().max().item<double>(), 1e-5)
          << "row " << b << " step " << step;
    }
  }
}

TEST_P(KVCacheTest, RollbackMatchesFullForwardOnFinalState) {
  torch::NoGradGuard no_grad;
  auto m = tiny_model(2);
  auto cache_ptr = m->make_cache(2, 32);
  auto& cache = *cache_ptr;
  std::vector<std::vector<int64_t>> seqs = {{1, 2, 3, 4}, {5, 6, 7, 8}};
  auto ids = torch::tensor({1, 2, 3, 4, 5, 6, 7, 8}, torch::kLong).view({2, 4});
  auto pos = torch::arange(4, torch::kLong).unsqueeze(0).expand({2, 4}).contiguous();
  m->forward_cached(ids, pos, cache, {4, 4});
  // Row 0 deletes two tokens, then re-feeds its new last token (the sampler's backspace step);
  // row 1 appends a token in the same batch.
  cache.truncate(0, 2);
  seqs[0].resize(2);
  int64_t refeed = seqs[0].back();
  cache.truncate(0, 1);
  auto step_ids = torch::tensor({refeed, int64_t(9)}, torch::kLong).view({2, 1});
  auto step_pos = torch::tensor({int64_t(1), int64_t(4)}, torch::kLong).view({2, 1});
  seqs[1].push_back(9);
  auto logits = m->forward_cached(step_ids, step_pos, cache, {1, 1});
  EXPECT_EQ(cache.lengths(), (std::vector<int64_t>{2, 5}));
  for (int64_t b = 0; b < 2; ++b) {
    EXPECT_LE((logits[b][0] - reference_last(m, seqs[b])).abs().max().item<double>(), 1e-5);
  }
  // Dropping row 0 keeps row 1's cache intact.
  cache.keep_rows({1});
  auto more = m->forward_cached(torch::tensor({int64_t(11)}).view({1, 1}),
                                torch::tensor({int64_t(5)}).view({1, 1}), cache, {1});
  seqs[1].push_back(11);
  EXPECT_LE((more[0][0] - reference_last(m, seqs[1])).abs().max().item<double>(), 1e-5);
}

TEST_P(KVCacheTest, FullCacheIsAClearError) {
  torch::NoGradGuard no_grad;
  auto m = tiny_model(3);
  auto cache_ptr = m->make_cache(1, 4);
  auto& cache = *cache_ptr;
  auto ids = torch::zeros({1, 5}, torch::kLong);
  auto pos = torch::arange(5, torch::kLong).unsqueeze(0);
  try {
    m->forward_cached(ids, pos, cache, {5});
    FAIL() << "expected an error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what_without_backtrace()).find("kv cache: full"), std::string::npos);
  }
}

TEST_P(KVCacheTest, RowWithNoVisibleKeyIsFinite) {
  torch::NoGradGuard no_grad;
  auto m = tiny_model(4);
  auto ids = torch::randint(97, {1, 4}, torch::kLong);
  auto pos = torch::arange(4, torch::kLong).unsqueeze(0);
  auto mask = torch::ones({4, 4}, torch::kBool).tril().unsqueeze(0).clone();  // (1, 4, 4)
  mask[0][2].fill_(false);  // row 2 sees nothing, like padding
  auto logits = m->forward(ids, pos, mask);
  EXPECT_TRUE(torch::isfinite(logits).all().item<bool>());
  // Rows that do not attend row 2 are unaffected by its mask (later rows do attend its keys).
  auto ref = m->forward(ids, pos);
  EXPECT_LE((logits[0].narrow(0, 0, 2) - ref[0].narrow(0, 0, 2)).abs().max().item<double>(), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Families, KVCacheTest, ::testing::ValuesIn(seqmatch::testing::families()),
                         [](const auto& info) { return info.param; });

TEST(Gpt2, AddTokensInitialisesToMeanAndKeepsOldLogits) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(5);
  sm::GPT2 m(sm::GPT2Options().vocab_size(97).n_positions(48).n_embd(32).n_layer(3).n_head(4));
  m->eval();
  auto ids = torch::randint(97, {2, 6}, torch::kLong);
  auto pos = torch::arange(6, torch::kLong).unsqueeze(0).expand({2, 6}).contiguous();
  auto before = m->forward(ids, pos);
  auto mean = m->wte->weight.mean(0);
  m->add_tokens(2);
  EXPECT_EQ(m->options().vocab_size(), 99);
  EXPECT_TRUE(torch::allclose(m->wte->weight[97], mean));
  EXPECT_TRUE(torch::allclose(m->wte->weight[98], mean));
  auto after = m->forward(ids, pos);  // (2, 6, 99)
  EXPECT_LE((after.narrow(2, 0, 97) - before).abs().max().item<double>(), 1e-6);
}
