// Trainable vocabulary rows: see token_rows.h.
#include "model/token_rows.h"

#include "util/check.h"

namespace seqmatch {
namespace model {

namespace {

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

torch::Tensor index_tensor(const std::vector<int64_t>& ids, const torch::Device& d) {
  return torch::tensor(ids, torch::kLong).to(d);
}

}  // namespace

std::vector<std::pair<std::string, torch::Tensor>> vocabulary_matrices(torch::nn::Module& model) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& p : model.named_parameters()) {
    const std::string& n = p.key();
    const bool vocab = n == "wte.weight" || n == "embed_tokens.weight" || ends_with(n, ".embed_tokens.weight") ||
                       n == "lm_head.weight" || ends_with(n, ".lm_head.weight");
    if (!vocab) continue;
    bool tied = false;
    for (const auto& [m, t] : out) tied = tied || t.is_same(p.value()) || t.data_ptr() == p.value().data_ptr();
    if (!tied) out.emplace_back(n.substr(0, n.size() - std::string(".weight").size()), p.value());
  }
  return out;
}

TrainableTokenRows::TrainableTokenRows(torch::nn::Module& model, std::vector<int64_t> ids) : ids_(std::move(ids)) {
  if (ids_.empty()) return;
  const auto matrices = vocabulary_matrices(model);
  SM_CHECK(!matrices.empty(), "lora: the model has no vocabulary matrix (wte.weight, embed_tokens.weight) "
           "for the new token rows");
  for (const auto& [module, m] : matrices) {
    for (int64_t id : ids_)
      SM_CHECK(id >= 0 && id < m.size(0), "lora: token id ", id, " is outside ", module, " (", m.size(0), " rows)");
    torch::NoGradGuard no_grad;
    auto values = m.index_select(0, index_tensor(ids_, m.device())).to(torch::kFloat).clone();
    entries_.push_back({module, m, values.requires_grad_(true)});
    m.requires_grad_(true);  // reached by autograd; never optimised itself (token_rows.h)
  }
}

std::vector<torch::Tensor> TrainableTokenRows::parameters() const {
  std::vector<torch::Tensor> out;
  for (const auto& e : entries_) out.push_back(e.values);
  return out;
}

std::vector<torch::Tensor> TrainableTokenRows::matrices() const {
  std::vector<torch::Tensor> out;
  for (const auto& e : entries_) out.push_back(e.matrix);
  return out;
}

void TrainableTokenRows::pull_gradients() {
  torch::NoGradGuard no_grad;
  for (auto& e : entries_) {
    auto& g = e.matrix.mutable_grad();
    if (!g.defined()) continue;
    auto rows = g.index_select(0, index_tensor(ids_, g.device())).to(torch::kFloat);  // (n, C)
    auto& vg = e.values.mutable_grad();
    if (vg.defined()) vg.add_(rows); else vg = rows;
    g = torch::Tensor();  // the (V, C) gradient is not kept
  }
}

void TrainableTokenRows::push_values() {
  torch::NoGradGuard no_grad;
  for (auto& e : entries_)
    e.matrix.index_copy_(0, index_tensor(ids_, e.matrix.device()), e.values.to(e.matrix.scalar_type()));
}

}  // namespace model
}  // namespace seqmatch
