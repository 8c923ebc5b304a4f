// Noise augmentation: see noise.h.
#include "data/noise.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

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

NoiseAlphabets read_noise_alphabets(const std::string& path) {
  std::ifstream in(path);
  SM_CHECK(in.good(), "config: noise.candidates file ", path, " cannot be opened");
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  SM_CHECK(j.is_object() && j.value("format", "") == "seqmatch-noise/2", "noise candidates ", path,
           ": expected {\"format\": \"seqmatch-noise/2\", ...} (write it with seqmatch tasks generate "
           "--noise-candidates)");
  NoiseAlphabets a;
  auto ids = [&](const nlohmann::json& v, const std::string& where) {
    SM_CHECK(v.is_array(), "noise candidates ", path, ": ", where, " is not a list of token ids");
    std::vector<int64_t> out;
    for (const auto& x : v) {
      SM_CHECK(x.is_number_integer() && x.get<int64_t>() >= 0, "noise candidates ", path, ": ", where,
               " holds a non-id ", x.dump());
      out.push_back(x.get<int64_t>());
    }
    return out;
  };
  if (j.contains("uniform")) a.uniform = ids(j["uniform"], "uniform");
  if (j.contains("alphabets")) {
    SM_CHECK(j["alphabets"].is_array(), "noise candidates ", path, ": alphabets is not a list");
    for (size_t k = 0; k < j["alphabets"].size(); ++k)
      a.alphabets.push_back(ids(j["alphabets"][k], "alphabets[" + std::to_string(k) + "]"));
  }
  if (j.contains("examples")) {
    SM_CHECK(j["examples"].is_array(), "noise candidates ", path, ": examples is not a list");
    for (size_t i = 0; i < j["examples"].size(); ++i) {
      const auto& e = j["examples"][i];
      std::string where = "examples[" + std::to_string(i) + "]";
      SM_CHECK(e.is_object() && e.contains("alphabet") && e["alphabet"].is_number_unsigned() &&
                   e["alphabet"].get<size_t>() < a.alphabets.size(),
               "noise candidates ", path, ": ", where, ".alphabet must index alphabets (0..",
               a.alphabets.size(), ")");
      a.by_prompt[ids(e.value("prompt_ids", nlohmann::json()), where + ".prompt_ids")] =
          e["alphabet"].get<size_t>();
    }
  }
  return a;
}

// Uniform over `alphabet` minus `truth`; -1 when nothing is left.
static int64_t draw_except(const std::vector<int64_t>& alphabet, int64_t truth, double u) {
  size_t n = size_t(std::count_if(alphabet.begin(), alphabet.end(),
                                  [&](int64_t a) { return a != truth; }));
  if (n == 0) return -1;
  size_t k = std::min(n - 1, size_t(u * double(n)));
  for (int64_t a : alphabet)
    if (a != truth && k-- == 0) return a;
  return -1;
}

// The example's ground-truth alphabet (by its prompt tokens), or null.
static const std::vector<int64_t>* task_alphabet(const Example& e, const NoiseOptions& o) {
  std::vector<int64_t> prompt(e.tokens.begin(), e.tokens.begin() + e.prompt_length);
  auto it = o.alphabets.by_prompt.find(prompt);
  return it == o.alphabets.by_prompt.end() ? nullptr : &o.alphabets.alphabets[it->second];
}

// A noise token other than `truth`, or -1 for none at this position.
static int64_t draw_noise(const NoiseOptions& o, const std::vector<int64_t>* task, int64_t truth,
                          uint64_t s, uint64_t& draw) {
  double u = sample::counter_uniform(s, draw++);
  switch (o.kind) {
    case NoiseKind::kUnigram:
      for (int tries = 0; tries < 16; ++tries, u = sample::counter_uniform(s, draw++)) {
        auto it = std::lower_bound(o.unigram_cdf.begin(), o.unigram_cdf.end(), u);
        int64_t t = std::min<int64_t>(int64_t(it - o.unigram_cdf.begin()), o.base_vocab - 1);
        if (t != truth) return t;
      }
      return -1;
    case NoiseKind::kTask:
      return task ? draw_except(*task, truth, u) : -1;
    default:
      if (!o.alphabets.uniform.empty()) return draw_except(o.alphabets.uniform, truth, u);
      if (o.base_vocab < 2) return -1;
      // uniform over [0, base_vocab) minus truth: draw from base_vocab - 1 values, skip truth
      int64_t t = std::min<int64_t>(int64_t(u * double(o.base_vocab - 1)), o.base_vocab - 2);
      return (truth >= 0 && t >= truth) ? t + 1 : t;
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
  const std::vector<int64_t>* task =
      o.kind == NoiseKind::kTask && o.eta > 0 ? task_alphabet(e, o) : nullptr;
  for (size_t t = 0; t < e.tokens.size(); ++t) {
    if (int64_t(t) >= e.prompt_length && o.eta > 0 && e.tokens[t] != o.eos_id &&
        sample::counter_uniform(s, draw++) < o.eta) {
      int64_t n = draw_noise(o, task, e.tokens[t], s, draw);
      if (n >= 0) {
        tr.actions.push_back(n);
        tr.noise.push_back(1);
        tr.actions.push_back(bkspc_id);
        tr.noise.push_back(0);
      }
    }
    tr.actions.push_back(e.tokens[t]);
    tr.noise.push_back(0);
  }
  return tr;
}

}  // namespace data
}  // namespace seqmatch
