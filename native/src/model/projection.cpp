// Projection: see projection.h.
#include "model/projection.h"

#include <cmath>

#include "util/check.h"

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
  if (has_lora()) {
    auto xa = x2;
    if (lora_.dropout > 0 && is_training()) xa = torch::dropout(xa, lora_.dropout, /*train=*/true);
    // (N, I)·Aᵀ → (N, r), ·Bᵀ → (N, O): never forms the (O, I) product B·A.
    auto delta = torch::mm(torch::mm(xa.to(lora_.A.scalar_type()), lora_.A.t()), lora_.B.t());
    y = y + (delta * lora_.scale).to(y.scalar_type());
  }
  return y.view(out_shape);
}

void ProjectionImpl::attach_lora(int64_t r, double alpha, double dropout) {
  SM_CHECK(r > 0, "lora: r must be > 0 (got ", r, ")");
  SM_CHECK(dropout >= 0 && dropout < 1, "lora: dropout must be in [0, 1) (got ", dropout, ")");
  auto opts = weight.options().dtype(torch::kFloat);
  torch::NoGradGuard no_grad;
  lora_.A = torch::empty({r, in_}, opts);
  // PEFT: nn.init.kaiming_uniform_(lora_A, a=sqrt(5)), i.e. U(−1/√I, 1/√I).
  torch::nn::init::kaiming_uniform_(lora_.A, std::sqrt(5.0));
  lora_.B = torch::zeros({out_, r}, opts);
  lora_.A.requires_grad_(true);
  lora_.B.requires_grad_(true);
  lora_.scale = alpha / double(r);
  lora_.dropout = dropout;
}

void ProjectionImpl::merge_lora() {
  SM_CHECK(has_lora(), "lora: merge on a projection without an adapter");
  torch::NoGradGuard no_grad;
  auto delta = torch::mm(lora_.B.to(torch::kDouble), lora_.A.to(torch::kDouble)) * lora_.scale;  // (O, I)
  if (layout_ == WeightLayout::kConv1D) delta = delta.t();                                         // (I, O)
  weight.copy_((weight.to(torch::kDouble) + delta.to(weight.device())).to(weight.scalar_type()));
  detach_lora();
}

}  // namespace model
}  // namespace seqmatch
