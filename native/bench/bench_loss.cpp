// Objective overhead micro-benchmark (not a test): on the SAME packed batch (noise-augmented data
// rows + replay rows), time forward + loss + backward with the SequenceMatch loss vs the BC/MLE
// loss, so the difference is the cost of the objective itself (V over all states, V', r², the
// packing mask), separate from batch composition and rollouts.
//   build/cpu-release/native/bench_loss [vocab T B n_layer n_embd iters]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "data/noise.h"
#include "data/pack.h"
#include "loss/mle.h"
#include "loss/sequence_match.h"
#include "model/gpt2.h"

int main(int argc, char** argv) {
  namespace sd = seqmatch::data;
  namespace sl = seqmatch::loss;
  auto arg = [&](int i, int64_t d) { return argc > i ? std::atoll(argv[i]) : d; };
  const int64_t V = arg(1, 50259), T = arg(2, 128), B = arg(3, 8), L = arg(4, 4), C = arg(5, 128);
  const int iters = int(arg(6, 5));
  const int64_t bk = V - 1, eos = V - 3;
  torch::manual_seed(0);
  seqmatch::model::GPT2 model(seqmatch::model::GPT2Options().vocab_size(V).n_positions(2 * T)
                                  .n_embd(C).n_layer(L).n_head(4));
  model->train();
  // 6 data rows of T tokens with η = 0.05 uniform noise, 2 replay rows of 33 actions (as in the
  // tinyshakespeare run), the same traces for both objectives.
  std::mt19937 rng(1);
  std::vector<sd::ActionTrace> traces;
  sd::NoiseOptions noise;
  noise.eta = 0.05;
  noise.base_vocab = V - 3;
  for (int64_t b = 0; b < B - 2; ++b) {
    sd::Example e;
    for (int64_t t = 0; t < T; ++t) e.tokens.push_back(int64_t(rng() % uint64_t(V - 3)));
    traces.push_back(sd::augment(e, noise, bk, 7, uint64_t(b)));
  }
  for (int i = 0; i < 2; ++i) {
    sd::ActionTrace tr;
    tr.prompt_length = 1;
    tr.actions = {int64_t(rng() % 100)};
    for (int k = 0; k < 32; ++k) tr.actions.push_back(k % 5 == 4 ? bk : int64_t(rng() % 1000));
    tr.from_model = true;
    traces.push_back(tr);
  }
  auto p = sd::pack(traces, bk, eos, V);
  // The MLE baseline as the trainer runs it: B clean data rows, causal fast path (no mask).
  std::vector<sd::ActionTrace> clean;
  for (int64_t b = 0; b < B; ++b) {
    sd::ActionTrace tr;
    for (int64_t t = 0; t < T; ++t) tr.actions.push_back(int64_t(rng() % uint64_t(V - 3)));
    clean.push_back(tr);
  }
  auto q = sd::pack(clean, bk, eos, V);
  const auto opts = sl::SequenceMatchOptions();
  auto time_mle = [&]() {
    double total = 0;
    for (int i = 0; i <= iters; ++i) {
      model->zero_grad();
      const auto t0 = std::chrono::steady_clock::now();
      sl::bc_loss(model->forward(q.ids, q.pos), q, bk).backward();
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (i > 0) total += s;
    }
    return total / iters;
  };
  auto time_objective = [&](bool sm) {
    double total = 0;
    for (int i = 0; i <= iters; ++i) {
      model->zero_grad();
      const auto t0 = std::chrono::steady_clock::now();
      auto logits = model->forward(p.ids, p.pos, p.mask);  // (B, T', V)
      torch::Tensor loss;
      if (sm) {
        auto terms = sl::sequence_match_loss(logits, p, bk, opts);
        loss = 0.5 * terms.bc + 0.5 * terms.sm;
      } else {
        loss = sl::bc_loss(logits, p, bk);
      }
      loss.backward();
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (i > 0) total += s;  // iteration 0 warms up the allocator
    }
    return total / iters;
  };
  const double mle = time_mle(), bc = time_objective(false), sm = time_objective(true);
  const double data_sm = double((B - 2) * T), data_mle = double(B * T);
  std::printf("SM batch: %lld rows × %lld packed positions (%.0f data tokens); MLE batch: %lld × %lld; vocab %lld\n",
              (long long)B, (long long)p.ids.size(1), data_sm, (long long)B, (long long)T, (long long)V);
  std::printf("same SM batch, BC loss: %.3f s/step | same SM batch, SM loss: %.3f s/step | objective overhead %+.1f %%\n",
              bc, sm, 100.0 * (sm / bc - 1.0));
  std::printf("MLE (clean, causal): %.3f s/step = %.3f ms/data token | SM: %.3f ms/data token | overhead per data token %+.1f %%\n",
              mle, 1e3 * mle / data_mle, 1e3 * sm / data_sm, 100.0 * ((sm / data_sm) / (mle / data_mle) - 1.0));
  return 0;
}
