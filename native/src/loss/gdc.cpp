// GDC++ / DPG weights, estimates and the λ fit: see gdc.h.
#include "loss/gdc.h"

#include <cmath>
#include <limits>

#include "util/check.h"

namespace seqmatch {
namespace loss {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Σ_i p_i·f_i over the entries with p_i > 0: a zero weight times an infinite log (P = 0) is 0.
double weighted_sum(const torch::Tensor& p, const torch::Tensor& f) {
  return torch::where(p > 0, p * f, torch::zeros_like(p)).sum().item<double>();
}

}  // namespace

void PartitionEstimate::add(const torch::Tensor& log_p_over_q) {
  auto x = log_p_over_q.to(torch::kCPU, torch::kDouble);
  const double batch = torch::logsumexp(x, 0).item<double>();
  const double hi = std::max(log_sum_, batch);
  if (hi > -kInf) log_sum_ = hi + std::log(std::exp(log_sum_ - hi) + std::exp(batch - hi));
  count_ += x.numel();
}

double PartitionEstimate::log_z() const {
  return count_ == 0 ? -kInf : log_sum_ - std::log(double(count_));
}

GdcEstimates gdc_estimates(const GdcSamples& s, double log_z, bool baseline) {
  GdcEstimates e;
  const auto log_w = s.log_P - s.log_q;  // (N) log P/q
  const auto pi_over_q = (s.log_pi - s.log_q).exp();  // (N)
  if (std::isfinite(log_z)) {
    const auto p_over_zq = (log_w - log_z).exp();  // (N) P/(Z·q); exp(−inf) = 0
    e.weight = baseline ? p_over_zq - pi_over_q : p_over_zq;
  } else {
    // No sample with P > 0 yet: both the unscaled DPG and GDC++ gradients are 0 (Z·π/q = 0).
    e.weight = torch::zeros_like(log_w);
  }
  e.weight_var = e.weight.var(/*unbiased=*/false).item<double>();
  e.pi_weight = torch::softmax(s.log_pi - s.log_q, 0);  // (N) SNIS weights for E_π
  e.kl_pi_a = weighted_sum(e.pi_weight, s.log_pi - s.log_a);
  if (torch::isfinite(log_w).any().item<bool>()) {
    const auto p = torch::softmax(log_w, 0);  // (N) SNIS weights for E_p
    e.kl_p_pi = weighted_sum(p, s.log_P - log_z - s.log_pi);
    e.kl_p_q = weighted_sum(p, s.log_P - log_z - s.log_q);
    e.ess_p = 1.0 / (p * p).sum().item<double>() / double(p.numel());
  } else {
    e.kl_p_pi = e.kl_p_q = std::numeric_limits<double>::quiet_NaN();
  }
  return e;
}

torch::Tensor gdc_loss(const torch::Tensor& log_pi, const torch::Tensor& weight) {
  return -(weight.detach().to(log_pi.scalar_type()) * log_pi).mean();
}

torch::Tensor sequence_log_prob(const torch::Tensor& logits, const torch::Tensor& targets,
                                const torch::Tensor& valid, int64_t banned) {
  auto x = logits;  // (N, T, V)
  if (banned >= 0 && banned < x.size(2)) {
    x = x.index_fill(2, torch::tensor({banned}, torch::TensorOptions().dtype(torch::kLong).device(x.device())),
                     -kInf);
  }
  const auto lp = torch::log_softmax(x, 2).gather(2, targets.unsqueeze(2)).squeeze(2);  // (N, T)
  return torch::where(valid, lp, torch::zeros_like(lp)).sum(1);                         // (N)
}

MomentFit fit_moments(const torch::Tensor& phi_in, const torch::Tensor& log_base_in,
                      const std::vector<double>& target, double tol, int64_t max_iterations) {
  const auto phi = phi_in.to(torch::kCPU, torch::kDouble);           // (N, K)
  const auto log_base = log_base_in.to(torch::kCPU, torch::kDouble);  // (N)
  const int64_t K = phi.size(1);
  SM_CHECK(int64_t(target.size()) == K, "fit_moments: ", target.size(), " targets for ", K, " features");
  const auto mu_bar = torch::tensor(target, torch::kDouble);  // (K)
  auto lambda = torch::zeros({K}, torch::kDouble);
  // The dual L(λ) = log Σ_j exp(log_base_j + λ·φ_j) − λ·μ̄ (convex; its minimiser is the fit).
  auto dual = [&](const torch::Tensor& l) {
    return torch::logsumexp(log_base + phi.matmul(l), 0).item<double>() - l.dot(mu_bar).item<double>();
  };
  MomentFit fit;
  for (;; ++fit.iterations) {
    const auto w = torch::softmax(log_base + phi.matmul(lambda), 0);  // (N)
    const auto mu = w.matmul(phi);                                   // (K)
    const auto g = mu - mu_bar;                                      // (K) ∇L
    fit.lambda.assign(lambda.data_ptr<double>(), lambda.data_ptr<double>() + K);
    fit.moment.assign(mu.data_ptr<double>(), mu.data_ptr<double>() + K);
    if (g.abs().max().item<double>() < tol) {
      fit.converged = true;
      break;
    }
    if (fit.iterations >= max_iterations) break;
    const auto centred = phi - mu;                                                   // (N, K)
    const auto hessian = centred.t().matmul(centred * w.unsqueeze(1))                // (K, K) Cov_w(φ)
                         + 1e-9 * torch::eye(K, torch::kDouble);
    const auto direction = torch::inverse(hessian).matmul(g);  // (K) Newton step
    const double l0 = dual(lambda), slope = g.dot(direction).item<double>();
    double t = 1.0;
    while (t > 1e-10 && dual(lambda - t * direction) > l0 - 1e-4 * t * slope) t *= 0.5;
    lambda = lambda - t * direction;
  }
  return fit;
}

}  // namespace loss
}  // namespace seqmatch
