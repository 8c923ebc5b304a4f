// RMSNorm: see rms_norm.h.
#include "model/rms_norm.h"

namespace seqmatch {
namespace model {

RMSNormImpl::RMSNormImpl(int64_t size, double eps) : eps(eps) {
  weight = register_parameter("weight", torch::ones({size}));
}

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
  auto xf = x.scalar_type() == torch::kDouble ? x : x.to(torch::kFloat);  // never below float32
  auto y = (xf * torch::rsqrt(xf.pow(2).mean(-1, /*keepdim=*/true) + eps)).to(x.scalar_type());
  return y * (weight.scalar_type() == x.scalar_type() ? weight : weight.to(x.scalar_type()));
}

}  // namespace model
}  // namespace seqmatch
