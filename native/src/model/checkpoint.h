// Checkpoint directories: Hugging Face layout, any supported family. config.json (model/config.h)
// + model.safetensors, or shards listed by model.safetensors.index.json ("weight_map"); tensors
// F32/BF16/F16 under the family's HF names (GPT-2: "transformer.h.0.attn.c_attn.weight", Conv1D
// [in, out] layout; Llama/Qwen2: "model.layers.0.self_attn.q_proj.weight"). Loads ours and Hugging
// Face's (GPT-2 with or without the "transformer." prefix; tied lm_head and old buffers accepted and
// ignored). Any missing, unexpected or mis-shaped tensor is a one-line error naming it, raised
// before a model is returned. tokenizer.json, tokenizer_config.json (chat template),
// generation_config.json and special_tokens_map.json found beside the weights are kept with the
// config and written verbatim into saved checkpoints. Test: ctest -R test_checkpoint, test_llama
#pragma once

#include <string>

#include "model/config.h"
#include "model/decoder_lm.h"

namespace seqmatch {
namespace model {

struct Checkpoint {
  DecoderLM model;
  ModelConfig config;
};

// `dtype`: what the weights are kept in (float32 unless a frozen bf16/fp16 base is wanted).
Checkpoint load_checkpoint(const std::string& dir, const torch::Device& device,
                           torch::ScalarType dtype = torch::kFloat);
// Atomic: see util/atomic_dir.h.
void save_checkpoint(const DecoderLM& model, const ModelConfig& config, const std::string& dir);
// The model files written straight into an existing directory (callers provide the
// atomicity, e.g. a training checkpoint that adds optimizer and replay state beside them).
void write_model_files(const DecoderLM& model, const ModelConfig& config, const std::string& dir);

}  // namespace model
}  // namespace seqmatch
