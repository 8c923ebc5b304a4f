// Noise augmentation (DESIGN.md §3; Cundy & Ermon 2024, §4.2): with probability η before each
// completion position insert a noise token n and then <bkspc>, so "x1 x2 x3" becomes
// "x1 x2 n <bk> x3". The noise token is flagged (not a BC target, not in the φ term); the
// <bkspc> after it is an ordinary expert action. One definition for every method (issue 10, the
// same as Java's NoiseSampler for MLE's noisy copies): the noise token is drawn uniformly from an
// alphabet minus the true token (never the true token), and never at the <eos> position.
// Kinds: uniform (the candidates file's "uniform" alphabet, else [0, base_vocab)), unigram
// (training-data frequencies, the true token redrawn), and task ("ground-truth noise": the
// example's own alphabet, e.g. the digits of the prompt's base, looked up by its prompt tokens).
// Draws come from the counter RNG keyed by (seed, key), so augmentation is reproducible and
// needs no saved state. Test: ctest -R test_train
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

// The alphabets of a candidates file (format "seqmatch-noise/2", written by Java's
// NoiseCandidates): {"uniform": [ids], "alphabets": [[ids]...],
// "examples": [{"prompt_ids": [...], "alphabet": k}...]}.
struct NoiseAlphabets {
  std::vector<int64_t> uniform;                           // random noise; empty: [0, base_vocab)
  std::vector<std::vector<int64_t>> alphabets;            // distinct ground-truth alphabets
  std::map<std::vector<int64_t>, size_t> by_prompt;       // prompt tokens -> index in alphabets
};

// Reads a candidates file; a bad file fails with its path and the problem.
NoiseAlphabets read_noise_alphabets(const std::string& path);

struct NoiseOptions {
  double eta = 0.0;
  NoiseKind kind = NoiseKind::kUniform;
  int64_t base_vocab = 0;                                 // uniform draws from [0, base_vocab)
  int64_t eos_id = -1;                                    // no noise where the true token is this
  std::vector<double> unigram_cdf;                        // kUnigram: cumulative frequencies
  NoiseAlphabets alphabets;                               // kUniform (optional), kTask (required)
};

// Unigram CDF over [0, base_vocab) from example completions (add-one smoothed).
std::vector<double> unigram_cdf(const std::vector<Example>& examples, int64_t base_vocab);

// The example as an action trace, with noise inserted (a kTask example whose prompt has no
// alphabet gets none). key: a unique number for this draw
// (e.g. step × batch + row).
ActionTrace augment(const Example& e, const NoiseOptions& o, int64_t bkspc_id, uint64_t seed,
                    uint64_t key);

}  // namespace data
}  // namespace seqmatch
