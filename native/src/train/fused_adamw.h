// AdamW whose update is one fused kernel launch per (device, dtype) group instead of ~10 launches
// per parameter. libtorch's C++ AdamW loops over the parameters one op at a time; on a GPU that is
// ~1,500 small kernels for GPT-2 124M (148 tensors), several milliseconds per step, while PyTorch
// users get torch.optim.AdamW(fused=True). This class IS a torch::optim::AdamW (same options, same
// param groups, same state: exp_avg, exp_avg_sq, step), so checkpoints (optimizer.pt) and exact
// resume are unchanged and either path can continue the other's run. step() takes the fused path,
// ATen's _fused_adamw_ (libtorch >= 2), when every parameter with a gradient is on CUDA and AMSGrad
// is off; anything else (CPU, libtorch 1.x) runs the inherited per-parameter step.
// Same update: p ← p·(1 − lr·λ); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
// p ← p − lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε). Test: ctest -R test_train (FusedAdamW*, CUDA only).
#pragma once

#include <torch/torch.h>

#include <unordered_map>
#include <utility>
#include <vector>

namespace seqmatch {
namespace train {

class FusedAdamW : public torch::optim::AdamW {
 public:
  using torch::optim::AdamW::AdamW;

  torch::Tensor step(LossClosure closure = nullptr) override;

  // Whether this build can take the fused path at all (libtorch >= 2); where it cannot, step() is
  // AdamW's own.
  static bool available();

  // How the last step() ran: true = fused kernels, false = the per-parameter loop.
  bool last_step_fused() const { return last_fused_; }

 private:
  bool last_fused_ = false;
  // The fused kernel reads t from a float tensor on the parameter's device (advanced by step() before
  // each launch); the authoritative count stays AdamWParamState::step (what optimizer.pt saves). The
  // int is the count the tensor holds, so a state loaded from a checkpoint is noticed and the tensor
  // reset.
  std::unordered_map<const void*, std::pair<int64_t, torch::Tensor>> device_steps_;  // by TensorImpl
};

}  // namespace train
}  // namespace seqmatch
