// Batched generation to completion: see sampler.h.
#include "sample/sampler.h"

namespace seqmatch {
namespace sample {

std::vector<Trajectory> generate(model::DecoderLM model, const model::SpecialTokens& tokens,
                                 const std::vector<std::vector<int64_t>>& prompts,
                                 const SamplingOptions& options, const ActionListener& listener) {
  BatchDecoder decoder(std::move(model), tokens, prompts, options);
  std::vector<ActionEvent> events;
  while (!decoder.done()) {
    events.clear();
    decoder.step(listener ? &events : nullptr);
    for (const auto& e : events) {
      if (!listener(e)) decoder.cancel(e.row);
    }
  }
  return decoder.trajectories();
}

}  // namespace sample
}  // namespace seqmatch
