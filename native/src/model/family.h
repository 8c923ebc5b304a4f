// The one place that maps a config's model_type to its DecoderLM implementation (gpt2 ->
// GPT2Impl, llama/qwen2 -> LlamaImpl): everything outside model/ creates models through here
// and never asks which family it holds. Test: ctest -R test_llama
#pragma once

#include <map>
#include <string>

#include "model/config.h"
#include "model/decoder_lm.h"
#include "model/safetensors.h"

namespace seqmatch {
namespace model {

// A freshly initialised model of config's family (seed the global generator first).
DecoderLM make_model(const ModelConfig& config);

// The architecture of `model` written back into `config` (the vocabulary grows with add_tokens).
void sync_config(const DecoderLM& model, ModelConfig& config);

// Before anything is allocated: the sizes config.json declares checked against the shapes in the
// weight files' headers, so the files' own size bounds what loading allocates, whatever
// config.json says. `config_path` and `weights` name the files in errors.
void check_config_against_header(const ModelConfig& config, const std::string& config_path,
                                 const std::map<std::string, TensorInfo>& header, const std::string& weights);

// Parses a dtype name ("float32", "bfloat16", "float16"; HF's torch_dtype spelling, "" = float32).
torch::ScalarType parse_dtype(const std::string& name, const std::string& where);
std::string dtype_name(torch::ScalarType t);
// Keeps the weights in `dtype` (e.g. a frozen bf16 base under LoRA). On CPU, where libtorch 1.13
// has no fast bf16/fp16 kernels, activations are computed in float32 (DecoderLMImpl::compute_dtype):
// said once per process on stderr.
void set_weight_dtype(const DecoderLM& model, torch::ScalarType dtype);

}  // namespace model
}  // namespace seqmatch
