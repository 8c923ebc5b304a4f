// Prepared token data and the resumable loader: see dataset.h.
#include "data/dataset.h"

#include <cstdio>
#include <cstring>
#include <memory>

#include "sample/sampling.h"  // provides: counter_uniform (portable, stateless RNG)
#include "util/check.h"

namespace seqmatch {
namespace data {

namespace {

constexpr char kMagic[8] = {'S', 'M', 'T', 'O', 'K', '0', '1', '\0'};

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};

}  // namespace

std::vector<Example> read_smtok(const std::string& path) {
  std::unique_ptr<FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  SM_CHECK(f != nullptr, "data ", path, ": cannot open file. Hint: prepare it with 'seqmatch prepare'");
  std::fseek(f.get(), 0, SEEK_END);
  const uint64_t size = uint64_t(std::ftell(f.get()));
  std::fseek(f.get(), 0, SEEK_SET);
  char magic[8];
  uint64_t n_examples = 0, n_tokens = 0;
  SM_CHECK(size >= 24 && std::fread(magic, 1, 8, f.get()) == 8 &&
               std::memcmp(magic, kMagic, 8) == 0,
           "data ", path, ": not a .smtok file (bad magic)");
  SM_CHECK(std::fread(&n_examples, 8, 1, f.get()) == 1 && std::fread(&n_tokens, 8, 1, f.get()) == 1,
           "data ", path, ": truncated header");
  SM_CHECK(n_examples <= (size - 24) / 8 && 24 + 8 * n_examples + 4 * n_tokens == size, "data ",
           path, ": size ", size, " does not match its header (", n_examples, " examples, ",
           n_tokens, " tokens): truncated or corrupt");
  std::vector<uint32_t> index(2 * n_examples);
  std::vector<int32_t> tokens(n_tokens);
  SM_CHECK(std::fread(index.data(), 4, index.size(), f.get()) == index.size() &&
               std::fread(tokens.data(), 4, tokens.size(), f.get()) == tokens.size(),
           "data ", path, ": cannot read");
  std::vector<Example> out(n_examples);
  uint64_t offset = 0;
  for (uint64_t i = 0; i < n_examples; ++i) {
    const uint32_t p = index[2 * i], n = index[2 * i + 1];
    SM_CHECK(n >= 1 && p >= 1 && p <= n && offset + n <= n_tokens, "data ", path, ": example ", i,
             " has prompt_length ", p, " and length ", n, " (need 1 <= prompt_length <= length)");
    out[i].prompt_length = p;
    out[i].tokens.assign(tokens.begin() + int64_t(offset), tokens.begin() + int64_t(offset + n));
    for (int64_t t : out[i].tokens) SM_CHECK(t >= 0, "data ", path, ": example ", i, " has negative token id");
    offset += n;
  }
  return out;
}

std::vector<Example> split_documents(const std::vector<Example>& examples, int64_t eos_id,
                                     int64_t start_id) {
  if (eos_id < 0) return examples;
  SM_CHECK(start_id >= 0, "data: split_documents needs a start token (BOS or <eos>)");
  std::vector<Example> out;
  out.reserve(examples.size());
  for (const auto& e : examples) {
    Example piece;
    piece.tokens.assign(e.tokens.begin(), e.tokens.begin() + e.prompt_length);
    piece.prompt_length = e.prompt_length;
    bool first = true;  // an example without <eos> in its completion stays as it is
    for (size_t t = size_t(e.prompt_length); t < e.tokens.size(); ++t) {
      piece.tokens.push_back(e.tokens[t]);
      if (e.tokens[t] != eos_id) continue;
      out.push_back(std::move(piece));
      piece = Example{{start_id}, 1};
      first = false;
    }
    if (first || int64_t(piece.tokens.size()) > piece.prompt_length) out.push_back(std::move(piece));
  }
  return out;
}

void write_smtok(const std::string& path, const std::vector<Example>& examples) {
  const std::string tmp = path + ".tmp";
  {
    std::unique_ptr<FILE, FileCloser> f(std::fopen(tmp.c_str(), "wb"));
    SM_CHECK(f != nullptr, "data ", path, ": cannot create file");
    uint64_t n_examples = examples.size(), n_tokens = 0;
    for (const auto& e : examples) n_tokens += e.tokens.size();
    bool ok = std::fwrite(kMagic, 1, 8, f.get()) == 8 && std::fwrite(&n_examples, 8, 1, f.get()) == 1 &&
              std::fwrite(&n_tokens, 8, 1, f.get()) == 1;
    for (const auto& e : examples) {
      const uint32_t pl[2] = {uint32_t(e.prompt_length), uint32_t(e.tokens.size())};
      ok = ok && std::fwrite(pl, 4, 2, f.get()) == 2;
    }
    for (const auto& e : examples) {
      std::vector<int32_t> t(e.tokens.begin(), e.tokens.end());
      ok = ok && std::fwrite(t.data(), 4, t.size(), f.get()) == t.size();
    }
    SM_CHECK(ok && std::fflush(f.get()) == 0, "data ", path, ": write failed");
  }
  SM_CHECK(std::rename(tmp.c_str(), path.c_str()) == 0, "data ", path, ": cannot rename into place");
}

Loader::Loader(int64_t n_examples, uint64_t seed) : n_(n_examples), seed_(seed) {
  SM_CHECK(n_examples > 0, "data: no examples to train on");
  shuffle();
}

void Loader::shuffle() {
  // Fisher-Yates driven by the counter RNG: the same order on every platform, no state to save.
  order_.resize(size_t(n_));
  for (int64_t i = 0; i < n_; ++i) order_[size_t(i)] = i;
  const uint64_t s = seed_ * 1000003ull + uint64_t(epoch_);
  for (int64_t i = n_ - 1; i > 0; --i) {
    const int64_t j = int64_t(sample::counter_uniform(s, uint64_t(i)) * double(i + 1));
    std::swap(order_[size_t(i)], order_[size_t(std::min(j, i))]);
  }
}

int64_t Loader::next() {
  if (index_ >= n_) {
    ++epoch_;
    index_ = 0;
    shuffle();
  }
  return order_[size_t(index_++)];
}

void Loader::restore(int64_t epoch, int64_t index) {
  SM_CHECK(epoch >= 0 && index >= 0 && index <= n_, "data: bad loader position (epoch ", epoch,
           ", index ", index, ")");
  epoch_ = epoch;
  index_ = index;
  shuffle();
}

}  // namespace data
}  // namespace seqmatch
