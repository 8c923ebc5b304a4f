// Action selection for one decode step: see sampling.h.
#include "sample/sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "util/check.h"

namespace seqmatch {
namespace sample {

void validate(const SamplingOptions& o) {
  SM_CHECK(o.max_new_tokens > 0, "sampling: max_new_tokens must be > 0 (got ", o.max_new_tokens, ")");
  SM_CHECK(o.max_actions >= 0, "sampling: max_actions must be >= 0 (got ", o.max_actions, ")");
  SM_CHECK(o.greedy || o.temperature > 0, "sampling: temperature must be > 0 (got ",
           o.temperature, "). Hint: use greedy for temperature 0");
  SM_CHECK(o.top_k >= 0, "sampling: top_k must be >= 0 (got ", o.top_k, ")");
  SM_CHECK(o.top_p > 0 && o.top_p <= 1, "sampling: top_p must be in (0, 1] (got ", o.top_p, ")");
}

double counter_uniform(uint64_t seed, uint64_t counter) {
  uint64_t z = seed * 0x9E3779B97F4A7C15ull + counter + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return (double(z >> 11) + 0.5) * (1.0 / 9007199254740992.0);  // (0, 1)
}

namespace {

// Throws for the first row whose logits hold a NaN or +inf, or whose actions are all masked:
// sampling from such a row would pick an arbitrary (possibly masked) action.
void check_logits(const torch::Tensor& x, const std::vector<int64_t>& row_ids) {
  auto bad = x.isnan().logical_or(x == std::numeric_limits<float>::infinity());  // (B, V)
  auto none = (x == -std::numeric_limits<float>::infinity()).all(1);             // (B)
  if (!bad.any().item<bool>() && !none.any().item<bool>()) return;
  auto bad_c = bad.to(torch::kCPU).contiguous();
  auto none_c = none.to(torch::kCPU).contiguous();
  auto xc = x.to(torch::kCPU).contiguous();
  const int64_t B = x.size(0), V = x.size(1);
  for (int64_t i = 0; i < B; ++i) {
    const int64_t row = row_ids.empty() ? i : row_ids[size_t(i)];
    for (int64_t v = 0; v < V; ++v) {
      if (bad_c[i][v].item<bool>()) {
        const float f = xc[i][v].item<float>();
        SM_CHECK(false, "generate: row ", row, ": the model's logits are not finite (",
                std::isnan(f) ? "NaN" : "+inf", ") at action ", v,
                ". Hint: check the checkpoint's weights for NaN/inf");
      }
    }
    SM_CHECK(!none_c[i].item<bool>(), "generate: row ", row,
             ": no action is allowed (every logit is -inf after masking)");
  }
}

// The cheap form of check_logits, run every step: a row with a NaN or +inf has a NaN or +inf
// max (max propagates NaN), an all-masked row a −inf max, so B finite maxima mean every row is
// fine; only then is the (B, V) scan for the message skipped.
void check_rows(const torch::Tensor& row_max, const torch::Tensor& x, const std::vector<int64_t>& row_ids) {
  if (torch::isfinite(row_max).all().item<bool>()) return;
  check_logits(x, row_ids);
  SM_CHECK(false, "generate: the model's logits are not finite");  // not reached: check_logits names the row
}

}  // namespace

torch::Tensor choose_actions(const torch::Tensor& logits, const SamplingOptions& o,
                             const std::vector<double>& u, torch::Tensor* logprob_out,
                             const std::vector<int64_t>& row_ids) {
  const auto B = logits.size(0), V = logits.size(1);
  auto x = logits.to(torch::kFloat);  // (B, V)
  if (o.greedy) {
    auto best = x.max(-1);  // one pass: the argmax and the values the check needs
    check_rows(std::get<0>(best), x, row_ids);
    auto a = std::get<1>(best);  // (B)
    if (logprob_out) *logprob_out = torch::log_softmax(x, -1).gather(1, a.unsqueeze(1)).squeeze(1);
    return a;
  }
  const float neg_inf = -std::numeric_limits<float>::infinity();
  const double T = std::min(std::max(o.temperature, kMinTemperature), kMaxTemperature);
  auto max = x.amax(1, /*keepdim=*/true);  // (B, 1)
  check_rows(max, x, row_ids);
  auto scaled = x / T;  // the plain division while it cannot overflow (keeps seeded samples stable)
  if ((max.squeeze(1) / T == std::numeric_limits<float>::infinity()).any().item<bool>()) {
    // Huge logits / small T overflowed: shift by the row max first, so every allowed value is
    // <= 0 and the max is exactly 0 (never inf - inf); masked -inf stays -inf.
    scaled = (x - max) / T;
  }
  x = scaled;
  if (o.top_k > 0 && o.top_k < V) {
    auto kth = std::get<0>(x.topk(o.top_k, -1)).narrow(1, o.top_k - 1, 1);  // (B, 1)
    x = x.masked_fill(x < kth, neg_inf);
  }
  if (o.top_p < 1.0) {
    auto sorted = x.sort(-1, /*descending=*/true);
    auto values = std::get<0>(sorted), order = std::get<1>(sorted);  // (B, V)
    auto p = torch::softmax(values, -1);                              // (B, V)
    // Drop a token when the mass before it already reaches top_p; the first always stays.
    auto drop = (p.cumsum(-1) - p) >= o.top_p;  // (B, V)
    values = values.masked_fill(drop, neg_inf);
    x = torch::empty_like(x).scatter_(1, order, values);  // (B, V)
  }
  auto logp = torch::log_softmax(x, -1);  // (B, V)
  auto cdf = logp.exp().cumsum(-1);       // (B, V)
  auto target = torch::tensor(u, torch::kDouble).to(x.device(), torch::kFloat).view({B, 1}) *
                cdf.narrow(1, V - 1, 1);                                      // (B, 1)
  auto a = torch::searchsorted(cdf, target).clamp_max(V - 1).squeeze(1);      // (B)
  if (logprob_out) *logprob_out = logp.gather(1, a.unsqueeze(1)).squeeze(1);
  return a;
}

}  // namespace sample
}  // namespace seqmatch
