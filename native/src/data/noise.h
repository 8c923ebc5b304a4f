// Noise augmentation (DESIGN.md §3; Cundy & Ermon 2024, §4.2): with probability η before each
// completion position insert a noise token n and then <bkspc>, so "x1 x2 x3" becomes
// "x1 x2 n <bk> x3". The noise token is flagged (not a BC target, not in the φ term); the
// <bkspc> after it is an ordinary expert action. Kinds: uniform over the base vocabulary,
// unigram (training-data frequencies), and task-supplied candidates ("ground-truth noise":
// e.g. for a digit, the other plausible digits). Draws come from the counter RNG keyed by
// (seed, key), so augmentation is reproducible and needs no saved state. Test: ctest -R test_train
#pragma once

#include <map>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/pack.h"

namespace seqmatch {
namespace data {

enum class NoiseKind { kUniform, kUnigram, kTask };
NoiseKind parse_noise_kind(const std::string& name);  // "uniform", "unigram", "task"

struct NoiseOptions {
  double eta = 0.0;
  NoiseKind kind = NoiseKind::kUniform;
  int64_t base_vocab = 0;                                 // uniform draws from [0, base_vocab)
  std::vector<double> unigram_cdf;                        // kUnigram: cumulative frequencies
  std::map<int64_t, std::vector<int64_t>> candidates;    // kTask: true token -> noise tokens
};

// Unigram CDF over [0, base_vocab) from example completions (add-one smoothed).
std::vector<double> unigram_cdf(const std::vector<Example>& examples, int64_t base_vocab);

// The example as an action trace, with noise inserted. key: a unique number for this draw
// (e.g. step × batch + row).
ActionTrace augment(const Example& e, const NoiseOptions& o, int64_t bkspc_id, uint64_t seed,
                    uint64_t key);

}  // namespace data
}  // namespace seqmatch
