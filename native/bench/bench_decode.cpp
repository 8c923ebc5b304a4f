// Native decode micro-benchmark (not a test): tokens/s of the backspace-aware batched decoder
// over the KV cache, per batch size, for a random GPT-2 of a given size; greedy, 16-token prompts.
//   build/cpu-release/native/bench_decode [n_layer n_embd n_head vocab new_tokens batch...]
//                                         [--repeats N] [--json]
// Prints one line per batch: tokens/s and ms per step (the median of N timed runs after a
// warm-up; each run includes the prompt prefill). --json prints
// {"impl":"native","bench":"decode-B","times_s":[..],"cpu_s":[..]} per batch (wall and process CPU
// seconds per run) for scripts/bench/peer.sh.
// Figures: docs/PERFORMANCE.md.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "model/family.h"
#include "sample/sampler.h"
#include "util/hugepage_malloc.h"

// CPU seconds of this process (all threads, user + system): see bench_loss.cpp.
static double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

int main(int argc, char** argv) {
  seqmatch::util::ensure_hugepage_malloc(argv);
  namespace sm = seqmatch::model;
  namespace ss = seqmatch::sample;
  std::vector<const char*> pos;
  bool json = false;
  int repeats = 1;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--json")) json = true;
    else if (!std::strcmp(argv[i], "--repeats") && i + 1 < argc) repeats = std::max(1, std::atoi(argv[++i]));
    else pos.push_back(argv[i]);
  }
  auto arg = [&](size_t i, int64_t d) { return pos.size() > i ? std::atoll(pos[i]) : d; };
  const int64_t n_layer = arg(0, 4), n_embd = arg(1, 256), n_head = arg(2, 4), vocab = arg(3, 50304);
  const int64_t new_tokens = arg(4, 128);
  std::vector<int64_t> batches;
  for (size_t i = 5; i < pos.size(); ++i) batches.push_back(std::atoll(pos[i]));
  if (batches.empty()) batches = {1, 8, 64};
  const std::string device = std::getenv("SEQMATCH_DEVICE") ? std::getenv("SEQMATCH_DEVICE") : "cpu";
  torch::manual_seed(0);
  sm::ModelConfig config;  // GPT-2; any family runs through the same DecoderLM interface
  config.gpt2.vocab_size(vocab).n_positions(1024).n_embd(n_embd).n_layer(n_layer).n_head(n_head);
  auto model = sm::make_model(config);
  model->to(torch::Device(device));
  model->eval();
  sm::SpecialTokens tokens;  // no <eos>, no <bkspc>: every row generates exactly new_tokens
  if (!json)
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
    std::vector<double> times, cpu;
    for (int r = 0; r < repeats; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      const double c0 = cpu_seconds();
      ss::generate(model, tokens, prompts, o);
      if (device != "cpu") torch::cuda::synchronize();
      times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      cpu.push_back(cpu_seconds() - c0);
    }
    std::sort(times.begin(), times.end());
    std::sort(cpu.begin(), cpu.end());
    const double s = times[times.size() / 2];
    if (json) {
      std::printf("{\"impl\":\"native\",\"bench\":\"decode-%lld\",\"times_s\":[", (long long)B);
      for (size_t i = 0; i < times.size(); ++i) std::printf("%s%.4f", i ? "," : "", times[i]);
      std::printf("],\"cpu_s\":[");
      for (size_t i = 0; i < cpu.size(); ++i) std::printf("%s%.4f", i ? "," : "", cpu[i]);
      std::printf("]}\n");
    } else {
      std::printf("batch %4lld | %9.1f tokens/s | %7.3f ms/step\n", (long long)B,
                  double(B * new_tokens) / s, 1e3 * s / double(new_tokens));
    }
    std::fflush(stdout);
  }
  return 0;
}
