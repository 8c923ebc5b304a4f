// Native scorers of a text: whole-word presence and regex presence, φ(x) ∈ {0, 1}. The word
// scorer matches `pattern` where neither neighbour is a word character (ASCII letter, digit or
// '_'), so "the" is in "see the cat" but not in "other". The regex scorer is ECMAScript
// (std::regex_search). Texts are the decoded samples (byte tokenizer natively, or the text a front
// end hands over). Test: ctest -R test_gdc
#pragma once

#include <regex>
#include <string>

#include "score/constraint.h"

namespace seqmatch {
namespace score {

class TextScorer {
 public:
  explicit TextScorer(const Constraint& c);  // c.native() must hold
  double operator()(const std::string& text) const;

 private:
  bool word_present(const std::string& text) const;

  std::string scorer_, word_;
  bool ignore_case_ = false;
  std::regex regex_;
};

// Text of token ids under the built-in byte tokenizer (ids 0..255 are UTF-8 bytes; the specials
// after them are skipped): how the native binary reads its samples.
std::string byte_text(const std::vector<int64_t>& ids);

}  // namespace score
}  // namespace seqmatch
