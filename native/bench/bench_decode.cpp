// Native decode micro-benchmark (not a test): tokens/s of the backspace-aware batched decoder
// over the KV cache, per batch size, for a random GPT-2 of a given size.
//   build/cpu-release/native/bench_decode [n_layer n_embd n_head vocab new_tokens batch...]
// Prints one line per batch: tokens/s and ms per step. Figures: docs/PERFORMANCE.md.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "sample/sampler.h"

int main(int argc, char** argv) {
  namespace sm = seqmatch::model;
  namespace ss = seqmatch::sample;
  auto arg = [&](int i, int64_t d) { return argc > i ? std::atoll(argv[i]) : d; };
  const int64_t n_layer = arg(1, 4), n_embd = arg(2, 256), n_head = arg(3, 4), vocab = arg(4, 50304);
  const int64_t new_tokens = arg(5, 128);
  std::vector<int64_t> batches;
  for (int i = 6; i < argc; ++i) batches.push_back(std::atoll(argv[i]));
  if (batches.empty()) batches = {1, 8, 64};
  const std::string device = std::getenv("SEQMATCH_DEVICE") ? std::getenv("SEQMATCH_DEVICE") : "cpu";
  torch::manual_seed(0);
  sm::GPT2 model(sm::GPT2Options().vocab_size(vocab).n_positions(1024).n_embd(n_embd)
                     .n_layer(n_layer).n_head(n_head));
  model->to(torch::Device(device));
  model->eval();
  sm::SpecialTokens tokens;  // no <eos>, no <bkspc>: every row generates exactly new_tokens
  std::printf("device %s threads %d | n_layer %lld n_embd %lld vocab %lld | %lld new tokens\n",
              device.c_str(), at::get_num_threads(), (long long)n_layer, (long long)n_embd,
              (long long)vocab, (long long)new_tokens);
  for (int64_t B : batches) {
    std::vector<std::vector<int64_t>> prompts(static_cast<size_t>(B));
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = 0; t < 16; ++t) prompts[size_t(b)].push_back((b * 31 + t * 7) % vocab);
    ss::SamplingOptions o;
    o.greedy = true;
    o.max_new_tokens = new_tokens;
    ss::generate(model, tokens, prompts, o);  // warm-up
    const auto t0 = std::chrono::steady_clock::now();
    ss::generate(model, tokens, prompts, o);
    if (device != "cpu") torch::cuda::synchronize();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("batch %4lld | %9.1f tokens/s | %7.3f ms/step\n", (long long)B,
                double(B * new_tokens) / s, 1e3 * s / double(new_tokens));
  }
  return 0;
}
