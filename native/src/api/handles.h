// What the opaque handles of api.h hold, and the error guard every facade function runs in.
// Shared by the facade's translation units only; nothing outside src/api includes it.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <stdexcept>

#include "model/config.h"
#include "model/decoder_lm.h"
#include "model/kv_cache.h"
#include "sample/decoder.h"
#include "seqmatch/api.h"
#include "util/check.h"

namespace seqmatch {
namespace api {

class Model {
 public:
  model::DecoderLM lm;  // any family
  model::ModelConfig config;
  torch::Device device{torch::kCPU};
};

class KVCache {
 public:
  Model* owner = nullptr;
  std::unique_ptr<model::KVCache> cache;
};

class Generation {
 public:
  std::unique_ptr<sample::BatchDecoder> decoder;
  std::vector<sample::ActionEvent> events;  // the last step's
};

// Runs f, mapping libtorch and std errors to std::runtime_error(one line, no backtrace).
template <typename F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const c10::Error& e) {
    throw std::runtime_error(e.what_without_backtrace());
  } catch (const std::runtime_error&) {
    throw;
  } catch (const std::exception& e) {
    throw std::runtime_error(e.what());
  }
}

// "cpu", "cuda", "cuda:1" → a device, with CUDA's availability checked (model_api.cpp).
torch::Device parse_device(const std::string& device);

inline Model* check_model(Model* m) {
  SM_CHECK(m != nullptr && m->lm, "model: null or closed handle");
  return m;
}

}  // namespace api
}  // namespace seqmatch
