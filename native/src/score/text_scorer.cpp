// Native text scorers: see text_scorer.h.
#include "score/text_scorer.h"

#include <cctype>

#include "util/check.h"

namespace seqmatch {
namespace score {

namespace {

bool word_char(unsigned char ch) { return std::isalnum(ch) || ch == '_'; }

std::string lower(std::string s) {
  for (auto& ch : s) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

}  // namespace

TextScorer::TextScorer(const Constraint& c) : scorer_(c.scorer), ignore_case_(c.ignore_case) {
  SM_CHECK(c.native(), "gdc: constraint '", c.name, "' (scorer ", c.scorer, ") is not scored natively");
  if (scorer_ == "word") {
    word_ = ignore_case_ ? lower(c.pattern) : c.pattern;
  } else {
    auto flags = std::regex::ECMAScript;
    if (ignore_case_) flags |= std::regex::icase;
    regex_ = std::regex(c.pattern, flags);
  }
}

bool TextScorer::word_present(const std::string& text) const {
  const std::string t = ignore_case_ ? lower(text) : text;
  for (size_t at = t.find(word_); at != std::string::npos; at = t.find(word_, at + 1)) {
    const size_t end = at + word_.size();
    const bool left = at == 0 || !word_char(static_cast<unsigned char>(t[at - 1]));
    const bool right = end == t.size() || !word_char(static_cast<unsigned char>(t[end]));
    if (left && right) return true;
  }
  return false;
}

double TextScorer::operator()(const std::string& text) const {
  if (scorer_ == "word") return word_present(text) ? 1.0 : 0.0;
  return std::regex_search(text, regex_) ? 1.0 : 0.0;
}

std::string byte_text(const std::vector<int64_t>& ids) {
  std::string s;
  for (int64_t id : ids)
    if (id >= 0 && id < 256) s.push_back(char(id));
  return s;
}

}  // namespace score
}  // namespace seqmatch
