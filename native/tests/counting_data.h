// Learnable token data shared by the training tests: a start digit d, then d+1, d+2, ... (mod 16),
// then <eos>; prompt = the first digit. Lengths 6..10 tokens before <eos>, varied by the index.
#pragma once

#include <cstdint>
#include <vector>

#include "data/dataset.h"

namespace seqmatch {
namespace testing {

inline std::vector<data::Example> counting_examples(int n, uint64_t seed, int64_t eos) {
  std::vector<data::Example> out;
  for (int i = 0; i < n; ++i) {
    data::Example e;
    const int64_t d = int64_t((seed * 7 + uint64_t(i) * 5) % 16);
    for (int k = 0; k < 6 + (i % 5); ++k) e.tokens.push_back((d + k) % 16);
    e.tokens.push_back(eos);
    e.prompt_length = 1;
    out.push_back(e);
  }
  return out;
}

}  // namespace testing
}  // namespace seqmatch
