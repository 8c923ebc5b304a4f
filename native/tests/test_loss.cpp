// Every loss against an independent float64 reference written here with explicit loops over
// rows (states replayed from the action trace, not taken from the packer), on random logits
// and traces with <eos> endings, truncation, noise and replay-buffer rows; gradients checked
// by central finite differences on a tiny case. Run: ctest -R test_loss
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "loss/emo.h"
#include "loss/sequence_match.h"

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

}  // namespace

TEST(Loss, SequenceMatchMatchesFloat64ReferenceForEveryDivergence) {
  std::mt19937 rng(3);
  auto traces = random_traces(rng, 8, 14);
  auto p = sd::pack(traces, kBk, kEos);
  auto logits = torch::randn({p.ids.size(0), p.ids.size(1), kV}, torch::kDouble) * 2;
  for (auto div : {sl::Divergence::kChi2Mixture, sl::Divergence::kChi2, sl::Divergence::kKL,
                   sl::Divergence::kJS, sl::Divergence::kHellinger}) {
    for (double gamma : {0.998, 0.9}) {
      auto o = sl::SequenceMatchOptions().divergence(div).gamma(gamma).alpha(0.7);
      auto got = sl::sequence_match_loss(logits, p, kBk, o);
      auto want = reference(logits, traces, div, gamma, 0.7);
      EXPECT_NEAR(got.sm.item<double>(), want.sm, 1e-9) << sl::divergence_name(div) << " γ=" << gamma;
      EXPECT_NEAR(got.bc.item<double>(), want.bc, 1e-9);
      EXPECT_NEAR(got.mean_r.item<double>(), want.mean_r, 1e-9);
    }
  }
}

TEST(Loss, LearnedAbsorbingValueMatchesReferenceAndFiniteDifferences) {
  std::mt19937 rng(5);
  auto traces = random_traces(rng, 8, 12);
  auto p = sd::pack(traces, kBk, kEos);
  auto logits = torch::randn({p.ids.size(0), p.ids.size(1), kV}, torch::kDouble) * 2;
  auto o = sl::SequenceMatchOptions().gamma(0.9).alpha(0.7);
  const double v_abs = 1.7;
  auto v = torch::full({}, v_abs, torch::kDouble).requires_grad_(true);
  auto got = sl::sequence_match_loss(logits, p, kBk, o, v);
  auto want = reference(logits, traces, sl::Divergence::kChi2Mixture, 0.9, 0.7, v_abs);
  EXPECT_NEAR(got.sm.item<double>(), want.sm, 1e-9);
  EXPECT_NEAR(got.mean_r.item<double>(), want.mean_r, 1e-9);
  // V_abs = 0 is the DESIGN.md default: an explicit zero equals no tensor.
  auto zero = sl::sequence_match_loss(logits, p, kBk, o, torch::zeros({}, torch::kDouble));
  EXPECT_NEAR(zero.sm.item<double>(), sl::sequence_match_loss(logits, p, kBk, o).sm.item<double>(), 1e-12);
  // dL/dV_abs by central differences on the float64 reference.
  auto g = torch::autograd::grad({got.sm}, {v})[0].item<double>();
  const double eps = 1e-6;
  const double fd = (reference(logits, traces, sl::Divergence::kChi2Mixture, 0.9, 0.7, v_abs + eps).sm -
                     reference(logits, traces, sl::Divergence::kChi2Mixture, 0.9, 0.7, v_abs - eps).sm) / (2 * eps);
  EXPECT_NEAR(g, fd, 1e-6);
  EXPECT_GT(std::abs(g), 1e-3);  // terminal rows exist, so V_abs matters
  // terminal_q is the mean Q(s, <eos>) over terminal rows.
  double q = 0, n = 0;
  auto L = logits.accessor<double, 3>();
  for (size_t b = 0; b < traces.size(); ++b)
    if (traces[b].actions.back() == kEos)
      q += L[b][int64_t(traces[b].actions.size()) - 2][kEos], n += 1;
  ASSERT_GT(n, 0);
  EXPECT_NEAR(got.terminal_q.item<double>(), q / n, 1e-9);
}

TEST(Loss, GradientsMatchFiniteDifferences) {
  std::mt19937 rng(4);
  auto traces = random_traces(rng, 3, 7);
  auto p = sd::pack(traces, kBk, kEos);
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

TEST(Loss, EmoMatchesReferenceAndFiniteDifferences) {
  std::mt19937 rng(5);
  auto traces = random_traces(rng, 4, 8);
  auto p = sd::pack(traces, kBk, kEos);
  auto x0 = torch::randn({p.ids.size(0), p.ids.size(1), kV}, torch::kDouble);
  auto E = torch::randn({kV, 3}, torch::kDouble);
  auto e_hat = E / E.norm(2, 1, true);
  // Reference with loops: MLE and DEMD over expert data rows.
  auto L = x0.accessor<double, 3>();
  auto Ea = E.accessor<double, 2>();
  auto cosine = [&](int64_t i, int64_t j) {
    double d = 0, ni = 0, nj = 0;
    for (int k = 0; k < 3; ++k) d += Ea[i][k] * Ea[j][k], ni += Ea[i][k] * Ea[i][k], nj += Ea[j][k] * Ea[j][k];
    return d / std::sqrt(ni * nj);
  };
  double mle = 0, demd = 0, n = 0;
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
      mle += -(L[b][t][y] - std::log(z));
      for (int64_t v = 0; v < kV; ++v)
        if (v != kBk || bk_ok) demd += std::exp(L[b][t][v]) / z * (1 - cosine(v, y));
      n += 1;
    }
  }
  mle /= n, demd /= n;
  auto got = sl::emo_loss(x0, p, kBk, e_hat);
  EXPECT_NEAR(got.mle.item<double>(), mle, 1e-9);
  EXPECT_NEAR(got.demd.item<double>(), demd, 1e-9);
  EXPECT_NEAR(got.loss.item<double>(), mle, 1e-9);  // ½(MLE + MLE/DEMD·DEMD) = MLE in value
  // Gradient: ½(∇MLE + k·∇DEMD) with k = MLE/DEMD held fixed (the stop-gradient).
  const double k = mle / demd;
  auto f = [&](const torch::Tensor& x) {
    auto t = sl::emo_loss(x, p, kBk, e_hat);
    return 0.5 * (t.mle.item<double>() + k * t.demd.item<double>());
  };
  auto x = x0.clone().requires_grad_(true);
  auto grad = torch::autograd::grad({sl::emo_loss(x, p, kBk, e_hat).loss}, {x})[0];
  double worst = 0;
  for (int64_t i = 0; i < x0.numel(); ++i) {
    auto xp = x0.clone(), xm = x0.clone();
    xp.view(-1)[i] += 1e-6;
    xm.view(-1)[i] -= 1e-6;
    worst = std::max(worst, std::abs((f(xp) - f(xm)) / 2e-6 - grad.view(-1)[i].item<double>()));
  }
  EXPECT_LE(worst, 1e-6);
}

TEST(Loss, UnknownDivergenceIsNamed) {
  try {
    sl::parse_divergence("tv");
    FAIL();
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what_without_backtrace()).find("unknown 'tv'"), std::string::npos);
  }
}
