// Training-step micro-benchmark (not a test): forward + loss + backward of a random GPT-2, the
// LM head and losses as the trainer runs them (chunked, loss/head.h), per iteration:
//   mle  B clean rows of T tokens, causal fast path, BC/MLE loss (= cross-entropy);
//   sm   the SAME model on a packed batch of B−2 noise-augmented data rows (η 0.05) and 2 replay
//        rows of 33 actions with <bkspc>, explicit packing mask, 0.5·BC + 0.5·SequenceMatch-χ²;
//   bc   BC alone on the sm batch, so sm − bc is the cost of the objective itself.
//   build/cpu-release/native/bench_loss [vocab T B n_layer n_embd iters] [--only mle|sm|bc]
//                                       [--json] [--dump-batches FILE] [--chunk-rows N]
//                                       [--heads H] [--device cpu|cuda] [--bf16] [--adamw] [--phases]
// --heads: attention heads (default 4; GPT-2 124M has 12). --device cuda times with a synchronize
// after each step; --bf16 runs forward and loss under bf16 autocast (as the trainer does on CUDA);
// --adamw adds the optimizer step (train::FusedAdamW, as the trainer's) to each timed step.
// --phases adds "phases_s": median seconds of [model forward, LM head + loss, backward, optimizer], with
// a synchronize between phases on CUDA (which costs the overlap, so time totals without it).
// --json prints one line per bench, {"impl":"native","bench":..,"times_s":[..],"cpu_s":[..],
// "peak_rss_mb":..,"data_tokens":..,"device":..,"bf16":..,"adamw":..} (wall and process CPU seconds per iteration),
// for scripts/bench/peer.sh; --dump-batches writes both batches (safetensors) for the Python peer
// (scripts/bench/peer.py) and exits. Iteration 0 is a warm-up and not reported.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>

#include <torch/torch.h>

#include "data/noise.h"
#include "data/pack.h"
#include "loss/head.h"
#include "loss/mle.h"
#include "loss/sequence_match.h"
#include "model/family.h"
#include "model/safetensors.h"
#include "train/fused_adamw.h"
#include "util/autocast.h"
#include "util/hugepage_malloc.h"

namespace {

// CPU seconds of this process (all threads, user + system): on a machine shared with other jobs
// it moves far less than wall time, and page faults (system time) stay in it.
double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

}  // namespace

int main(int argc, char** argv) {
  seqmatch::util::ensure_hugepage_malloc(argv);
  namespace sd = seqmatch::data;
  namespace sl = seqmatch::loss;
  std::vector<const char*> pos;
  std::string only, dump;
  int64_t chunk_rows = 0;  // 0: the default (loss::kChunkBytes of logits per chunk)
  int64_t heads = 4;
  std::string device_name = "cpu";
  bool json = false, bf16 = false, adamw = false, phases = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
    else if (!std::strcmp(argv[i], "--dump-batches") && i + 1 < argc) dump = argv[++i];
    else if (!std::strcmp(argv[i], "--chunk-rows") && i + 1 < argc) chunk_rows = std::atoll(argv[++i]);
    else if (!std::strcmp(argv[i], "--json")) json = true;
    else if (!std::strcmp(argv[i], "--heads") && i + 1 < argc) heads = std::atoll(argv[++i]);
    else if (!std::strcmp(argv[i], "--device") && i + 1 < argc) device_name = argv[++i];
    else if (!std::strcmp(argv[i], "--bf16")) bf16 = true;
    else if (!std::strcmp(argv[i], "--adamw")) adamw = true;
    else if (!std::strcmp(argv[i], "--phases")) phases = true;
    else pos.push_back(argv[i]);
  }
  if (!only.empty() && only != "mle" && only != "sm" && only != "bc") {
    std::fprintf(stderr, "bench_loss: --only must be mle, sm or bc (got '%s')\n", only.c_str());
    return 2;
  }
  auto arg = [&](size_t i, int64_t d) { return pos.size() > i ? std::atoll(pos[i]) : d; };
  const int64_t V = arg(0, 50259), T = arg(1, 128), B = arg(2, 8), L = arg(3, 4), C = arg(4, 128);
  const int iters = int(arg(5, 5));
  if (heads < 1 || C % heads != 0) {
    std::fprintf(stderr, "bench_loss: --heads must divide n_embd %lld (got %lld)\n", (long long)C, (long long)heads);
    return 2;
  }
  if (device_name != "cpu" && device_name != "cuda") {
    std::fprintf(stderr, "bench_loss: --device must be cpu or cuda (got '%s')\n", device_name.c_str());
    return 2;
  }
  if (device_name == "cuda" && !torch::cuda::is_available()) {
    std::fprintf(stderr, "bench_loss: --device cuda but this libtorch sees no CUDA device\n");
    return 2;
  }
  if (bf16 && device_name != "cuda") {
    std::fprintf(stderr, "bench_loss: --bf16 is autocast on CUDA; it needs --device cuda\n");
    return 2;
  }
  const torch::Device device(device_name == "cuda" ? torch::kCUDA : torch::kCPU);
  const int64_t bk = V - 1, eos = V - 3;
  torch::manual_seed(0);
  seqmatch::model::ModelConfig config;  // GPT-2
  config.gpt2.vocab_size(V).n_positions(2 * T).n_embd(C).n_layer(L).n_head(heads);
  auto model = seqmatch::model::make_model(config);
  model->to(device);
  model->train();
  // B−2 data rows of T tokens with η = 0.05 uniform noise, 2 replay rows of 33 actions (as in the
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
  auto p = sd::pack(traces, bk, eos, V).to(device);
  // The MLE baseline as the trainer runs it: B clean data rows, causal fast path (no mask).
  std::vector<sd::ActionTrace> clean;
  for (int64_t b = 0; b < B; ++b) {
    sd::ActionTrace tr;
    for (int64_t t = 0; t < T; ++t) tr.actions.push_back(int64_t(rng() % uint64_t(V - 3)));
    clean.push_back(tr);
  }
  auto q = sd::pack(clean, bk, eos, V).to(device);
  if (!dump.empty()) {
    std::vector<std::pair<std::string, torch::Tensor>> out;
    auto add = [&](const std::string& prefix, const sd::PackedBatch& b) {
      out.emplace_back(prefix + "ids", b.ids);
      out.emplace_back(prefix + "pos", b.pos);
      out.emplace_back(prefix + "mask", b.mask.to(torch::kUInt8));
      out.emplace_back(prefix + "state", b.state);
      out.emplace_back(prefix + "target", b.target);
      out.emplace_back(prefix + "loss_row", b.loss_row.to(torch::kUInt8));
      out.emplace_back(prefix + "expert", b.expert.to(torch::kUInt8));
      out.emplace_back(prefix + "terminal", b.terminal.to(torch::kUInt8));
      out.emplace_back(prefix + "bk_allowed", b.bk_allowed.to(torch::kUInt8));
      out.emplace_back(prefix + "step", b.step.to(torch::kFloat));
      out.emplace_back(prefix + "from_model", b.from_model.to(torch::kUInt8));
    };
    add("sm.", p);
    add("mle.", q);
    seqmatch::model::write_safetensors(dump, out, {{"vocab", std::to_string(V)}, {"bkspc", std::to_string(bk)}});
    return 0;
  }
  const auto opts = sl::SequenceMatchOptions();
  auto w = [&]() { return model->head_weight(); };
  std::unique_ptr<torch::optim::AdamW> optimizer;  // the trainer's: fused kernels on CUDA (libtorch >= 2)
  if (adamw) optimizer = std::make_unique<seqmatch::train::FusedAdamW>(model->parameters(), torch::optim::AdamWOptions(1e-4));
  const bool cuda = device.is_cuda();
  using Forward = std::function<torch::Tensor()>;                      // the model: hidden states
  using HeadLoss = std::function<torch::Tensor(const torch::Tensor&)>;  // LM head + loss on them
  auto run = [&](const std::string& name, const Forward& forward, const HeadLoss& head_loss, int64_t data_tokens) {
    std::vector<double> times, cpu;
    std::vector<std::vector<double>> phase(4);  // forward, head + loss, backward, optimizer
    for (int i = 0; i <= iters; ++i) {
      model->zero_grad();
      if (cuda) torch::cuda::synchronize();
      const auto t0 = std::chrono::steady_clock::now();
      const double c0 = cpu_seconds();
      auto mark = t0;
      auto lap = [&](int k) {
        if (!phases) return;
        if (cuda) torch::cuda::synchronize();
        const auto now = std::chrono::steady_clock::now();
        if (i > 0) phase[k].push_back(std::chrono::duration<double>(now - mark).count());
        mark = now;
      };
      torch::Tensor l;
      {
        seqmatch::util::AutocastGuard autocast(bf16 && cuda);
        auto h = forward();
        lap(0);
        l = head_loss(h);
        lap(1);
      }
      l.backward();
      lap(2);
      if (optimizer) optimizer->step();
      lap(3);
      if (cuda) torch::cuda::synchronize();  // the step's kernels have run, not just been queued
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (i > 0) times.push_back(s), cpu.push_back(cpu_seconds() - c0);  // iteration 0 warms up
    }
    std::string phase_json;
    if (phases) {
      phase_json = ",\"phases_s\":[";
      for (size_t k = 0; k < phase.size(); ++k) {
        auto v = phase[k];
        std::sort(v.begin(), v.end());
        char b[32];
        std::snprintf(b, sizeof b, "%s%.4f", k ? "," : "", v.empty() ? 0.0 : v[v.size() / 2]);
        phase_json += b;
      }
      phase_json += "]";
    }
    std::sort(times.begin(), times.end());
    std::sort(cpu.begin(), cpu.end());
    const double median = times[times.size() / 2];
    if (json) {
      std::printf("{\"impl\":\"native\",\"bench\":\"%s\",\"times_s\":[", name.c_str());
      for (size_t i = 0; i < times.size(); ++i) std::printf("%s%.4f", i ? "," : "", times[i]);
      std::printf("],\"cpu_s\":[");
      for (size_t i = 0; i < cpu.size(); ++i) std::printf("%s%.4f", i ? "," : "", cpu[i]);
      std::printf("],\"peak_rss_mb\":%.1f,\"data_tokens\":%lld,\"device\":\"%s\",\"bf16\":%s,\"adamw\":%s%s}\n",
                  peak_rss_mb(), (long long)data_tokens, device_name.c_str(), bf16 && cuda ? "true" : "false",
                  adamw ? "true" : "false", phase_json.c_str());
    } else {
      std::printf("%-4s median %.3f s/step (min %.3f, max %.3f), CPU %.3f s | peak RSS so far %.0f MB\n",
                  name.c_str(), median, times.front(), times.back(), cpu[cpu.size() / 2], peak_rss_mb());
    }
    std::fflush(stdout);
    return median;
  };
  double mle = 0, bc = 0, sm = 0;
  if (only.empty() || only == "mle")
    mle = run("mle", [&] { return model->hidden(q.ids, q.pos); },  // (B, T, C), causal fast path
              [&](const torch::Tensor& h) {
                return sl::bc_loss(sl::lm_head_output(h, w(), sl::policy_query(q, bk), chunk_rows), q);
              }, B * T);
  if (only.empty() || only == "bc")
    bc = run("bc", [&] { return model->hidden(p.ids, p.pos, p.mask); },
             [&](const torch::Tensor& h) {
               return sl::bc_loss(sl::lm_head_output(h, w(), sl::policy_query(p, bk), chunk_rows), p);
             }, (B - 2) * T);
  if (only.empty() || only == "sm")
    sm = run("sm", [&] { return model->hidden(p.ids, p.pos, p.mask); },
             [&](const torch::Tensor& h) {
               auto o = sl::lm_head_output(h, w(), sl::policy_query(p, bk), chunk_rows);
               auto terms = sl::sequence_match_loss(o, p, opts);
               return 0.5 * terms.bc + 0.5 * terms.sm;
             }, (B - 2) * T);
  if (!json && only.empty()) {
    const double data_sm = double((B - 2) * T), data_mle = double(B * T);
    std::printf("SM batch: %lld rows × %lld packed positions (%.0f data tokens); MLE batch: %lld × %lld; vocab %lld\n",
                (long long)B, (long long)p.ids.size(1), data_sm, (long long)B, (long long)T, (long long)V);
    std::printf("objective overhead (sm vs bc, same batch) %+.1f %% | per data token: MLE %.3f ms, SM %.3f ms (%+.1f %%)\n",
                100.0 * (sm / bc - 1.0), 1e3 * mle / data_mle, 1e3 * sm / data_sm,
                100.0 * ((sm / data_sm) / (mle / data_mle) - 1.0));
  }
  return 0;
}
