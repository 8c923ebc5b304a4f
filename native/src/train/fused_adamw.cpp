// AdamW with a fused step on CUDA: see fused_adamw.h.
#include "train/fused_adamw.h"

#include <torch/version.h>  // provides: TORCH_VERSION_MAJOR

#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <type_traits>

namespace seqmatch {
namespace train {

namespace {

// Optimizer::state_ is keyed by the parameter's TensorImpl: its address printed to a string in older
// libtorch (as c10::guts::to_string writes it), the pointer itself in newer. A template, so that
// only the branch of this libtorch's key type is compiled.
template <class Key, class Tensor>
Key state_key(const Tensor& p) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream s;
    s << p.unsafeGetTensorImpl();
    return s.str();
  } else {
    return p.unsafeGetTensorImpl();
  }
}

}  // namespace

bool FusedAdamW::available() {
#if TORCH_VERSION_MAJOR >= 2
  return true;
#else
  return false;
#endif
}

torch::Tensor FusedAdamW::step(LossClosure closure) {
#if TORCH_VERSION_MAJOR >= 2
  bool fusable = true;
  for (const auto& group : param_groups_) {
    const auto& o = static_cast<const torch::optim::AdamWOptions&>(group.options());
    if (o.amsgrad()) fusable = false;
    for (const auto& p : group.params())
      if (p.grad().defined() && (!p.is_cuda() || p.grad().is_sparse())) fusable = false;
  }
  last_fused_ = fusable;
  if (!fusable) return torch::optim::AdamW::step(std::move(closure));
  torch::NoGradGuard no_grad;
  torch::Tensor loss = {};
  if (closure != nullptr) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  for (auto& group : param_groups_) {
    const auto& o = static_cast<const torch::optim::AdamWOptions&>(group.options());
    // One launch per (device, dtype): the kernel takes lists of one device and one dtype.
    using Key = std::tuple<int, int>;
    struct Lists { std::vector<torch::Tensor> p, g, m, v, t; };
    std::map<Key, Lists> lists;
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      const auto key = state_key<std::decay_t<decltype(state_)>::key_type>(p);
      auto it = state_.find(key);
      if (it == state_.end()) {  // first step of p: AdamW's own initial state
        auto s = std::make_unique<torch::optim::AdamWParamState>();
        s->step(0);
        s->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        s->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        it = state_.emplace(key, std::move(s)).first;
      }
      auto& s = static_cast<torch::optim::AdamWParamState&>(*it->second);
      auto& t = device_steps_[p.unsafeGetTensorImpl()];
      if (!t.second.defined() || t.first != s.step() || t.second.device() != p.device())
        t = {s.step(), torch::full({}, double(s.step()), p.options().dtype(torch::kFloat))};
      s.step(s.step() + 1);  // t: the kernel reads it; its device copy is advanced below, before the kernel
      t.first = s.step();
      auto& l = lists[Key{int(p.device().index()), int(p.scalar_type())}];
      l.p.push_back(p);
      l.g.push_back(p.grad());
      l.m.push_back(s.exp_avg());
      l.v.push_back(s.exp_avg_sq());
      l.t.push_back(t.second);
    }
    const auto [beta1, beta2] = o.betas();
    for (auto& [key, l] : lists) {
      // As torch.optim.AdamW(fused=True): t is advanced before the kernel, which only reads it for the
      // bias corrections 1 − β^t (at t = 0 they would be 0, and the update NaN).
      at::_foreach_add_(l.t, 1);
      at::_fused_adamw_(l.p, l.g, l.m, l.v, /*max_exp_avg_sqs=*/at::TensorList(), l.t, o.lr(), beta1, beta2, o.weight_decay(),
                        o.eps(), /*amsgrad=*/false, /*maximize=*/false);
    }
  }
  return loss;
#else
  last_fused_ = false;
  return torch::optim::AdamW::step(std::move(closure));
#endif
}

}  // namespace train
}  // namespace seqmatch
