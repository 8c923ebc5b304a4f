// Rotary position embedding: see rope.h.
#include "model/rope.h"

#include <cmath>

namespace seqmatch {
namespace model {

torch::Tensor rope_inv_freq(int64_t head_dim, double theta, const RopeScaling& s) {
  // Same float32 arithmetic as HF (arange(0, D, 2).float() / D, then base ** that), so logits
  // match to float32 rounding.
  auto exponent = torch::arange(0, head_dim, 2, torch::kLong).to(torch::kFloat) / double(head_dim);
  auto inv_freq = 1.0 / torch::pow(torch::tensor(theta, torch::kFloat), exponent);  // (D/2)
  if (s.type == "linear") return inv_freq / s.factor;
  if (s.type == "llama3") {
    // Llama 3.1: long wavelengths slowed by `factor`, short ones kept, a smooth blend between.
    const double old_len = double(s.original_max_position_embeddings);
    const double low_wavelen = old_len / s.low_freq_factor, high_wavelen = old_len / s.high_freq_factor;
    auto wavelen = 2.0 * M_PI / inv_freq;
    auto scaled = torch::where(wavelen > low_wavelen, inv_freq / s.factor, inv_freq);
    auto smooth = (old_len / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
    auto smoothed = (1 - smooth) * scaled / s.factor + smooth * scaled;
    auto medium = (wavelen >= high_wavelen).logical_and(wavelen <= low_wavelen);
    return torch::where(medium, smoothed, scaled);
  }
  return inv_freq;
}

std::pair<torch::Tensor, torch::Tensor> rope_angles(const torch::Tensor& inv_freq, const torch::Tensor& pos) {
  auto freqs = pos.to(torch::kFloat).unsqueeze(-1) * inv_freq.to(pos.device());  // (B, T, D/2)
  auto emb = torch::cat({freqs, freqs}, -1).unsqueeze(1);                        // (B, 1, T, D)
  return {emb.cos(), emb.sin()};
}

torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  const auto half = x.size(-1) / 2;
  auto x1 = x.narrow(-1, 0, half), x2 = x.narrow(-1, half, half);
  auto rotated = torch::cat({-x2, x1}, -1);                                  // rotate_half(x)
  return x * cos.to(x.scalar_type()) + rotated * sin.to(x.scalar_type());  // (B, H, T, D)
}

}  // namespace model
}  // namespace seqmatch
