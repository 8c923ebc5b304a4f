// SequenceMatch vs MLE cost per data token, rollouts included (issue 15; not a test). Two
// Trainers on the same byte-level data run in interleaved rounds (the order alternates per
// round): MLE on clean rows, and SequenceMatch from step 0 with η noise and the default replay
// settings (train_config.h: 16 rollouts of 64 new tokens, buffer 256) but a rollout round every
// `sample_every` steps and `model_rows` replay trajectories per batch (default: train_config.h's).
// Per round: Σ t_total / Σ data tokens of each, and their ratio; printed as medians and [min, max] over the rounds (round 0 warms up, not counted).
//   build/cpu-release/native/bench_sm_cost DATA.txt [rounds=5 steps_per_round=10 sample_every=5 eta=0.05 model_rows batch=8]
// DATA.txt: any text; its bytes are the tokens (ids 0..255; <eos> 256, <pad> 257, <bkspc> 258),
// cut into rows of 128 (batch 8 × 128 unless `batch` says otherwise; model 4 layers × 128, 4 heads,
// context 256).
// Then, to show where the rest goes, forward + loss + backward on fixed batches of one model, as
// the trainer runs them (hidden states, chunked head, loss), each phase timed
// (medians over interleaved repetitions): MLE's 8 clean rows on the causal fast path, the same
// rows through the explicit-mask path, the SequenceMatch batch (8 noisy rows + 4 replay
// trajectories of 65 actions, packed as the trainer packs them) under the BC loss, then under
// the SequenceMatch loss.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <unistd.h>

#include "data/dataset.h"
#include "data/noise.h"
#include "data/pack.h"
#include "loss/head.h"
#include "loss/mle.h"
#include "loss/sequence_match.h"
#include "model/family.h"
#include "train/trainer.h"
#include "util/remove_tree.h"

namespace {

namespace fs = std::filesystem;
namespace sd = seqmatch::data;
namespace st = seqmatch::train;

struct Round {
  double ms_per_token = 0, t_rollout = 0, t_forward = 0, t_backward = 0, t_optim = 0;
  double tokens = 0, actions = 0, rows = 0, positions = 0;
};

Round run_round(st::Trainer& t, int steps) {
  Round r;
  double total = 0;
  for (int i = 0; i < steps; ++i) {
    const auto m = t.step();
    total += m.t_total;
    r.t_rollout += m.t_rollout;
    r.t_forward += m.t_forward;
    r.t_backward += m.t_backward;
    r.t_optim += m.t_optim;
    r.tokens += double(m.tokens);
    r.actions += double(m.actions);
    r.rows += double(m.packed_rows);
    r.positions += double(m.packed_positions);
  }
  r.ms_per_token = 1e3 * total / std::max(1.0, r.tokens);
  return r;
}

// Median and range of one field over the rounds.
template <typename F>
void report(const char* label, const std::vector<Round>& rounds, F field, const char* unit) {
  std::vector<double> v;
  for (const auto& r : rounds) v.push_back(field(r));
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  const double median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  std::printf("  %-34s %9.3f %s  [%.3f, %.3f]\n", label, median, unit, v.front(), v.back());
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Forward + loss + backward on fixed batches: see the header comment.
void fixed_batches(const std::vector<sd::Example>& rows, double eta, int reps) {
  constexpr int64_t kV = 259, kEos = 256, kBk = 258;
  namespace sl = seqmatch::loss;
  torch::manual_seed(0);
  seqmatch::model::ModelConfig config;  // GPT-2
  config.gpt2.vocab_size(kV).n_positions(256).n_embd(128).n_layer(4).n_head(4);
  auto model = seqmatch::model::make_model(config);
  model->train();
  sd::NoiseOptions noise;
  noise.eta = eta;
  noise.base_vocab = 256;
  noise.eos_id = kEos;
  std::vector<sd::ActionTrace> clean, noisy, replay;
  for (size_t i = 0; i < 8; ++i) {
    clean.push_back(sd::augment(rows[i], sd::NoiseOptions(), kBk, 0, i));
    noisy.push_back(sd::augment(rows[i], noise, kBk, 7, i));
  }
  for (size_t i = 0; i < 4; ++i) {  // 1 prompt byte + 64 generated ones, as a default rollout
    sd::ActionTrace tr;
    tr.actions.assign(rows[8 + i].tokens.begin(), rows[8 + i].tokens.begin() + 65);
    tr.from_model = true;
    replay.push_back(tr);
  }
  const auto mle = sd::pack(clean, kBk, kEos, kV);
  const auto smb = sd::pack_rows(sd::batch_rows(noisy, replay, kBk), kBk, kEos, kV);
  const auto opts = sl::SequenceMatchOptions();
  struct Case {
    const char* what;
    const sd::PackedBatch* p;
    bool mask, sm;
    std::vector<double> s, model_s, loss_s, back_s;
  };
  std::vector<Case> cases = {{"MLE rows, causal fast path, BC (= MLE) loss", &mle, false, false, {}, {}, {}, {}},
                             {"MLE rows, explicit mask, BC loss", &mle, true, false, {}, {}, {}, {}},
                             {"SM batch, explicit mask, BC loss", &smb, true, false, {}, {}, {}, {}},
                             {"SM batch, explicit mask, SM loss", &smb, true, true, {}, {}, {}, {}}};
  using Clock = std::chrono::steady_clock;
  auto since = [](Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); };
  for (int r = 0; r <= reps; ++r) {
    for (auto& c : cases) {
      model->zero_grad();
      // As the trainer runs a step: hidden states of the state rows, the chunked head, the loss.
      const auto t0 = Clock::now();
      auto h = model->hidden(c.p->ids, c.p->pos, c.mask ? c.p->mask : torch::Tensor());
      const double t_model = since(t0);
      const auto t1 = Clock::now();
      auto head = sl::lm_head_output(h, model->head_weight_like(h), sl::policy_query(*c.p, kBk));
      torch::Tensor loss;
      if (c.sm) {
        auto t = sl::sequence_match_loss(head, *c.p, opts);
        loss = 0.5 * t.bc + 0.5 * t.sm;
      } else {
        loss = sl::bc_loss(head, *c.p);
      }
      const double t_loss = since(t1);
      const auto t2 = Clock::now();
      loss.backward();
      const double t_back = since(t2), s = since(t0);
      if (r > 0) {  // repetition 0 warms up the allocator
        c.s.push_back(s);
        c.model_s.push_back(t_model);
        c.loss_s.push_back(t_loss);
        c.back_s.push_back(t_back);
      }
    }
  }
  std::printf("fixed batches, model forward + head and loss + backward (%d repetitions, medians):\n", reps);
  const double base = median(cases[0].s);
  for (const auto& c : cases) {
    const double m = median(c.s);
    std::printf("  %-46s %3lld × %3lld = %5lld positions  %7.1f ms  %.2fx  (model %.1f, head+loss %.1f, "
                "backward %.1f ms)\n", c.what, (long long)c.p->ids.size(0), (long long)c.p->ids.size(1),
                (long long)c.p->ids.numel(), 1e3 * m, m / base, 1e3 * median(c.model_s),
                1e3 * median(c.loss_s), 1e3 * median(c.back_s));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_sm_cost DATA.txt [rounds=5 steps_per_round=10 sample_every=5 eta=0.05 model_rows batch=8]\n");
    return 2;
  }
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  const int steps = argc > 3 ? std::atoi(argv[3]) : 10;
  const int64_t sample_every = argc > 4 ? std::atoll(argv[4]) : 5;
  const double eta = argc > 5 ? std::atof(argv[5]) : 0.05;
  const int64_t model_rows = argc > 6 ? std::atoll(argv[6]) : st::TrainConfig().model_rows;
  const int64_t batch = argc > 7 ? std::atoll(argv[7]) : 8;
  if (rounds < 1 || steps < 1 || sample_every < 1 || eta < 0 || eta >= 1 || model_rows < 0 || batch < 1) {
    std::fprintf(stderr, "bench_sm_cost: rounds, steps_per_round, sample_every must be >= 1, eta in [0, 1) "
                 "model_rows >= 0 and batch >= 1\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "bench_sm_cost: cannot read %s\n", argv[1]);
    return 2;
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  constexpr int64_t kRow = 128, kEos = 256, kPad = 257, kBk = 258;
  std::vector<sd::Example> rows;
  for (size_t at = 0; at + kRow <= text.size() && rows.size() < 4096; at += kRow) {
    sd::Example e;
    for (size_t i = at; i < at + kRow; ++i) e.tokens.push_back(int64_t(static_cast<unsigned char>(text[i])));
    rows.push_back(std::move(e));
  }
  if (rows.size() < 64) {
    std::fprintf(stderr, "bench_sm_cost: %s holds fewer than 64 rows of %lld bytes\n", argv[1], (long long)kRow);
    return 2;
  }
  const fs::path dir = fs::temp_directory_path() / ("bench_sm_cost." + std::to_string(::getpid()));
  fs::create_directories(dir);
  sd::write_smtok((dir / "train.smtok").string(), rows);

  auto config = [&](const std::string& objective) {
    st::TrainConfig c;  // model 4 × 128, replay defaults (train_config.h) except sample_every
    c.vocab_size = 259;
    c.eos_token_id = kEos;
    c.pad_token_id = kPad;
    c.bkspc_token_id = kBk;
    c.train_data = (dir / "train.smtok").string();
    c.objective = objective;
    c.warmup_bc_steps = 0;  // SequenceMatch (and its replay) from the first step
    c.noise_eta = objective == "mle" ? 0.0 : eta;
    c.sample_every = sample_every;
    c.model_rows = model_rows;
    c.batch_size = batch;
    c.max_steps = 1000000;  // the schedule plays no part in the timing
    c.eval_every = 0;
    c.checkpoint_every = 0;
    c.out_dir = (dir / objective).string();
    return c;
  };
  st::Trainer mle(config("mle")), sm(config("sequence_match"));
  std::vector<Round> mle_rounds, sm_rounds;
  std::vector<double> ratios;
  for (int r = 0; r <= rounds; ++r) {
    Round a, b;
    if (r % 2 == 0) {
      a = run_round(mle, steps);
      b = run_round(sm, steps);
    } else {
      b = run_round(sm, steps);
      a = run_round(mle, steps);
    }
    std::fprintf(stderr, "round %d%s: MLE %.3f ms/token, SM %.3f ms/token, ratio %.3f\n", r,
                 r == 0 ? " (warm-up)" : "", a.ms_per_token, b.ms_per_token, b.ms_per_token / a.ms_per_token);
    if (r == 0) continue;
    mle_rounds.push_back(a);
    sm_rounds.push_back(b);
  }
  std::error_code ec;
  seqmatch::util::remove_tree(dir.string(), ec);

  std::printf("bench_sm_cost: %d rounds × %d steps each (medians [min, max]); batch %lld × %lld bytes, "
              "SM: η %.3g, rollouts every %lld steps, %lld replay trajectories per batch\n", rounds, steps,
              (long long)batch, (long long)kRow, eta, (long long)sample_every, (long long)model_rows);
  const double n = double(steps);
  for (int k = 0; k < 2; ++k) {
    const auto& rs = k == 0 ? mle_rounds : sm_rounds;
    std::printf("%s\n", k == 0 ? "MLE" : "SequenceMatch");
    report("time per data token", rs, [](const Round& r) { return r.ms_per_token; }, "ms");
    report("data tokens per step", rs, [&](const Round& r) { return r.tokens / n; }, "");
    report("loss rows (actions) per step", rs, [&](const Round& r) { return r.actions / n; }, "");
    report("packed rows per step", rs, [&](const Round& r) { return r.rows / n; }, "");
    report("packed positions per step", rs, [&](const Round& r) { return r.positions / n; }, "");
    report("forward per step", rs, [&](const Round& r) { return 1e3 * r.t_forward / n; }, "ms");
    report("backward per step", rs, [&](const Round& r) { return 1e3 * r.t_backward / n; }, "ms");
    report("optimizer per step", rs, [&](const Round& r) { return 1e3 * r.t_optim / n; }, "ms");
    report("rollouts per step (amortised)", rs, [&](const Round& r) { return 1e3 * r.t_rollout / n; }, "ms");
  }
  std::vector<Round> ratio_rounds;
  for (size_t i = 0; i < sm_rounds.size(); ++i) {
    Round q;
    q.ms_per_token = sm_rounds[i].ms_per_token / mle_rounds[i].ms_per_token;
    ratio_rounds.push_back(q);
  }
  report("SM / MLE time per data token", ratio_rounds, [](const Round& r) { return r.ms_per_token; }, "x");
  fixed_batches(rows, eta, 2 * rounds + 1);
  return 0;
}
