// Parity of our GPT-2 with Hugging Face transformers, an independent implementation:
// fixtures/hf-gpt2-tiny holds a tiny random GPT2LMHeadModel saved by transformers, with its own
// float32 logits for input_ids and its greedy continuation of prompt_ids (EXPECTED.json).
// Run: ctest -R test_gpt2_parity
#include <gtest/gtest.h>

#include "model/checkpoint.h"
#include "model/safetensors.h"

namespace sm = seqmatch::model;

namespace {

const std::string kDir = std::string(SEQMATCH_FIXTURES_DIR) + "/hf-gpt2-tiny";

torch::Tensor positions_like(const torch::Tensor& ids) {
  return torch::arange(ids.size(1), torch::kLong).unsqueeze(0).expand_as(ids).contiguous();
}

// Max |a-b|, printing the first mismatches (tolerance: 1e-4 abs, float32 over 2 layers).
double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

}  // namespace

TEST(Gpt2Parity, LogitsMatchTransformers) {
  auto ckpt = sm::load_checkpoint(kDir, torch::kCPU);
  auto expected = sm::read_safetensors(kDir + "/expected.safetensors");
  auto ids = expected.at("input_ids");   // (3, 32)
  auto want = expected.at("logits");     // (3, 32, 300)
  torch::NoGradGuard no_grad;
  auto got = ckpt.model->forward(ids, positions_like(ids));  // causal fast path
  ASSERT_EQ(got.sizes(), want.sizes());
  EXPECT_LE(max_abs_diff(got, want), 1e-4);

  // The explicit-mask path (used by backspace packing) must agree too.
  const auto B = ids.size(0), T = ids.size(1);
  auto causal = torch::ones({T, T}, torch::kBool).tril().unsqueeze(0).expand({B, T, T});
  auto got_masked = ckpt.model->forward(ids, positions_like(ids), causal);
  EXPECT_LE(max_abs_diff(got_masked, want), 1e-4);
}

TEST(Gpt2Parity, GreedyTokensMatchTransformers) {
  auto ckpt = sm::load_checkpoint(kDir, torch::kCPU);
  auto expected = sm::read_safetensors(kDir + "/expected.safetensors");
  auto prompt = expected.at("prompt_ids");  // (2, 8)
  auto want = expected.at("greedy_ids");    // (2, 20)
  torch::NoGradGuard no_grad;

  // Full recompute every step.
  auto seq = prompt.clone();
  while (seq.size(1) < want.size(1)) {
    auto logits = ckpt.model->forward(seq, positions_like(seq));  // (2, t, V)
    auto next = logits.select(1, seq.size(1) - 1).argmax(-1, true);  // (2, 1)
    seq = torch::cat({seq, next}, 1);
  }
  EXPECT_TRUE(torch::equal(seq, want)) << seq << "\nvs\n" << want;

  // Through the KV cache.
  const auto B = prompt.size(0), P = prompt.size(1);
  auto cache_ptr = ckpt.model->make_cache(B, want.size(1));
  auto& cache = *cache_ptr;
  auto logits = ckpt.model->forward_cached(prompt, positions_like(prompt), cache, {P, P});
  auto cached = prompt.clone();
  while (cached.size(1) < want.size(1)) {
    auto next = logits.select(1, logits.size(1) - 1).argmax(-1, true);  // (2, 1)
    auto pos = torch::full({B, 1}, cached.size(1), torch::kLong);
    cached = torch::cat({cached, next}, 1);
    logits = ckpt.model->forward_cached(next, pos, cache, {1, 1});
  }
  EXPECT_TRUE(torch::equal(cached, want)) << cached << "\nvs\n" << want;
}
