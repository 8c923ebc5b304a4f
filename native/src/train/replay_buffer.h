// Replay buffer of model trajectories (DESIGN.md §3): a FIFO of at most `capacity` rollouts
// of the current policy, from which each SequenceMatch batch draws its model rows (M).
// Sampling uses the counter RNG keyed by the step, and the buffer saves/loads to a small
// binary file, so a resumed run draws exactly what the uninterrupted run drew.
// Test: ctest -R test_train
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "data/pack.h"

namespace seqmatch {
namespace train {

class ReplayBuffer {
 public:
  explicit ReplayBuffer(int64_t capacity);

  void push(data::ActionTrace trace);  // evicts the oldest when full
  int64_t size() const { return int64_t(traces_.size()); }
  int64_t capacity() const { return capacity_; }
  // k trajectories drawn uniformly with replacement, keyed by (seed, key).
  std::vector<data::ActionTrace> sample(int64_t k, uint64_t seed, uint64_t key) const;
  // Fraction of actions that are <bkspc> over the whole buffer.
  double backspace_rate(int64_t bkspc_id) const;

  void save(const std::string& path) const;
  void load(const std::string& path);

 private:
  int64_t capacity_;
  std::deque<data::ActionTrace> traces_;
};

}  // namespace train
}  // namespace seqmatch
