// Deleting a directory tree without std::filesystem::remove_all: see remove_tree.h.
#include "util/remove_tree.h"

#include <ftw.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>

namespace seqmatch {
namespace util {

namespace {

// nftw's callback takes no user pointer: the walk's tallies live here, one walk per thread at a time.
thread_local std::uintmax_t t_removed = 0;
thread_local int t_first_errno = 0;

int remove_entry(const char* path, const struct stat*, int, struct FTW*) {
  if (std::remove(path) == 0) ++t_removed;          // files, links and (now empty) directories
  else if (t_first_errno == 0) t_first_errno = errno;
  return 0;                                          // go on: remove as much as possible
}

}  // namespace

std::uintmax_t remove_tree(const std::string& path, std::error_code& ec) {
  ec.clear();
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) ec.assign(errno, std::generic_category());
    return 0;
  }
  t_removed = 0;
  t_first_errno = 0;
  // FTW_DEPTH: a directory after its contents; FTW_PHYS: a link is an entry, never followed.
  if (::nftw(path.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 && t_first_errno == 0)
    t_first_errno = errno != 0 ? errno : EIO;
  if (t_first_errno != 0) ec.assign(t_first_errno, std::generic_category());
  return t_removed;
}

}  // namespace util
}  // namespace seqmatch
