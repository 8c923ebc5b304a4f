// Huge-page malloc by re-execution: see hugepage_malloc.h.
#include "util/hugepage_malloc.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace seqmatch {
namespace util {

void ensure_hugepage_malloc(char** argv) {
#if defined(__linux__) && defined(__GLIBC__)
  const char* off = std::getenv("SEQMATCH_HUGEPAGE_MALLOC");
  if (off != nullptr && std::strcmp(off, "0") == 0) return;
  const char* current = std::getenv("GLIBC_TUNABLES");
  std::string tunables = current != nullptr ? current : "";
  if (tunables.find("glibc.malloc.hugetlb=") != std::string::npos) return;  // set, or set by us
  tunables = tunables.empty() ? "glibc.malloc.hugetlb=1" : tunables + ":glibc.malloc.hugetlb=1";
  if (setenv("GLIBC_TUNABLES", tunables.c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);  // returns only on failure: carry on with the default malloc
#else
  (void)argv;
#endif
}

}  // namespace util
}  // namespace seqmatch
