// Every loss against an independent float64 reference written here with explicit loops over
// rows (states replayed from the action trace, not taken from the packer), on random logits
// and traces with <eos> endings, truncation, noise and replay-buffer rows; gradients checked
// by central finite differences on a tiny case; EMO's DEMD in fp32 under autocast; a chunk of
// two documents equal to the documents apart; the chunked LM head (head.h) equal to the same
// losses on full logits, values and gradients, in float64. Run: ctest -R test_loss
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "data/dataset.h"
#include "data/noise.h"
#include "loss/emo.h"
#include "loss/head.h"
#include "loss/mle.h"
#include "loss/normalisers.h"
#include "loss/sequence_match.h"
#include "model/gpt2.h"
#include "tiny_models.h"

namespace sd = seqmatch::data;
namespace sl = seqmatch::loss;

namespace {

constexpr int64_t kV = 7, kBk = 6, kEos = 5;

struct Ref {
  double sm = 0, bc = 0, mean_r = 0;
};

double ref_phi(sl::Divergence d, double r) {
  switch (d) {
    case sl::Divergence::kChi2Mixture: return r;
    case sl::Divergence::kChi2: return r - r * r / 4;
    case sl::Divergence::kKL: return -std::exp(-r - 1);
    case sl::Divergence::kJS: return std::log(2 - std::exp(-std::max(r, -std::log(2.0) + 1e-4)));
    case sl::Divergence::kHellinger: {
      double rc = std::max(r, -1 + 1e-4);
      return rc / (1 + rc);
    }
  }
  return r;
}

Ref reference(const torch::Tensor& logits, const std::vector<sd::ActionTrace>& traces,
              sl::Divergence div, double gamma, double alpha, double v_absorb = 0) {
  auto L = logits.accessor<double, 3>();
  double wD = 0, wM = 0, phiD = 0, dvD = 0, dvM = 0, r2D = 0, r2M = 0, bc = 0, nbc = 0;
  double rD = 0, nD = 0;
  for (size_t b = 0; b < traces.size(); ++b) {
    const auto& tr = traces[b];
    const int64_t n = int64_t(tr.actions.size()), P = tr.prompt_length;
    std::vector<double> V(n);
    int64_t len = 0;
    for (int64_t t = 0; t < n; ++t) {
      len += tr.actions[t] == kBk ? -1 : 1;
      const bool bk_ok = len > P;
      double m = -1e300;
      for (int64_t v = 0; v < kV; ++v)
        if (v != kBk || bk_ok) m = std::max(m, L[b][t][v]);
      double s = 0;
      for (int64_t v = 0; v < kV; ++v)
        if (v != kBk || bk_ok) s += std::exp(L[b][t][v] - m);
      V[t] = m + std::log(s);
    }
    for (int64_t t = P - 1; t + 1 < n; ++t) {
      const int64_t a = tr.actions[t + 1];
      const double Q = L[b][t][a];
      const double Vn = a == kEos ? gamma * v_absorb : gamma * V[t + 1];
      const double r = Q - Vn, w = std::pow(gamma, double(t - (P - 1)));
      const bool expert = tr.noise.empty() || tr.noise[t + 1] == 0;
      if (tr.from_model) {
        wM += w, dvM += w * (V[t] - Vn), r2M += w * r * r;
      } else {
        wD += w, dvD += w * (V[t] - Vn), r2D += w * r * r, rD += r, nD += 1;
        if (expert) phiD += w * ref_phi(div, r), bc += -(Q - V[t]), nbc += 1;
      }
    }
  }
  const double c = div == sl::Divergence::kChi2Mixture ? 1 / (4 * alpha) : 0;
  Ref out;
  out.sm = -phiD / wD + 0.5 * (dvD / wD + (wM > 0 ? dvM / wM : 0)) +
           c * 0.5 * (r2D / wD + (wM > 0 ? r2M / wM : 0));
  out.bc = bc / nbc;
  out.mean_r = rD / nD;
  return out;
}

std::vector<sd::ActionTrace> random_traces(std::mt19937& rng, int n, int64_t max_len) {
  std::vector<sd::ActionTrace> out;
  std::uniform_int_distribution<int64_t> tok(0, kEos - 1);
  for (int i = 0; i < n; ++i) {
    sd::ActionTrace tr;
    tr.prompt_length = 1 + i % 3;
    for (int64_t k = 0; k < tr.prompt_length; ++k) tr.actions.push_back(tok(rng)), tr.noise.push_back(0);
    int64_t generated = 0;
    const int64_t target_len = tr.prompt_length + 2 + int64_t(rng() % (max_len - tr.prompt_length - 2));
    while (int64_t(tr.actions.size()) < target_len - 1) {
      const auto u = rng() % 10;
      if (u < 2 && generated > 0) {
        tr.actions.push_back(kBk), tr.noise.push_back(0), --generated;
      } else if (u < 4 && int64_t(tr.actions.size()) + 2 < target_len) {  // noise, then <bkspc>
        tr.actions.push_back(tok(rng)), tr.noise.push_back(1);
        tr.actions.push_back(kBk), tr.noise.push_back(0);
      } else {
        tr.actions.push_back(tok(rng)), tr.noise.push_back(0), ++generated;
      }
    }
    // Half end with <eos> (terminal), half are truncated (bootstrapped).
    tr.actions.push_back(i % 2 == 0 ? kEos : tok(rng)), tr.noise.push_back(0);
    tr.from_model = i % 4 == 3;
    out.push_back(tr);
  }
  return out;
}

// A batch split as data parallelism splits it: rank r of `ranks` holds rows r, r+ranks, ...,
// packed alone (so padded to its own longest row), with its slice of the per-row tensor `x`
// (B, T, ·) of the whole batch, and the denominators summed over the ranks (normalisers.h).
struct Shards {
  std::vector<sd::PackedBatch> batches;
  std::vector<torch::Tensor> x;
  sl::Normalisers global;
};

Shards split_batch(const std::vector<sd::ActionTrace>& traces, const torch::Tensor& x, int ranks,
                   const sl::SequenceMatchOptions& o) {
  Shards s;
  double totals[sl::Normalisers::kCount] = {};
  for (int r = 0; r < ranks; ++r) {
    std::vector<sd::ActionTrace> mine;
    std::vector<int64_t> rows;
    for (size_t i = size_t(r); i < traces.size(); i += size_t(ranks)) mine.push_back(traces[i]), rows.push_back(int64_t(i));
    s.batches.push_back(sd::pack(mine, kBk, kEos, kV));
    s.x.push_back(x.index_select(0, torch::tensor(rows)).narrow(1, 0, s.batches.back().ids.size(1)));
    const auto n = sl::normalisers(s.batches.back(), o.gamma(), o.noise_as_expert()).as_array();
    for (int k = 0; k < sl::Normalisers::kCount; ++k) totals[k] += n[k];
  }
  s.global = sl::Normalisers::from_array(totals);
  return s;
}

}  // namespace

TEST(Loss, SequenceMatchMatchesFloat64ReferenceForEveryDivergence) {
  std::mt19937 rng(3);
  auto traces = random_traces(rng, 8, 14);
  auto p = sd::pack(traces, kBk, kEos, kV);
  auto logits = torch::randn({p.ids.size(0), p.ids.size(1), kV}, torch::kDouble) * 2;
  for (auto div : {sl::Divergence::kChi2Mixture, sl::Divergence::kChi2, sl::Divergence::kKL,
                   sl::Divergence::kJS, sl::Divergence::kHellinger}) {
    for (double gamma : {0.998, 0.9}) {
      auto o = sl::SequenceMatchOptions().divergence(div).gamma(gamma).alpha(0.7);
      auto got = sl::sequence_match_loss(logits, p, kBk, o);
      auto want = reference(p.per_action(logits), traces, div, gamma, 0.7);
      EXPECT_NEAR(got.sm.item<double>(), want.sm, 1e-9) << sl::divergence_name(div) << " γ=" << gamma;
      EXPECT_NEAR(got.bc.item<double>(), want.bc, 1e-9);
      EXPECT_NEAR(got.mean_r.item<double>(), want.mean_r, 1e-9);
    }
  }
}

// Data parallelism (loss/normalisers.h): each shard's loss with the summed denominators is its
// share, and the shares (values and gradients) add up to the loss of the whole batch.
TEST(Loss, SharesOfASplitBatchWithSummedNormalisersAddUpToTheWholeBatch) {
  std::mt19937 rng(11);
  auto traces = random_traces(rng, 10, 14);
  auto whole = sd::pack(traces, kBk, kEos, kV);
  auto logits = (torch::randn({whole.ids.size(0), whole.ids.size(1), kV}, torch::kDouble) * 2).requires_grad_(true);
  const auto o = sl::SequenceMatchOptions().gamma(0.95).alpha(0.6);
  auto want = sl::sequence_match_loss(logits, whole, kBk, o);
  auto want_bc = sl::bc_loss(logits, whole, kBk);
  auto want_grad = torch::autograd::grad({want.sm + want_bc}, {logits})[0];

  auto split = split_batch(traces, logits, 3, o);  // 3 ranks
  const auto& shards = split.batches;
  const auto& shard_logits = split.x;
  const auto& global = split.global;
  torch::Tensor sm = torch::zeros({}, torch::kDouble), bc = sm.clone(), phi = sm.clone(), v = sm.clone();
  torch::Tensor r2 = sm.clone(), mean_r = sm.clone(), q_end = sm.clone(), bc_only = sm.clone();
  for (size_t r = 0; r < shards.size(); ++r) {
    auto t = sl::sequence_match_loss(shard_logits[r], shards[r], kBk, o, {}, &global);
    sm = sm + t.sm, bc = bc + t.bc, phi = phi + t.phi_term, v = v + t.v_term, r2 = r2 + t.r2_term;
    mean_r = mean_r + t.mean_r, q_end = q_end + t.terminal_q;
    bc_only = bc_only + sl::bc_loss(shard_logits[r], shards[r], kBk, nullptr, &global);
  }
  EXPECT_NEAR(sm.item<double>(), want.sm.item<double>(), 1e-12);
  EXPECT_NEAR(phi.item<double>(), want.phi_term.item<double>(), 1e-12);
  EXPECT_NEAR(v.item<double>(), want.v_term.item<double>(), 1e-12);
  EXPECT_NEAR(r2.item<double>(), want.r2_term.item<double>(), 1e-12);
  EXPECT_NEAR(bc.item<double>(), want.bc.item<double>(), 1e-12);
  EXPECT_NEAR(bc_only.item<double>(), want_bc.item<double>(), 1e-12);
  EXPECT_NEAR(mean_r.item<double>(), want.mean_r.item<double>(), 1e-12);
  EXPECT_NEAR(q_end.item<double>(), want.terminal_q.item<double>(), 1e-12);
  auto got_grad = torch::autograd::grad({sm + bc_only}, {logits})[0];
  EXPECT_LT((got_grad - want_grad).abs().max().item<double>(), 1e-12);
  // Each shard's own mean differs: averaging per-rank means would not be the whole-batch loss.
  double mean_of_means = 0;
  for (size_t r = 0; r < shards.size(); ++r)
    mean_of_means += sl::sequence_match_loss(shard_logits[r], shards[r], kBk, o).sm.item<double>() / 3;
  EXPECT_GT(std::abs(mean_of_means - want.sm.item<double>()), 1e-6);
}

TEST(Loss, LearnedAbsorbingValueMatchesReferenceAndFiniteDifferences) {
  std::mt19937 rng(5);
  auto traces = random_traces(rng, 8, 12);
  auto p = sd::pack(traces, kBk, kEos, kV);
  auto logits = torch::randn({p.ids.size(0), p.ids.size(1), kV}, torch::kDouble) * 2;
  auto o = sl::SequenceMatchOptions().gamma(0.9).alpha(0.7);
  const double v_abs = 1.7;
  auto v = torch::full({}, v_abs, torch::kDouble).requires_grad_(true);
  auto got = sl::sequence_match_loss(logits, p, kBk, o, v);
  auto want = reference(p.per_action(logits), traces, sl::Divergence::kChi2Mixture, 0.9, 0.7, v_abs);
  EXPECT_NEAR(got.sm.item<double>(), want.sm, 1e-9);
  EXPECT_NEAR(got.mean_r.item<double>(), want.mean_r, 1e-9);
  // V_abs = 0 is the DESIGN.md default: an explicit zero equals no tensor.
  auto zero = sl::sequence_match_loss(logits, p, kBk, o, torch::zeros({}, torch::kDouble));
  EXPECT_NEAR(zero.sm.item<double>(), sl::sequence_match_loss(logits, p, kBk, o).sm.item<double>(), 1e-12);
  // dL/dV_abs by central differences on the float64 reference.
  auto g = torch::autograd::grad({got.sm}, {v})[0].item<double>();
  const double eps = 1e-6;
  const double fd = (reference(p.per_action(logits), traces, sl::Divergence::kChi2Mixture, 0.9, 0.7, v_abs + eps).sm -
                     reference(p.per_action(logits), traces, sl::Divergence::kChi2Mixture, 0.9, 0.7, v_abs - eps).sm) / (2 * eps);
  EXPECT_NEAR(g, fd, 1e-6);
  EXPECT_GT(std::abs(g), 1e-3);  // terminal rows exist, so V_abs matters
  // terminal_q is the mean Q(s, <eos>) over terminal rows.
  double q = 0, n = 0;
  const auto per_action = p.per_action(logits);
  auto L = per_action.accessor<double, 3>();
  for (size_t b = 0; b < traces.size(); ++b)
    if (traces[b].actions.back() == kEos)
      q += L[b][int64_t(traces[b].actions.size()) - 2][kEos], n += 1;
  ASSERT_GT(n, 0);
  EXPECT_NEAR(got.terminal_q.item<double>(), q / n, 1e-9);
}

TEST(Loss, GradientsMatchFiniteDifferences) {
  std::mt19937 rng(4);
  auto traces = random_traces(rng, 3, 7);
  auto p = sd::pack(traces, kBk, kEos, kV);
  auto x0 = torch::randn({p.ids.size(0), p.ids.size(1), kV}, torch::kDouble);
  for (auto div : {sl::Divergence::kChi2Mixture, sl::Divergence::kKL, sl::Divergence::kJS,
                   sl::Divergence::kHellinger, sl::Divergence::kChi2}) {
    auto o = sl::SequenceMatchOptions().divergence(div).gamma(0.95);
    auto f = [&](const torch::Tensor& x) {
      auto t = sl::sequence_match_loss(x, p, kBk, o);
      return t.sm + 0.3 * t.bc;
    };
    auto x = x0.clone().requires_grad_(true);
    auto grad = torch::autograd::grad({f(x)}, {x})[0];
    auto flat = x0.view(-1);
    const double eps = 1e-6;
    double worst = 0;
    for (int64_t i = 0; i < flat.numel(); ++i) {
      auto xp = x0.clone(), xm = x0.clone();
      xp.view(-1)[i] += eps;
      xm.view(-1)[i] -= eps;
      const double fd = (f(xp).item<double>() - f(xm).item<double>()) / (2 * eps);
      const double g = grad.view(-1)[i].item<double>();
      // Relative to the gradient's size: near Hellinger's pole (r → −1) the loss has terms ~1/(1+r), so
      // the finite difference inherits roundoff ~1e-16·|f|/eps from thread-order-dependent sums.
      worst = std::max(worst, std::abs(fd - g) / (1.0 + std::abs(g)));
    }
    EXPECT_LE(worst, 1e-5) << sl::divergence_name(div);
  }
}

// EMO with loops: per expert data row t, MLE_t and DEMD_t = Σ_i q_i (1 − cos(e_i, e_y)).
struct EmoRows {
  std::vector<double> mle, demd;
};

EmoRows emo_reference(const torch::Tensor& logits, const std::vector<sd::ActionTrace>& traces,
                      const torch::Tensor& E) {
  auto L = logits.accessor<double, 3>();
  auto Ea = E.accessor<double, 2>();
  const int64_t C = E.size(1);
  auto cosine = [&](int64_t i, int64_t j) {
    double d = 0, ni = 0, nj = 0;
    for (int64_t k = 0; k < C; ++k) d += Ea[i][k] * Ea[j][k], ni += Ea[i][k] * Ea[i][k], nj += Ea[j][k] * Ea[j][k];
    return d / std::sqrt(ni * nj);
  };
  EmoRows out;
  for (size_t b = 0; b < traces.size(); ++b) {
    const auto& tr = traces[b];
    if (tr.from_model) continue;
    int64_t len = 0;
    for (int64_t t = 0; t + 1 < int64_t(tr.actions.size()); ++t) {
      len += tr.actions[t] == kBk ? -1 : 1;
      if (t < tr.prompt_length - 1 || tr.noise[t + 1]) continue;
      const bool bk_ok = len > tr.prompt_length;
      double z = 0;
      for (int64_t v = 0; v < kV; ++v) if (v != kBk || bk_ok) z += std::exp(L[b][t][v]);
      const int64_t y = tr.actions[t + 1];
      double demd = 0;
      for (int64_t v = 0; v < kV; ++v)
        if (v != kBk || bk_ok) demd += std::exp(L[b][t][v]) / z * (1 - cosine(v, y));
      out.mle.push_back(-(L[b][t][y] - std::log(z)));
      out.demd.push_back(demd);
    }
  }
  return out;
}

TEST(Loss, EmoMatchesReferenceAndFiniteDifferences) {
  std::mt19937 rng(5);
  auto traces = random_traces(rng, 4, 8);
  auto p = sd::pack(traces, kBk, kEos, kV);
  auto x0 = torch::randn({p.ids.size(0), p.ids.size(1), kV}, torch::kDouble) * 2;
  auto E = torch::randn({kV, 3}, torch::kDouble);
  auto e_hat = E / E.norm(2, 1, true);
  auto ref = emo_reference(p.per_action(x0), traces, E);
  const double n = double(ref.mle.size());
  double mle = 0, demd = 0;
  for (size_t t = 0; t < ref.mle.size(); ++t) mle += ref.mle[t] / n, demd += ref.demd[t] / n;
  auto got = sl::emo_loss(x0, p, kBk, e_hat);
  EXPECT_NEAR(got.mle.item<double>(), mle, 1e-9);
  EXPECT_NEAR(got.demd.item<double>(), demd, 1e-9);
  EXPECT_NEAR(got.loss.item<double>(), mle, 1e-9);  // ½(MLE_t + MLE_t/DEMD_t·DEMD_t) = MLE_t in value
  // Gradient: mean over tokens of ½(∇MLE_t + k_t·∇DEMD_t), k_t = MLE_t/DEMD_t held fixed per token
  // (the authors' stop-gradient), by central differences on the loop reference.
  std::vector<double> k;
  for (size_t t = 0; t < ref.mle.size(); ++t) k.push_back(ref.mle[t] / ref.demd[t]);
  auto f = [&](const torch::Tensor& x) {
    auto r = emo_reference(p.per_action(x), traces, E);
    double total = 0;
    for (size_t t = 0; t < r.mle.size(); ++t) total += 0.5 * (r.mle[t] + k[t] * r.demd[t]) / n;
    return total;
  };
  auto x = x0.clone().requires_grad_(true);
  auto grad = torch::autograd::grad({sl::emo_loss(x, p, kBk, e_hat).loss}, {x})[0];
  // max_i |central difference of g at x0 along i − grad_i|
  auto worst_diff = [&](const std::function<double(const torch::Tensor&)>& g) {
    double worst = 0;
    for (int64_t i = 0; i < x0.numel(); ++i) {
      auto xp = x0.clone(), xm = x0.clone();
      xp.view(-1)[i] += 1e-6;
      xm.view(-1)[i] -= 1e-6;
      worst = std::max(worst, std::abs((g(xp) - g(xm)) / 2e-6 - grad.view(-1)[i].item<double>()));
    }
    return worst;
  };
  EXPECT_LE(worst_diff(f), 1e-6);
  // A batch-level ratio (mean MLE / mean DEMD for every token) is a different gradient here, so
  // the check above can tell the two apart.
  auto g_batch = [&](const torch::Tensor& xx) {
    auto r = emo_reference(p.per_action(xx), traces, E);
    double m = 0, d = 0;
    for (size_t t = 0; t < r.mle.size(); ++t) m += r.mle[t] / n, d += r.demd[t] / n;
    return 0.5 * (m + (mle / demd) * d);
  };
  EXPECT_GT(worst_diff(g_batch), 1e-3);
}

// Autocast on CPU, bf16: what the trainer's AutocastGuard does on CUDA. (The API moved in 2.4.)
struct CpuAutocast {
  CpuAutocast() { set(true); }
  ~CpuAutocast() { set(false); }
  static void set(bool on) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_dtype(at::kCPU, at::kBFloat16);
    at::autocast::set_autocast_enabled(at::kCPU, on);
#else
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(on);
#endif
    if (!on) at::autocast::clear_cache();
  }
};

TEST(Loss, EmoDemdStaysFp32UnderAutocast) {
  std::mt19937 rng(8);
  auto traces = random_traces(rng, 6, 12);
  auto p = sd::pack(traces, kBk, kEos, kV);
  // Logits near uniform and embeddings close together: 1 − cos ≈ 0.02 is a difference of numbers
  // near 1, where bf16's 8 mantissa bits (±4e-3) lose most of it and fp32 does not.
  auto x64 = torch::randn({p.ids.size(0), p.ids.size(1), kV}, torch::kDouble) * 0.1;
  auto E = torch::ones({kV, 16}, torch::kDouble) + 0.2 * torch::randn({kV, 16}, torch::kDouble);
  auto e_hat = (E / E.norm(2, 1, true)).to(torch::kFloat);
  auto ref = emo_reference(p.per_action(x64), traces, E);
  double demd = 0;
  for (double d : ref.demd) demd += d / double(ref.demd.size());
  sl::EmoTerms got;
  {
    CpuAutocast autocast;
    ASSERT_EQ(torch::matmul(torch::ones({2, 2}), torch::ones({2, 2})).scalar_type(), torch::kBFloat16)
        << "autocast must be on for this test to mean anything";
    got = sl::emo_loss(x64.to(torch::kFloat), p, kBk, e_hat);
  }
  EXPECT_EQ(got.demd.scalar_type(), torch::kFloat);
  EXPECT_NEAR(got.demd.item<double>(), demd, 1e-4 * demd) << "DEMD " << demd;
}

// A text chunk "doc1 <eos> doc2" trains exactly as the two documents on their own: the trainer's
// path (split_documents, augment, pack, one packed forward) against a float64 reference over
// the two documents, each run through the model separately, state by state.
TEST(Loss, TwoDocumentChunkEqualsTheDocumentsSeparately) {
  torch::manual_seed(3);
  seqmatch::model::GPT2 m(seqmatch::model::GPT2Options().vocab_size(kV).n_positions(16).n_embd(16).n_layer(2).n_head(2));
  m->to(torch::kDouble);
  m->eval();
  torch::NoGradGuard no_grad;
  sd::Example chunk;
  chunk.tokens = {1, 2, 3, kEos, 4, 2, 0, 1};  // no BOS: the second document starts after <eos>
  chunk.prompt_length = 1;
  const std::vector<std::vector<int64_t>> docs = {{1, 2, 3, kEos}, {kEos, 4, 2, 0, 1}};

  std::vector<sd::ActionTrace> traces;
  for (const auto& e : sd::split_documents({chunk}, kEos, kEos))
    traces.push_back(sd::augment(e, sd::NoiseOptions(), kBk, 0, 0));
  ASSERT_EQ(traces.size(), 2u);
  auto p = sd::pack(traces, kBk, kEos, kV);
  auto logits = m->forward(p.ids, p.pos, p.mask);  // (B, T, V)

  // Reference logits: a clean forward of each document's every prefix; nothing of doc 1 in doc 2.
  std::vector<sd::ActionTrace> ref_traces;
  auto ref_logits = torch::zeros({2, p.ids.size(1), kV}, torch::kDouble);
  for (size_t d = 0; d < docs.size(); ++d) {
    sd::ActionTrace tr;
    tr.actions = docs[d];
    tr.prompt_length = 1;
    ref_traces.push_back(tr);
    for (size_t t = 0; t < docs[d].size(); ++t) {
      auto ids = torch::tensor(std::vector<int64_t>(docs[d].begin(), docs[d].begin() + int64_t(t) + 1)).unsqueeze(0);
      auto pos = torch::arange(int64_t(t) + 1).unsqueeze(0);
      ref_logits[int64_t(d)][int64_t(t)] = m->forward(ids, pos)[0][int64_t(t)];
    }
  }
  for (double gamma : {0.998, 0.8}) {
    auto o = sl::SequenceMatchOptions().gamma(gamma).alpha(0.5);
    auto got = sl::sequence_match_loss(logits, p, kBk, o);
    auto want = reference(ref_logits, ref_traces, sl::Divergence::kChi2Mixture, gamma, 0.5);
    EXPECT_NEAR(got.sm.item<double>(), want.sm, 1e-9) << "γ=" << gamma;
    EXPECT_NEAR(got.bc.item<double>(), want.bc, 1e-9);
  }
  // Packed as one trajectory, the chunk is refused rather than silently leaking across <eos>.
  sd::ActionTrace joined;
  joined.actions = chunk.tokens;
  EXPECT_THROW(sd::pack({joined}, kBk, kEos, kV), c10::Error);
}

// Rows holding several trajectories (data and replay rows apart, as the trainer packs them)
// give the loss of the trajectories taken one by one: the packed forward and the losses against
// the float64 reference over a clean forward of every state of every trajectory on its own, for
// every model family.
TEST(Loss, SeveralTrajectoriesPerRowEqualEachTrajectoryAlone) {
  for (const auto& family : seqmatch::testing::families()) {
    SCOPED_TRACE(family);
    auto m = seqmatch::testing::tiny_model(family, kV, 32, 4);
    m->to(torch::kDouble);
    torch::NoGradGuard no_grad;
    std::mt19937 rng(9);
    auto traces = random_traces(rng, 12, 14);  // every 4th from the replay buffer; noise; <eos> or truncated
    std::vector<std::vector<sd::ActionTrace>> rows;
    for (bool from_model : {false, true}) {
      std::vector<size_t> index;
      std::vector<int64_t> lengths;
      for (size_t i = 0; i < traces.size(); ++i)
        if (traces[i].from_model == from_model) index.push_back(i), lengths.push_back(int64_t(traces[i].actions.size()));
      for (const auto& plan : sd::plan_rows(lengths, 24)) {
        rows.emplace_back();
        for (size_t k : plan) rows.back().push_back(traces[index[k]]);
      }
    }
    ASSERT_LT(rows.size(), traces.size()) << "some trajectories should share a row";
    auto p = sd::pack_rows(rows, kBk, kEos, kV);
    auto logits = m->forward(p.ids, p.pos, p.mask);  // (B, T, V)

    // Reference logits: trajectory b's state after action t, replayed and run through the model alone.
    int64_t longest = 0;
    for (const auto& tr : traces) longest = std::max<int64_t>(longest, int64_t(tr.actions.size()));
    auto ref_logits = torch::zeros({int64_t(traces.size()), longest, kV}, torch::kDouble);
    for (size_t b = 0; b < traces.size(); ++b) {
      std::vector<int64_t> state;
      for (size_t t = 0; t < traces[b].actions.size(); ++t) {
        const int64_t a = traces[b].actions[t];
        if (a == kBk) state.pop_back(); else state.push_back(a);
        auto ids = torch::tensor(state).unsqueeze(0);
        auto pos = torch::arange(int64_t(state.size())).unsqueeze(0);
        ref_logits[int64_t(b)][int64_t(t)] = m->forward(ids, pos)[0][int64_t(state.size()) - 1];
      }
    }
    for (auto div : {sl::Divergence::kChi2Mixture, sl::Divergence::kKL}) {
      auto o = sl::SequenceMatchOptions().divergence(div).gamma(0.9).alpha(0.5);
      auto got = sl::sequence_match_loss(logits, p, kBk, o);
      auto want = reference(ref_logits, traces, div, 0.9, 0.5);
      EXPECT_NEAR(got.sm.item<double>(), want.sm, 1e-9) << sl::divergence_name(div);
      EXPECT_NEAR(got.bc.item<double>(), want.bc, 1e-9);
      EXPECT_NEAR(got.mean_r.item<double>(), want.mean_r, 1e-9);
    }
  }
}

// The chunked LM head computes every loss from hidden states h and the head W without full
// logits; on float64 it must give the same values and the same gradients w.r.t. h, W and V_abs as
// the full-logits path on ℓ = h·Wᵀ (which the tests above check against the independent
// references), for chunks that split the rows unevenly, one row per chunk, and all rows at once.
TEST(Loss, ChunkedHeadEqualsFullLogitsValuesAndGradients) {
  std::mt19937 rng(11);
  auto traces = random_traces(rng, 8, 14);  // noise, <bkspc>, <eos>, truncation, replay rows
  auto p = sd::pack(traces, kBk, kEos, kV);
  const int64_t B = p.ids.size(0), T = p.ids.size(1), C = 5;
  torch::manual_seed(11);
  auto h0 = torch::randn({B, T, C}, torch::kDouble);
  auto w0 = torch::randn({kV, C}, torch::kDouble);
  auto E = torch::randn({kV, C}, torch::kDouble);
  auto e_hat = E / E.norm(2, 1, true);
  const auto o = sl::SequenceMatchOptions().gamma(0.9).alpha(0.7);

  // Every scalar the trainer reads, as a function of (h, W, V_abs); chunk < 0: full logits.
  // keep_bytes: π kept for the backward (the default budget) or recomputed (0).
  int64_t keep_bytes = sl::kKeepBytes;
  auto terms = [&](const torch::Tensor& h, const torch::Tensor& w, const torch::Tensor& v_abs,
                   int64_t chunk) {
    auto head = [&](const sl::HeadQuery& q) {
      return chunk < 0 ? sl::head_output(torch::matmul(h, w.t()), q) : sl::lm_head_output(h, w, q, chunk, keep_bytes);
    };
    auto policy = head(sl::policy_query(p, kBk));
    auto with_e = head(sl::policy_query(p, kBk, e_hat));
    auto sm = sl::sequence_match_loss(policy, p, o, v_abs);
    auto emo = sl::emo_loss(with_e, p, e_hat);
    auto plain = head(sl::policy_query(p, -1));  // a vocabulary without <bkspc>
    std::vector<torch::Tensor> out = {sm.sm, sm.bc, sm.phi_term, sm.v_term, sm.r2_term,
                                      sl::bc_loss(policy, p), sl::bc_loss(plain, p),
                                      emo.loss, emo.mle, emo.demd};
    const char* names[] = {"sm", "sm.bc", "phi", "v", "r2", "bc", "bc without <bkspc>", "emo", "emo.mle", "emo.demd"};
    std::vector<std::pair<std::string, torch::Tensor>> named;
    for (size_t i = 0; i < out.size(); ++i) named.emplace_back(names[i], out[i]);
    return named;
  };
  auto leaf = [](const torch::Tensor& x) { return x.clone().requires_grad_(true); };
  auto vh = leaf(h0), vw = leaf(w0), vv = leaf(torch::full({}, 0.4, torch::kDouble));
  auto want = terms(vh, vw, vv, -1);
  for (int64_t chunk : {int64_t(3), int64_t(1), B * T, int64_t(-3), int64_t(-1)}) {
    keep_bytes = chunk > 0 ? sl::kKeepBytes : 0;  // negative: the same chunks, π recomputed
    chunk = std::abs(chunk);
    SCOPED_TRACE(keep_bytes ? "pi kept" : "pi recomputed");
    auto ch = leaf(h0), cw = leaf(w0), cv = leaf(torch::full({}, 0.4, torch::kDouble));
    auto got = terms(ch, cw, cv, chunk);
    for (size_t i = 0; i < want.size(); ++i) {
      const auto& name = want[i].first;
      EXPECT_NEAR(got[i].second.item<double>(), want[i].second.item<double>(), 1e-12) << name << " chunk " << chunk;
      auto gw = torch::autograd::grad({want[i].second}, {vh, vw, vv}, {}, true, false, true);
      auto gg = torch::autograd::grad({got[i].second}, {ch, cw, cv}, {}, true, false, true);
      const char* wrt[] = {"h", "W", "V_abs"};
      for (size_t k = 0; k < 3; ++k) {
        ASSERT_EQ(gw[k].defined(), gg[k].defined()) << name << " d/d" << wrt[k];
        if (!gw[k].defined()) continue;
        EXPECT_LE((gg[k] - gw[k]).abs().max().item<double>(), 1e-12 * (1 + gw[k].abs().max().item<double>()))
            << name << " d/d" << wrt[k] << " chunk " << chunk;
      }
    }
    // The gradients are not all zero (a test that could not fail would pass here too).
    auto g = torch::autograd::grad({got[0].second + got[7].second}, {ch, cw})[0];
    EXPECT_GT(g.abs().max().item<double>(), 1e-3);
  }

  // The token-only validation NLL (<bkspc> never allowed), chunked and full.
  torch::NoGradGuard no_grad;
  auto full = sl::token_nll(torch::matmul(h0, w0.t()), p, kBk);
  for (int64_t chunk : {int64_t(2), B * T}) {
    auto got = sl::token_nll(sl::lm_head_output(h0, w0, sl::token_query(p, kBk), chunk, chunk == 2 ? 0 : sl::kKeepBytes), p, kBk);
    EXPECT_NEAR(got.sum, full.sum, 1e-10);
    EXPECT_EQ(got.tokens, full.tokens);
    EXPECT_GT(got.tokens, 0);
  }
}

// Data parallelism through the chunked head, as the trainer runs it: each shard's chunked-head
// losses with the summed denominators add up to the whole batch's (values and gradients w.r.t. h
// and W), for BC, SequenceMatch and EMO.
TEST(Loss, ChunkedHeadSharesWithSummedNormalisersAddUpToTheWholeBatch) {
  std::mt19937 rng(13);
  auto traces = random_traces(rng, 9, 14);
  auto whole = sd::pack(traces, kBk, kEos, kV);
  const int64_t C = 5;
  torch::manual_seed(13);
  auto h = torch::randn({whole.ids.size(0), whole.ids.size(1), C}, torch::kDouble).requires_grad_(true);
  auto w = torch::randn({kV, C}, torch::kDouble).requires_grad_(true);
  auto E = torch::randn({kV, C}, torch::kDouble);
  auto e_hat = E / E.norm(2, 1, true);
  const auto o = sl::SequenceMatchOptions().gamma(0.95).alpha(0.6);
  // BC + SequenceMatch + EMO of one batch (h, p), chunks of 3 rows; totals null = the batch's own.
  auto losses = [&](const torch::Tensor& hb, const sd::PackedBatch& p, const sl::Normalisers* totals) {
    auto policy = sl::lm_head_output(hb, w, sl::policy_query(p, kBk), 3);
    auto with_e = sl::lm_head_output(hb, w, sl::policy_query(p, kBk, e_hat), 3);
    auto sm = sl::sequence_match_loss(policy, p, o, {}, totals);
    return std::vector<torch::Tensor>{sm.sm, sm.bc, sl::bc_loss(policy, p, nullptr, totals),
                                      sl::emo_loss(with_e, p, e_hat, totals).loss};
  };
  auto want = losses(h, whole, nullptr);
  auto sum_of = [](const std::vector<torch::Tensor>& v) {
    auto s = v[0];
    for (size_t i = 1; i < v.size(); ++i) s = s + v[i];
    return s;
  };
  auto want_grad = torch::autograd::grad({sum_of(want)}, {h, w});

  auto split = split_batch(traces, h, 3, o);  // 3 ranks
  std::vector<torch::Tensor> got(want.size(), torch::zeros({}, torch::kDouble));
  for (size_t r = 0; r < split.batches.size(); ++r) {
    auto t = losses(split.x[r], split.batches[r], &split.global);
    for (size_t i = 0; i < got.size(); ++i) got[i] = got[i] + t[i];
  }
  const char* names[] = {"sm", "sm.bc", "bc", "emo"};
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(got[i].item<double>(), want[i].item<double>(), 1e-12) << names[i];
  auto got_grad = torch::autograd::grad({sum_of(got)}, {h, w});
  for (size_t k = 0; k < 2; ++k)
    EXPECT_LT((got_grad[k] - want_grad[k]).abs().max().item<double>(), 1e-12) << (k ? "d/dW" : "d/dh");
}

// The chunked head in float32, as the trainer runs it, against the float64 full-logits path.
TEST(Loss, ChunkedHeadFloat32MatchesFloat64) {
  std::mt19937 rng(12);
  auto traces = random_traces(rng, 6, 12);
  auto p = sd::pack(traces, kBk, kEos, kV);
  torch::manual_seed(12);
  auto h = torch::randn({p.ids.size(0), p.ids.size(1), 8}, torch::kDouble);
  auto w = torch::randn({kV, 8}, torch::kDouble);
  auto want = sl::sequence_match_loss(torch::matmul(h, w.t()), p, kBk, sl::SequenceMatchOptions());
  auto got = sl::sequence_match_loss(
      sl::lm_head_output(h.to(torch::kFloat), w.to(torch::kFloat), sl::policy_query(p, kBk), 4), p,
      sl::SequenceMatchOptions());
  EXPECT_EQ(got.sm.scalar_type(), torch::kFloat);
  EXPECT_NEAR(got.sm.item<double>(), want.sm.item<double>(), 1e-4 * (1 + std::abs(want.sm.item<double>())));
  EXPECT_NEAR(got.bc.item<double>(), want.bc.item<double>(), 1e-4 * (1 + std::abs(want.bc.item<double>())));
}

TEST(Loss, UnknownDivergenceIsNamed) {
  try {
    sl::parse_divergence("tv");
    FAIL();
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what_without_backtrace()).find("unknown 'tv'"), std::string::npos);
  }
}
