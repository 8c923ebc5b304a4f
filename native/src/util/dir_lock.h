// An exclusive lock on a run directory: flock(2) on <dir>/.lock, held for the lifetime of the
// object, with the holder's pid, host and start time written into the file so a second
// training on the same out_dir fails with a message naming the first. flock is released by
// the kernel when the holder dies (kill -9 included), so a stale file never blocks a restart.
// Test: ctest -R test_train (RunDirectory*)
#pragma once

#include <string>

namespace seqmatch {
namespace util {

class DirLock {
 public:
  // Creates `dir` if needed and locks it; throws (SM_CHECK) naming the holder if it is taken.
  explicit DirLock(const std::string& dir);
  ~DirLock();
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace util
}  // namespace seqmatch
