// Process-wide libtorch set-up: see runtime.h.
#include "util/runtime.h"

#include <ATen/Parallel.h>  // provides: at::set_num_threads

#include <cstdlib>
#include <mutex>
#include <thread>

namespace seqmatch {
namespace util {

void init_runtime() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (std::getenv("OMP_NUM_THREADS") == nullptr) {
      const unsigned n = std::thread::hardware_concurrency();
      if (n > 1) at::set_num_threads(int(n));
    }
  });
}

}  // namespace util
}  // namespace seqmatch
