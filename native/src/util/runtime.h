// Process-wide libtorch set-up done once before the first model is built.
#pragma once

namespace seqmatch {
namespace util {

// Debian's libtorch starts ATen's OpenMP pool with one thread here; unless the user chose
// (OMP_NUM_THREADS), use every core for intra-op work. Idempotent and thread-safe.
void init_runtime();

}  // namespace util
}  // namespace seqmatch
