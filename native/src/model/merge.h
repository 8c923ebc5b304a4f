// A base checkpoint plus a PEFT LoRA adapter (model/peft_io.h) as one model: the base is loaded,
// its vocabulary grown where the adapter trained new token rows the base lacks (an HF base
// without <bkspc>), the adapter applied and, with merge, folded into the weights
// (W ← W + (α/r)·B·A), so inference costs what the base costs. The special tokens (and tokenizer)
// recorded beside the adapter (seqmatch_adapter.json) go into the model's config, so the merged
// checkpoint is a plain model directory that `seqmatch generate/eval/serve/export` and
// transformers load as is. Test: ctest -R test_lora
#pragma once

#include <string>

#include "model/checkpoint.h"

namespace seqmatch {
namespace model {

Checkpoint load_with_adapter(const std::string& base_dir, const std::string& adapter_dir,
                             const torch::Device& device, bool merge = true);

// load_with_adapter + the model files, plus the base's tokenizer and generation files (tokenizer.json,
// vocab.json, merges.txt, generation_config.json, ...), into out_dir atomically (util/atomic_dir.h).
void merge_adapter_to_dir(const std::string& base_dir, const std::string& adapter_dir, const std::string& out_dir);

}  // namespace model
}  // namespace seqmatch
