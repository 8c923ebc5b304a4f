// Checkpoint directories: config.json + model.safetensors with Hugging Face GPT2LMHeadModel
// tensor names ("transformer.h.0.attn.c_attn.weight", Conv1D [in, out] layout). Loads ours and
// Hugging Face's (with or without the "transformer." prefix; tied lm_head and the attention
// bias buffers of old GPT-2 files are accepted and ignored). Any missing, unexpected or
// mis-shaped tensor is a one-line error naming it, raised before a model is returned.
// Test: ctest -R test_checkpoint
#pragma once

#include <string>

#include "model/config.h"
#include "model/gpt2.h"

namespace seqmatch {
namespace model {

struct Checkpoint {
  GPT2 model{nullptr};
  ModelConfig config;
};

Checkpoint load_checkpoint(const std::string& dir, const torch::Device& device);
// Atomic: see util/atomic_dir.h.
void save_checkpoint(GPT2& model, const ModelConfig& config, const std::string& dir);
// The two model files written straight into an existing directory (callers provide the
// atomicity, e.g. a training checkpoint that adds optimizer and replay state beside them).
void write_model_files(GPT2& model, const ModelConfig& config, const std::string& dir);

}  // namespace model
}  // namespace seqmatch
