// Per-row key/value cache for incremental decoding, with per-row lengths so rows of a batch
// can grow and roll back independently (the <bkspc> action pops a row's last entry).
// Layout per layer: k, v of shape (B, H, S, D), S = capacity, H = the model's key/value heads
// (under grouped-query attention fewer than its query heads, stored unrepeated: DecoderLMImpl::
// make_cache picks the shape); slot j of row b is valid iff
// j < lengths[b]. Lengths live on the host: the sampler decides them, and keeping them there
// avoids a device sync per step. Test: ctest -R test_kv_cache
#pragma once

#include <torch/torch.h>

#include <vector>

namespace seqmatch {
namespace model {

struct LayerCache {
  torch::Tensor k, v;  // (B, H, S, D)
};

class KVCache {
 public:
  KVCache(int64_t rows, int64_t capacity, int64_t n_layer, int64_t n_head, int64_t head_dim,
          torch::TensorOptions options);

  int64_t rows() const { return static_cast<int64_t>(lengths_.size()); }
  int64_t capacity() const { return capacity_; }
  const std::vector<int64_t>& lengths() const { return lengths_; }
  int64_t max_length() const;
  LayerCache& layer(int64_t i) { return layers_[i]; }

  // Rolls row `row` back to `length` entries (length <= current length).
  void truncate(int64_t row, int64_t length);
  // Grows the lengths after a forward wrote new entries.
  void advance(const std::vector<int64_t>& n_new);
  // Keeps only the given rows, in that order (finished rows stop costing compute).
  void keep_rows(const std::vector<int64_t>& rows);

 private:
  std::vector<LayerCache> layers_;
  std::vector<int64_t> lengths_;
  int64_t capacity_;
};

}  // namespace model
}  // namespace seqmatch
