// The one linear layer of every model family: y = x·Wᵀ + b (nn.Linear layout, Llama/Qwen) or
// y = x·W + b (HF Conv1D layout, GPT-2), keeping each family's own stored layout so checkpoints
// map 1:1 to Hugging Face names with no transposes. Every projection a LoRA adapter can target
// is a Projection, so adapters attach by module name without knowing the family (model/lora.h).
// Legend: N rows (B·T flattened), I in_features, O out_features.
#pragma once

#include <torch/torch.h>

namespace seqmatch {
namespace model {

enum class WeightLayout {
  kLinear,  // weight (O, I): torch.nn.Linear, used by Llama/Qwen
  kConv1D,  // weight (I, O): transformers' Conv1D, used by GPT-2
};

class ProjectionImpl : public torch::nn::Module {
 public:
  ProjectionImpl(int64_t in_features, int64_t out_features, bool bias, WeightLayout layout);
  // x: (..., I) → (..., O)
  torch::Tensor forward(const torch::Tensor& x);

  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }
  WeightLayout layout() const { return layout_; }
  // The weight as (O, I) whatever the stored layout (a view, no copy): what LoRA merges into.
  torch::Tensor weight_out_in() const { return layout_ == WeightLayout::kLinear ? weight : weight.t(); }

  torch::Tensor weight, bias;  // bias undefined when the layer has none

 private:
  int64_t in_, out_;
  WeightLayout layout_;
};
TORCH_MODULE(Projection);

}  // namespace model
}  // namespace seqmatch
