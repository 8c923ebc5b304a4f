// Batch-mean denominators: see normalisers.h.
#include "loss/normalisers.h"

namespace seqmatch {
namespace loss {

std::array<double, Normalisers::kCount> Normalisers::as_array() const {
  return {data_weight, model_weight, expert_rows, data_rows, terminal_rows};
}

Normalisers Normalisers::from_array(const double* v) {
  Normalisers n;
  n.data_weight = v[0], n.model_weight = v[1], n.expert_rows = v[2], n.data_rows = v[3], n.terminal_rows = v[4];
  return n;
}

Normalisers normalisers(const data::PackedBatch& p, double gamma, bool noise_as_expert) {
  // float64 on the CPU: these are sums over the whole batch, and every rank must agree on them.
  auto loss_row = p.loss_row.to(torch::kCPU);
  auto from_model = p.from_model.to(torch::kCPU).unsqueeze(1);
  auto data_rows = loss_row & from_model.logical_not();                   // (B, T)
  auto model_rows = loss_row & from_model;                                // (B, T)
  auto expert = noise_as_expert ? data_rows : data_rows & p.expert.to(torch::kCPU);
  auto w = torch::pow(gamma, p.step.to(torch::kCPU, torch::kDouble));     // (B, T) γ^t
  Normalisers n;
  n.data_weight = (w * data_rows.to(torch::kDouble)).sum().item<double>();
  n.model_weight = (w * model_rows.to(torch::kDouble)).sum().item<double>();
  n.expert_rows = double(expert.sum().item<int64_t>());
  n.data_rows = double(data_rows.sum().item<int64_t>());
  n.terminal_rows = double((p.terminal.to(torch::kCPU) & loss_row).sum().item<int64_t>());
  return n;
}

}  // namespace loss
}  // namespace seqmatch
