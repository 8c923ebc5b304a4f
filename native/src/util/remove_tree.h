// remove_tree: deletes a file or a directory tree, like std::filesystem::remove_all, through POSIX nftw
// (depth first, symbolic links removed, never followed).
// Why not std::filesystem::remove_all: on the one GPU machine we ran (libtorch 2.11 from pip, gcc 13,
// docs/PERFORMANCE.md "GPU") every C++ test that removed a non-empty directory crashed with SIGSEGV
// (replacing a checkpoint, cleaning a failed write, a test's temp dir), while every test that only
// created, renamed or iterated directories passed; the same tests pass here on libtorch 1.13 / gcc 12.
// The crash site is not confirmed yet (scripts/gpu/check_cuda.sh checks remove_all alone), but a
// checkpoint write must not depend on it. Test: ctest -R test_checkpoint (RemoveTree*)
#pragma once

#include <cstdint>
#include <string>
#include <system_error>

namespace seqmatch {
namespace util {

// Removes `path` and everything below it; returns how many entries were removed (0 if it did not
// exist). On failure ec names the first error and the rest is removed as far as possible.
std::uintmax_t remove_tree(const std::string& path, std::error_code& ec);

}  // namespace util
}  // namespace seqmatch
