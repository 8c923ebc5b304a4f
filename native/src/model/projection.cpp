// Projection: see projection.h.
#include "model/projection.h"

namespace seqmatch {
namespace model {

ProjectionImpl::ProjectionImpl(int64_t in_features, int64_t out_features, bool has_bias,
                               WeightLayout layout)
    : in_(in_features), out_(out_features), layout_(layout) {
  weight = register_parameter("weight", layout == WeightLayout::kLinear
                                            ? torch::empty({out_features, in_features})
                                            : torch::empty({in_features, out_features}));
  if (has_bias) bias = register_parameter("bias", torch::zeros({out_features}));
}

torch::Tensor ProjectionImpl::forward(const torch::Tensor& x) {
  auto out_shape = x.sizes().vec();
  out_shape.back() = out_;
  auto x2 = x.reshape({-1, in_});  // (N, I)
  auto w = layout_ == WeightLayout::kLinear ? weight.t() : weight;  // (I, O)
  // bf16 weights on CPU compute in x's float32 (DecoderLMImpl::compute_dtype).
  auto cast = [&](const torch::Tensor& t) { return t.scalar_type() == x.scalar_type() ? t : t.to(x.scalar_type()); };
  auto y = bias.defined() ? torch::addmm(cast(bias), x2, cast(w)) : torch::mm(x2, cast(w));  // (N, O)
  return y.view(out_shape);
}

}  // namespace model
}  // namespace seqmatch
