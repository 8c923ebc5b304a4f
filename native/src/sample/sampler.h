// Batched generation to completion over BatchDecoder, with an optional per-action listener
// (streaming). The replay buffer and the CLI both call this. Test: ctest -R test_sampler
#pragma once

#include <functional>
#include <vector>

#include "sample/decoder.h"

namespace seqmatch {
namespace sample {

// Return false from the listener to cancel that row.
using ActionListener = std::function<bool(const ActionEvent&)>;

std::vector<Trajectory> generate(model::DecoderLM model, const model::SpecialTokens& tokens,
                                 const std::vector<std::vector<int64_t>>& prompts,
                                 const SamplingOptions& options,
                                 const ActionListener& listener = nullptr);

}  // namespace sample
}  // namespace seqmatch
