// Crash-safe writes. Directories: files go to a fresh sibling "<dir>.tmp-<pid>", are fsync'ed,
// and the directory is swapped in by one rename (renameat2 RENAME_EXCHANGE where the file
// system has it, else two renames). Files: "<file>.tmp-<pid>", fsync'ed, renamed over. Every
// write, flush and fsync is checked, so a full disk is an error and leaves the old content in
// place, never an empty or half-written file. A crash at any point leaves the old version or
// the new one complete, at worst plus stray .tmp-/.old- siblings that recover_atomic_writes
// removes (or, for the one window of the two-rename fallback, finishes).
// Test: ctest -R test_checkpoint (AtomicWrites*)
#pragma once

#include <functional>
#include <string>

namespace seqmatch {
namespace util {

// Calls write(tmp_dir) to fill a temporary directory, then atomically publishes it as `dir`.
void write_dir_atomically(const std::string& dir,
                          const std::function<void(const std::string& tmp_dir)>& write);

// Replaces `path` by `contents` atomically (temp + fsync + rename).
void write_file_atomically(const std::string& path, const std::string& contents);

// Cleans up after writers that died in `parent`: for every "<name>.tmp-<pid>" or
// "<name>.old-<pid>" entry (only those of `name` when given), completes an interrupted
// two-rename swap, then removes the leftovers. Only safe while no other writer is active in
// `parent` (callers hold the run-directory lock, util/dir_lock.h). Returns how many were removed.
int recover_atomic_writes(const std::string& parent, const std::string& name = "");

}  // namespace util
}  // namespace seqmatch
