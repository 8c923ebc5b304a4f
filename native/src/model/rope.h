// Rotary position embedding (Su et al. 2021) as Llama/Qwen2 apply it (HF's rotate_half
// convention: the two halves of each head's D dims form the pairs). Angles come from EXPLICIT
// position ids (B, T), not from a token's index: the backspace packing (DESIGN.md §3) gives each
// token of a packed trajectory its own position, so all states still run in one forward pass.
// Frequencies follow config.json's rope_theta and rope_scaling ("linear", "llama3"; model/config.h
// refuses others). Test: ctest -R test_llama
// Legend: B batch, T tokens, H heads, D head dim.
#pragma once

#include <torch/torch.h>

#include <string>

namespace seqmatch {
namespace model {

struct RopeScaling {
  std::string type;  // "" = none, "linear", "llama3"
  double factor = 1.0;
  double low_freq_factor = 1.0, high_freq_factor = 4.0;  // llama3
  int64_t original_max_position_embeddings = 8192;        // llama3
};

// inv_freq (D/2), float32: θ^(-2i/D), rescaled per `scaling` (as HF's rope init functions).
torch::Tensor rope_inv_freq(int64_t head_dim, double theta, const RopeScaling& scaling);

// cos, sin (B, 1, T, D) in float32 for positions pos (B, T).
std::pair<torch::Tensor, torch::Tensor> rope_angles(const torch::Tensor& inv_freq, const torch::Tensor& pos);

// x (B, H, T, D) rotated by the angles: x·cos + rotate_half(x)·sin, in x's dtype.
torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

}  // namespace model
}  // namespace seqmatch
