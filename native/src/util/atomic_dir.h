// Crash-safe directory writes: files go to a fresh sibling "<dir>.tmp-<pid>", are fsync'ed,
// and the directory is swapped in by rename. A crash at any point leaves either the old
// directory or the new one complete under <dir> (at worst plus a stray .tmp/.old sibling),
// never a half-written checkpoint.
#pragma once

#include <functional>
#include <string>

namespace seqmatch {
namespace util {

// Calls write(tmp_dir) to fill a temporary directory, then atomically publishes it as `dir`.
void write_dir_atomically(const std::string& dir,
                          const std::function<void(const std::string& tmp_dir)>& write);

}  // namespace util
}  // namespace seqmatch
