// Noise augmentation: see noise.h.
#include "data/noise.h"

#include <algorithm>

#include "sample/sampling.h"  // provides: counter_uniform
#include "util/check.h"

namespace seqmatch {
namespace data {

NoiseKind parse_noise_kind(const std::string& name) {
  if (name == "uniform") return NoiseKind::kUniform;
  if (name == "unigram") return NoiseKind::kUnigram;
  if (name == "task") return NoiseKind::kTask;
  SM_CHECK(false, "noise: unknown kind '", name, "' (expected uniform, unigram or task)");
  return NoiseKind::kUniform;
}

std::vector<double> unigram_cdf(const std::vector<Example>& examples, int64_t base_vocab) {
  std::vector<double> counts(size_t(base_vocab), 1.0);
  for (const auto& e : examples)
    for (size_t t = size_t(e.prompt_length); t < e.tokens.size(); ++t)
      if (e.tokens[t] < base_vocab) counts[size_t(e.tokens[t])] += 1;
  double total = 0;
  for (auto& c : counts) c = (total += c);
  for (auto& c : counts) c /= total;
  return counts;
}

static int64_t draw_noise(const NoiseOptions& o, int64_t truth, double u) {
  switch (o.kind) {
    case NoiseKind::kUnigram: {
      auto it = std::lower_bound(o.unigram_cdf.begin(), o.unigram_cdf.end(), u);
      return std::min<int64_t>(int64_t(it - o.unigram_cdf.begin()), o.base_vocab - 1);
    }
    case NoiseKind::kTask: {
      auto it = o.candidates.find(truth);
      if (it != o.candidates.end() && !it->second.empty()) {
        const auto& c = it->second;
        return c[std::min(c.size() - 1, size_t(u * double(c.size())))];
      }
      [[fallthrough]];  // no candidates for this token: uniform
    }
    default:
      return std::min<int64_t>(int64_t(u * double(o.base_vocab)), o.base_vocab - 1);
  }
}

ActionTrace augment(const Example& e, const NoiseOptions& o, int64_t bkspc_id, uint64_t seed,
                    uint64_t key) {
  SM_CHECK(o.eta >= 0 && o.eta < 1, "noise: eta must be in [0, 1) (got ", o.eta, ")");
  SM_CHECK(o.eta == 0 || bkspc_id >= 0, "noise: eta > 0 needs a <bkspc> token in the model");
  SM_CHECK(o.kind != NoiseKind::kUnigram || int64_t(o.unigram_cdf.size()) == o.base_vocab,
           "noise: unigram noise needs the unigram table");
  ActionTrace tr;
  tr.prompt_length = e.prompt_length;
  const uint64_t s = seed * 0x2545F4914F6CDD1Dull + key;
  uint64_t draw = 0;
  for (size_t t = 0; t < e.tokens.size(); ++t) {
    if (int64_t(t) >= e.prompt_length && o.eta > 0 &&
        sample::counter_uniform(s, draw++) < o.eta) {
      tr.actions.push_back(draw_noise(o, e.tokens[t], sample::counter_uniform(s, draw++)));
      tr.noise.push_back(1);
      tr.actions.push_back(bkspc_id);
      tr.noise.push_back(0);
    }
    tr.actions.push_back(e.tokens[t]);
    tr.noise.push_back(0);
  }
  return tr;
}

}  // namespace data
}  // namespace seqmatch
