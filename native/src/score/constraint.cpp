// Constraints of a distribution-matching target: see constraint.h.
#include "score/constraint.h"

#include <regex>
#include <set>

#include "util/check.h"

namespace seqmatch {
namespace score {

namespace {

// Fields each scorer accepts besides the common ones (name, scorer, type, target).
const std::map<std::string, std::set<std::string>>& scorer_fields() {
  static const std::map<std::string, std::set<std::string>> f = {
      {"word", {"pattern", "ignore_case"}},
      {"regex", {"pattern", "ignore_case"}},
      // A classifier exported to ONNX: input ids from `tokenizer` (a tokenizer.json, or "byte"),
      // score = softmax(logits)[class]; labels name the classes in output order.
      {"onnx", {"model", "class", "labels", "tokenizer", "max_length"}},
      {"external", {}},
  };
  return f;
}

}  // namespace

std::vector<Constraint> parse_constraints(const nlohmann::json& constraints, const std::string& origin) {
  const std::string where = "config " + origin + ": field 'gdc.constraints";
  SM_CHECK(constraints.is_array() && !constraints.empty(), where,
           "' must be a non-empty array of constraints (got ", constraints.dump(), ")");
  std::vector<Constraint> out;
  std::set<std::string> names;
  for (size_t i = 0; i < constraints.size(); ++i) {
    const auto& e = constraints[i];
    const std::string at = where + "[" + std::to_string(i) + "]";
    SM_CHECK(e.is_object(), at, "' must be an object (got ", e.dump(), ")");
    auto str = [&](const char* key, bool required) {
      if (!e.contains(key) || e[key].is_null()) {
        SM_CHECK(!required, at, ".", key, "' is required");
        return std::string();
      }
      SM_CHECK(e[key].is_string(), at, ".", key, "' must be a string (got ", e[key].dump(), ")");
      return e[key].get<std::string>();
    };
    Constraint c;
    c.spec = e;
    c.scorer = str("scorer", true);
    const auto fields = scorer_fields().find(c.scorer);
    SM_CHECK(fields != scorer_fields().end(), at, ".scorer' must be word, regex, onnx or external (got '",
             c.scorer, "')");
    for (auto it = e.begin(); it != e.end(); ++it) {
      static const std::set<std::string> common = {"name", "scorer", "type", "target"};
      SM_CHECK(common.count(it.key()) || fields->second.count(it.key()), at, ".", it.key(),
               "' is not a field of scorer ", c.scorer);
    }
    c.name = str("name", c.scorer == "external");
    if (c.name.empty()) c.name = c.scorer + std::to_string(i);
    SM_CHECK(std::regex_match(c.name, std::regex("[A-Za-z0-9_.-]+")), at,
             ".name' must be letters, digits, '_', '.' or '-' (got '", c.name, "'): it names metrics");
    SM_CHECK(names.insert(c.name).second, at, ".name' repeats the name '", c.name, "'");
    if (e.contains("ignore_case")) {
      SM_CHECK(e["ignore_case"].is_boolean(), at, ".ignore_case' must be true or false");
      c.ignore_case = e["ignore_case"].get<bool>();
    }
    if (c.native()) {
      c.pattern = str("pattern", true);
      SM_CHECK(!c.pattern.empty(), at, ".pattern' must not be empty");
      if (c.scorer == "regex") {
        try {
          std::regex(c.pattern, std::regex::ECMAScript);
        } catch (const std::regex_error& err) {
          SM_CHECK(false, at, ".pattern' is not a valid regex (", err.what(), ")");
        }
      }
    } else if (c.scorer == "onnx") {
      str("model", true);
      str("class", true);
    }
    const std::string type = str("type", false);
    SM_CHECK(type.empty() || type == "pointwise" || type == "distributional", at,
             ".type' must be pointwise or distributional (got '", type, "')");
    c.type = type == "distributional" ? ConstraintType::kDistributional : ConstraintType::kPointwise;
    if (c.type == ConstraintType::kDistributional) {
      SM_CHECK(e.contains("target") && e["target"].is_number(), at,
               ".target' is required for a distributional constraint (the moment E_p[φ], in (0, 1))");
      c.target = e["target"].get<double>();
      // φ ∈ [0, 1]: a moment of 0 or 1 needs λ = ∓∞ (a pointwise constraint), outside can't be met.
      SM_CHECK(c.target > 0 && c.target < 1, at, ".target' must be in (0, 1) for a feature in [0, 1] (got ",
               c.target, "). Hint: a target of 1 is a pointwise constraint");
    } else {
      SM_CHECK(!e.contains("target"), at, ".target' is only for type distributional");
    }
    out.push_back(std::move(c));
  }
  return out;
}

nlohmann::json to_json(const std::vector<Constraint>& constraints) {
  auto j = nlohmann::json::array();
  for (const auto& c : constraints) {
    auto e = c.spec;
    e["name"] = c.name;  // resolved: front ends hand scores over by this name
    j.push_back(std::move(e));
  }
  return j;
}

}  // namespace score
}  // namespace seqmatch
