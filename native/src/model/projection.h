// The one linear layer of every model family: y = x·Wᵀ + b (nn.Linear layout, Llama/Qwen) or
// y = x·W + b (HF Conv1D layout, GPT-2), keeping each family's own stored layout so checkpoints
// map 1:1 to Hugging Face names with no transposes. Every projection a LoRA adapter can target
// is a Projection, so adapters attach by module name without knowing the family (model/lora.h).
// Optional LoRA branch (Hu et al. 2021, as PEFT computes it):
//   y = W x + b + (α/r)·B·A·dropout(x),   A (r, I) Kaiming-uniform(a=√5), B (O, r) zero
// so an attached adapter starts as the identity change. A and B are plain members, not registered
// parameters: the model's state dict (what checkpoints save and load) stays the base's alone,
// and the trainer asks model/lora.h for the adapter tensors it optimises.
// Legend: N rows (B·T flattened), I in_features, O out_features, r LoRA rank.
#pragma once

#include <torch/torch.h>

namespace seqmatch {
namespace model {

enum class WeightLayout {
  kLinear,  // weight (O, I): torch.nn.Linear, used by Llama/Qwen
  kConv1D,  // weight (I, O): transformers' Conv1D, used by GPT-2
};

// A LoRA adapter on one projection: ΔW = scale·B·A with scale = α/r.
struct LoraBranch {
  torch::Tensor A;  // (r, I) float32 leaf
  torch::Tensor B;  // (O, r) float32 leaf
  double scale = 1.0;    // α / r
  double dropout = 0.0;  // on the adapter's input only, while training
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

  // Adds a rank-r branch initialised as PEFT does (A Kaiming-uniform, B zero), on the weight's
  // device, in float32 whatever the base dtype (the adapter is what trains).
  void attach_lora(int64_t r, double alpha, double dropout);
  bool has_lora() const { return lora_.A.defined(); }
  LoraBranch& lora() { return lora_; }
  const LoraBranch& lora() const { return lora_; }
  // W ← W + scale·B·A in the stored layout (computed in float64, rounded once to W's dtype),
  // then the branch is removed: the layer computes the same function with no extra matmuls.
  void merge_lora();
  void detach_lora() { lora_ = LoraBranch(); }

  torch::Tensor weight, bias;  // bias undefined when the layer has none

 private:
  int64_t in_, out_;
  WeightLayout layout_;
  LoraBranch lora_;
};
TORCH_MODULE(Projection);

}  // namespace model
}  // namespace seqmatch
