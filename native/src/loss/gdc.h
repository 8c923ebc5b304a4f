// Distribution matching with GDC++ / DPG (Korbak et al. 2022, "On Reinforcement Learning and
// Distribution Matching for Fine-Tuning Language Models with no Catastrophic Forgetting", Alg. 1):
// the policy π_θ approaches p(x) = P(x)/Z, an EBM built from the frozen initial model a(x):
//   P(x) = a(x) · Π_i b_i(x) · exp(Σ_j λ_j·φ_j(x))          (pointwise b_i, distributional φ_j)
// from samples of a proposal q, with the importance-weighted gradient (§2.2, eq. 4 and 6)
//   GDC++:  E_q[(P(x)/q(x) − Z·π(x)/q(x)) ∇log π(x)]          (the baseline Z·π/q, §3)
//   DPG:    E_q[ P(x)/q(x) ∇log π(x)]
// Both are divided here by Z (a positive constant per step: the direction is unchanged and the
// weights stay O(1) under AdamW), so sample i's weight is w_i = P_i/(Z·q_i) − [GDC++] π_i/q_i.
// Sequence log-probabilities are large negatives: every ratio is formed as exp(difference of logs)
// in float64. Z is the importance-sampling estimate E_q[P/q], pooled over all steps' samples
// (it does not depend on q). Legend: N samples, K constraints. Test: ctest -R test_gdc
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace seqmatch {
namespace loss {

// log Z ≈ log mean_i P_i/q_i over every sample seen so far, accumulated in log space.
class PartitionEstimate {
 public:
  void add(const torch::Tensor& log_p_over_q);  // (N) float64, −inf where P = 0
  double log_z() const;                         // −inf until some sample has P > 0
  double log_sum() const { return log_sum_; }
  int64_t count() const { return count_; }
  void restore(double log_sum, int64_t count) { log_sum_ = log_sum, count_ = count; }

 private:
  double log_sum_ = -std::numeric_limits<double>::infinity();
  int64_t count_ = 0;
};

// The per-sample log quantities of one batch drawn from q, all (N) float64.
struct GdcSamples {
  torch::Tensor log_P;   // log P(x): log a + Σ log b + λ·φ (−inf where a pointwise b is 0)
  torch::Tensor log_q;   // log q(x), the proposal that drew x
  torch::Tensor log_pi;  // log π(x), the policy now
  torch::Tensor log_a;   // log a(x), the initial model
};

// Estimates logged per step (§4 of the paper's metrics), by self-normalised importance sampling
// over the batch: p-weights ∝ P/q, π-weights ∝ π/q.
struct GdcEstimates {
  torch::Tensor weight;      // (N) w_i as in the header; zero when Z is still 0 (no P > 0 seen)
  double weight_var = 0;     // variance of w over the batch: the gradient-variance proxy
  double kl_p_pi = 0;        // KL(p‖π) = E_p[log P − log Z − log π]
  double kl_p_q = 0;         // KL(p‖q): the proposal is replaced by π when KL(p‖π) is lower
  double kl_pi_a = 0;        // KL(π‖a) = E_π[log π − log a]: the forgetting GDC bounds
  double ess_p = 0;          // effective sample size of the p-weights, / N (1 = q matches p)
  torch::Tensor pi_weight;   // (N) self-normalised π/q: E_π[f] ≈ Σ_i pi_weight_i·f_i
};

GdcEstimates gdc_estimates(const GdcSamples& s, double log_z, bool baseline);

// The surrogate loss whose gradient is −mean_i w_i ∇log π(x_i): log_pi (N) carries the graph.
torch::Tensor gdc_loss(const torch::Tensor& log_pi, const torch::Tensor& weight);

// log π(x) of token sequences under a causal LM's logits: logits (N, T, V) of the rows
// [start, x_1, ..., x_L, pad...], targets (N, T) = the rows shifted left, valid (N, T) bool =
// position t predicts a real x_{t+1}; `banned` (e.g. <bkspc> when sampling without it) is
// excluded from the softmax. Returns (N) in the logits' dtype, summed over valid positions.
torch::Tensor sequence_log_prob(const torch::Tensor& logits, const torch::Tensor& targets,
                                const torch::Tensor& valid, int64_t banned);

// λ for distributional constraints, as GDC fits it (Khalifa et al. 2021, §2.2): with samples x_j
// from a (carrying log_base_j = Σ log b(x_j), or log a(x_j) − log(sampling prob) when the samples
// are an enumeration), the SNIS moment μ(λ) = Σ_j w_j φ_j / Σ_j w_j, w_j = exp(log_base_j + λ·φ_j),
// must equal μ̄. μ(λ) − μ̄ is the gradient of the convex L(λ) = log Σ_j w_j − λ·μ̄ and Cov_w(φ) its
// Hessian, so Newton steps with backtracking on L converge; stop when max_k |μ_k − μ̄_k| < tol.
struct MomentFit {
  std::vector<double> lambda, moment;  // (K) each
  int64_t iterations = 0;
  bool converged = false;
};
MomentFit fit_moments(const torch::Tensor& phi, const torch::Tensor& log_base,
                      const std::vector<double>& target, double tol, int64_t max_iterations = 100);

}  // namespace loss
}  // namespace seqmatch
