// The optimizer (train/fused_adamw.h): FusedAdamW against a float64 AdamW written out from its
// formula, on CPU (where it is libtorch's own per-parameter step) and on CUDA (the fused kernels,
// libtorch >= 2; skipped, and said so, where there is no GPU); and a fused run that is saved and
// loaded mid-way continues exactly as the uninterrupted one (optimizer.pt stays the resume format).
// Run: ctest -R test_optim
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "train/fused_adamw.h"

namespace st = seqmatch::train;

namespace {

constexpr double kLr = 1e-2, kBeta1 = 0.9, kBeta2 = 0.95, kEps = 1e-8, kDecay = 0.1;
constexpr int kSteps = 6;

struct Problem {
  std::vector<torch::Tensor> init;                // float64 starting values
  std::vector<std::vector<torch::Tensor>> grads;  // grads[t][i], float64
};

// A matrix (decayed group) and a vector (no decay), with gradients of very different scales per step,
// so the bias corrections and ε all matter.
Problem problem() {
  torch::manual_seed(3);
  Problem pr;
  pr.init = {torch::randn({33, 17}, torch::kDouble), torch::randn({17}, torch::kDouble)};
  for (int t = 0; t < kSteps; ++t) {
    std::vector<torch::Tensor> g;
    for (const auto& x : pr.init) g.push_back(torch::randn(x.sizes(), torch::kDouble) * std::pow(10.0, t % 3 - 1));
    pr.grads.push_back(g);
  }
  return pr;
}

// AdamW from its formula, float64, one parameter at a time: the independent reference.
std::vector<torch::Tensor> reference(const Problem& pr, int steps) {
  std::vector<torch::Tensor> p, m, v;
  for (const auto& x : pr.init) p.push_back(x.clone()), m.push_back(torch::zeros_like(x)), v.push_back(torch::zeros_like(x));
  for (int t = 1; t <= steps; ++t) {
    for (size_t i = 0; i < p.size(); ++i) {
      const double wd = i == 0 ? kDecay : 0.0;
      const auto& g = pr.grads[t - 1][i];
      p[i] = p[i] * (1 - kLr * wd);
      m[i] = kBeta1 * m[i] + (1 - kBeta1) * g;
      v[i] = kBeta2 * v[i] + (1 - kBeta2) * g * g;
      const double bc1 = 1 - std::pow(kBeta1, t), bc2 = 1 - std::pow(kBeta2, t);
      p[i] = p[i] - (kLr / bc1) * m[i] / (v[i].sqrt() / std::sqrt(bc2) + kEps);
    }
  }
  return p;
}

std::vector<torch::Tensor> params_on(const Problem& pr, const torch::Device& device) {
  std::vector<torch::Tensor> p;
  for (const auto& x : pr.init) p.push_back(x.to(device, torch::kFloat).requires_grad_(true));
  return p;
}

// The trainer's two groups: decay on matrices, none on vectors.
template <class Opt>
std::unique_ptr<Opt> make(const std::vector<torch::Tensor>& p) {
  auto o = torch::optim::AdamWOptions(kLr).betas({kBeta1, kBeta2}).eps(kEps).weight_decay(kDecay);
  auto o0 = o;
  o0.weight_decay(0.0);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<torch::Tensor>{p[0]}, std::make_unique<torch::optim::AdamWOptions>(o));
  groups.emplace_back(std::vector<torch::Tensor>{p[1]}, std::make_unique<torch::optim::AdamWOptions>(o0));
  return std::make_unique<Opt>(std::move(groups), o);
}

template <class Opt>
void run(Opt& opt, std::vector<torch::Tensor>& p, const Problem& pr, int from, int to) {
  for (int t = from; t < to; ++t) {
    for (size_t i = 0; i < p.size(); ++i) p[i].mutable_grad() = pr.grads[t][i].to(p[i].device(), torch::kFloat);
    opt.step();
  }
}

void expect_close(const std::vector<torch::Tensor>& got, const std::vector<torch::Tensor>& want, double tol) {
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = (got[i].detach().cpu().to(torch::kDouble) - want[i]).abs().max().item<double>();
    EXPECT_LE(err, tol) << "parameter " << i;
  }
}

// kSteps of FusedAdamW on `device` checked against the float64 reference; returns the parameters.
std::vector<torch::Tensor> fused_against_reference(const Problem& pr, const torch::Device& device, bool expect_fused) {
  auto p = params_on(pr, device);
  auto opt = make<st::FusedAdamW>(p);
  run(*opt, p, pr, 0, kSteps);
  EXPECT_EQ(opt->last_step_fused(), expect_fused);
  expect_close(p, reference(pr, kSteps), 2e-6);
  return p;
}

bool have_cuda() { return st::FusedAdamW::available() && torch::cuda::is_available(); }

// Why a CUDA test cannot run here, naming what is missing.
std::string no_cuda_reason() {
  return !st::FusedAdamW::available() ? "the fused path needs libtorch >= 2 (this build has an older one)"
                                      : "no CUDA device is visible to libtorch";
}

}  // namespace

TEST(FusedAdamW, CpuStepIsAdamWsOwnAndMatchesFloat64) {
  const auto pr = problem();
  auto p = fused_against_reference(pr, torch::kCPU, /*expect_fused=*/false);
  auto q = params_on(pr, torch::kCPU);  // bit for bit libtorch's AdamW
  auto plain = make<torch::optim::AdamW>(q);
  run(*plain, q, pr, 0, kSteps);
  for (size_t i = 0; i < p.size(); ++i) EXPECT_TRUE(torch::equal(p[i], q[i])) << "parameter " << i;
}

TEST(FusedAdamW, CudaFusedStepMatchesFloat64) {
  if (!have_cuda()) GTEST_SKIP() << no_cuda_reason();
  fused_against_reference(problem(), torch::kCUDA, /*expect_fused=*/true);
}

TEST(FusedAdamW, CudaRunSavedAndLoadedMidwayContinuesExactly) {
  if (!have_cuda()) GTEST_SKIP() << no_cuda_reason();
  const auto pr = problem();
  auto whole = params_on(pr, torch::kCUDA);
  auto a = make<st::FusedAdamW>(whole);
  run(*a, whole, pr, 0, kSteps);
  auto first = params_on(pr, torch::kCUDA);
  auto b = make<st::FusedAdamW>(first);
  run(*b, first, pr, 0, kSteps / 2);
  std::stringstream saved;
  torch::save(*b, saved);
  std::vector<torch::Tensor> second;  // a fresh process: new parameter tensors with the saved values
  for (const auto& x : first) second.push_back(x.detach().clone().requires_grad_(true));
  auto c = make<st::FusedAdamW>(second);
  torch::load(*c, saved);
  run(*c, second, pr, kSteps / 2, kSteps);
  EXPECT_TRUE(c->last_step_fused());
  for (size_t i = 0; i < whole.size(); ++i) EXPECT_TRUE(torch::equal(whole[i], second[i])) << "parameter " << i;
}
