// safetensors reader/writer (https://github.com/huggingface/safetensors format):
// 8-byte little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets}},
// then the raw little-endian data. Everything is validated (header size, JSON, dtypes, shapes,
// offsets within the file) before any tensor is allocated. Test: ctest -R test_checkpoint
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace seqmatch {
namespace model {

// One tensor's header entry: what the file promises, checked against the file size.
struct TensorInfo {
  torch::ScalarType dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte range within the data section
};

// The header alone (reads at most 8 + 100 MB, allocates no tensor), so callers can check
// shapes against a config before allocating anything. Errors name the file and tensor.
std::map<std::string, TensorInfo> read_safetensors_header(const std::string& path);

// All tensors of a file, on CPU, in their stored dtype. Errors name the file and tensor.
std::map<std::string, torch::Tensor> read_safetensors(const std::string& path);

// Writes tensors (any device; copied to CPU, contiguous) in the given order to `path`
// directly: callers wanting atomicity write to a temporary name and rename.
void write_safetensors(const std::string& path,
                       const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace model
}  // namespace seqmatch
