// Constraints of a distribution-matching target (Korbak et al. 2022, §2): each one is a feature
// φ(x) ∈ [0, 1] of a sampled text x, used either pointwise (P(x) = a(x)·b(x), b = φ) or
// distributionally (P(x) = a(x)·exp(λ·φ(x)) with the target moment E_p[φ] = μ̄). Parsed from the
// training config's "gdc.constraints" array; errors name the entry and field, e.g.
// "config c.json: field 'gdc.constraints[1].pattern' is not a valid regex (...)".
// Scorers: "word" (whole-word presence) and "regex" (a match anywhere) run natively (text_scorer.h);
// "onnx" (a classifier's probability of a named class) and "external" (a Java Scorer registered by
// name) are scored by the front end and handed over through api.h (trainer_gdc_*).
// Test: ctest -R test_gdc
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace seqmatch {
namespace score {

enum class ConstraintType { kPointwise, kDistributional };

struct Constraint {
  std::string name;       // unique; names the metrics (gdc_pi_<name>) and the front end's scores
  std::string scorer;     // "word", "regex", "onnx", "external"
  std::string pattern;    // word / regex: what must be present
  bool ignore_case = false;
  ConstraintType type = ConstraintType::kPointwise;
  double target = 0;      // distributional: μ̄ = E_p[φ], in (0, 1)
  nlohmann::json spec;    // the entry as written: front ends read their scorer's own fields

  // Whether this process scores it (word, regex) or the front end must (onnx, external).
  bool native() const { return scorer == "word" || scorer == "regex"; }
};

// Parses and validates "gdc.constraints" (origin = the config file, for messages). Checks that
// regexes compile, names are unique, targets are in (0, 1), and that each scorer has its fields.
std::vector<Constraint> parse_constraints(const nlohmann::json& constraints, const std::string& origin);

// The entries as written, each with its resolved "name" (default: scorer + index, e.g. "word0").
nlohmann::json to_json(const std::vector<Constraint>& constraints);

}  // namespace score
}  // namespace seqmatch
