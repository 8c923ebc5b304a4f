// Per-row KV cache: see kv_cache.h.
#include "model/kv_cache.h"

#include <algorithm>

#include "util/check.h"

namespace seqmatch {
namespace model {

KVCache::KVCache(int64_t rows, int64_t capacity, int64_t n_layer, int64_t n_head,
                 int64_t head_dim, torch::TensorOptions options)
    : lengths_(rows, 0), capacity_(capacity) {
  SM_CHECK(rows > 0 && capacity > 0, "kv cache: rows and capacity must be positive (got rows=",
           rows, ", capacity=", capacity, ")");
  layers_.reserve(n_layer);
  for (int64_t i = 0; i < n_layer; ++i) {
    layers_.push_back({torch::zeros({rows, n_head, capacity, head_dim}, options),    // (B,H,S,D)
                       torch::zeros({rows, n_head, capacity, head_dim}, options)});  // (B,H,S,D)
  }
}

int64_t KVCache::max_length() const {
  return lengths_.empty() ? 0 : *std::max_element(lengths_.begin(), lengths_.end());
}

void KVCache::truncate(int64_t row, int64_t length) {
  SM_CHECK(row >= 0 && row < rows(), "kv cache: row out of range (got ", row, ", expected 0..",
           rows() - 1, ")");
  SM_CHECK(length >= 0 && length <= lengths_[row],
           "kv cache: truncate can only shorten a row (got length ", length, ", row ", row,
           " has ", lengths_[row], ")");
  lengths_[row] = length;  // stale slots are masked out and overwritten by the next write
}

void KVCache::advance(const std::vector<int64_t>& n_new) {
  SM_CHECK(static_cast<int64_t>(n_new.size()) == rows(), "kv cache: advance needs one count per row");
  for (size_t b = 0; b < n_new.size(); ++b) lengths_[b] += n_new[b];
}

void KVCache::keep_rows(const std::vector<int64_t>& rows_to_keep) {
  SM_CHECK(!rows_to_keep.empty(), "kv cache: keep_rows needs at least one row");
  std::vector<int64_t> lengths;
  for (int64_t r : rows_to_keep) {
    SM_CHECK(r >= 0 && r < rows(), "kv cache: row out of range (got ", r, ")");
    lengths.push_back(lengths_[r]);
  }
  auto device = layers_.empty() ? torch::kCPU : layers_[0].k.device();
  auto index = torch::tensor(rows_to_keep, torch::kLong).to(device);  // (B')
  for (auto& layer : layers_) {
    layer.k = layer.k.index_select(0, index);  // (B', H, S, D)
    layer.v = layer.v.index_select(0, index);  // (B', H, S, D)
  }
  lengths_ = std::move(lengths);
}

}  // namespace model
}  // namespace seqmatch
