// RAII bf16 autocast on CUDA (mixed precision): enabled for the forward pass and the loss,
// restored on scope exit. A no-op on CPU. The API moved in libtorch 2.4; both are handled.
// AutocastOff: a scope inside it where every op runs in its inputs' dtype (CPU and CUDA autocast
// both off), for the parts of a loss that must stay fp32 (EMO's DEMD).
#pragma once

#include <ATen/autocast_mode.h>
#include <c10/core/impl/LocalDispatchKeySet.h>
#include <torch/version.h>  // provides: TORCH_VERSION_MAJOR/MINOR

namespace seqmatch {
namespace util {

class AutocastGuard {
 public:
  explicit AutocastGuard(bool enabled) : enabled_(enabled) {
    if (!enabled_) return;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
    at::autocast::set_autocast_enabled(at::kCUDA, true);
#else
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(true);
#endif
  }
  ~AutocastGuard() {
    if (!enabled_) return;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_enabled(at::kCUDA, false);
#else
    at::autocast::set_enabled(false);
#endif
    at::autocast::clear_cache();
  }
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool enabled_;
};

class AutocastOff {
 public:
  AutocastOff() = default;
  AutocastOff(const AutocastOff&) = delete;
  AutocastOff& operator=(const AutocastOff&) = delete;

 private:
  // Excluding the autocast dispatch keys is what autocast's own kernels do to call the plain op;
  // the guard restores the previous set on exit. Same API in libtorch 1.13 and 2.x.
  c10::impl::ExcludeDispatchKeyGuard guard_{c10::autocast_dispatch_keyset};
};

}  // namespace util
}  // namespace seqmatch
