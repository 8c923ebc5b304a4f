// Replay buffer: see replay_buffer.h.
#include "train/replay_buffer.h"

#include <cstdio>
#include <memory>

#include "sample/sampling.h"  // provides: counter_uniform
#include "util/check.h"

namespace seqmatch {
namespace train {

namespace {
struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
}  // namespace

ReplayBuffer::ReplayBuffer(int64_t capacity) : capacity_(capacity) {
  SM_CHECK(capacity > 0, "replay: buffer_size must be > 0 (got ", capacity, ")");
}

void ReplayBuffer::push(data::ActionTrace trace) {
  trace.from_model = true;
  trace.noise.clear();  // every model action is its own: nothing is "injected"
  traces_.push_back(std::move(trace));
  while (int64_t(traces_.size()) > capacity_) traces_.pop_front();
}

std::vector<data::ActionTrace> ReplayBuffer::sample(int64_t k, uint64_t seed, uint64_t key) const {
  std::vector<data::ActionTrace> out;
  if (traces_.empty()) return out;
  for (int64_t i = 0; i < k; ++i) {
    const double u = sample::counter_uniform(seed ^ 0xB5AD4ECEDA1CE2A9ull, key * 1024 + uint64_t(i));
    out.push_back(traces_[std::min(traces_.size() - 1, size_t(u * double(traces_.size())))]);
  }
  return out;
}

double ReplayBuffer::backspace_rate(int64_t bkspc_id) const {
  int64_t actions = 0, bk = 0;
  for (const auto& t : traces_) {
    for (size_t i = size_t(t.prompt_length); i < t.actions.size(); ++i) {
      ++actions;
      bk += t.actions[i] == bkspc_id;
    }
  }
  return actions ? double(bk) / double(actions) : 0.0;
}

void ReplayBuffer::save(const std::string& path) const {
  std::unique_ptr<FILE, FileCloser> f(std::fopen(path.c_str(), "wb"));
  SM_CHECK(f != nullptr, "checkpoint ", path, ": cannot create replay buffer file");
  int64_t n = int64_t(traces_.size());
  bool ok = std::fwrite(&n, 8, 1, f.get()) == 1;
  for (const auto& t : traces_) {
    int64_t header[2] = {t.prompt_length, int64_t(t.actions.size())};
    ok = ok && std::fwrite(header, 8, 2, f.get()) == 2 &&
         std::fwrite(t.actions.data(), 8, t.actions.size(), f.get()) == t.actions.size();
  }
  SM_CHECK(ok && std::fflush(f.get()) == 0, "checkpoint ", path, ": replay buffer write failed");
}

void ReplayBuffer::load(const std::string& path) {
  std::unique_ptr<FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  SM_CHECK(f != nullptr, "checkpoint ", path, ": cannot open replay buffer file");
  int64_t n = 0;
  SM_CHECK(std::fread(&n, 8, 1, f.get()) == 1 && n >= 0 && n <= capacity_, "checkpoint ", path,
           ": bad replay buffer size ", n, " (capacity ", capacity_, ")");
  std::deque<data::ActionTrace> loaded;
  for (int64_t i = 0; i < n; ++i) {
    int64_t header[2];
    SM_CHECK(std::fread(header, 8, 2, f.get()) == 2 && header[0] >= 1 && header[1] >= header[0] &&
                 header[1] < (int64_t(1) << 24),
             "checkpoint ", path, ": replay buffer entry ", i, " is corrupt");
    data::ActionTrace t;
    t.prompt_length = header[0];
    t.actions.resize(size_t(header[1]));
    t.from_model = true;
    SM_CHECK(std::fread(t.actions.data(), 8, t.actions.size(), f.get()) == t.actions.size(),
             "checkpoint ", path, ": replay buffer truncated");
    loaded.push_back(std::move(t));
  }
  traces_ = std::move(loaded);
}

}  // namespace train
}  // namespace seqmatch
