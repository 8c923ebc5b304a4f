// RMSNorm (Zhang & Sennrich 2019), as Llama/Qwen2 use it: y = w · x / sqrt(mean(x²) + ε),
// the statistic taken in float32 whatever the activation dtype (as HF's LlamaRMSNorm), one
// parameter "weight" (C) so checkpoints map to HF's "...layernorm.weight" / "model.norm.weight".
// Test: ctest -R test_llama
#pragma once

#include <torch/torch.h>

namespace seqmatch {
namespace model {

class RMSNormImpl : public torch::nn::Module {
 public:
  RMSNormImpl(int64_t size, double eps);
  torch::Tensor forward(const torch::Tensor& x);  // (..., C) -> (..., C), x's dtype
  torch::Tensor weight;  // (C)
  double eps;
};
TORCH_MODULE(RMSNorm);

}  // namespace model
}  // namespace seqmatch
