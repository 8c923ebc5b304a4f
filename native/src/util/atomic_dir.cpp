// Crash-safe writes: see atomic_dir.h.
#include "util/atomic_dir.h"

#include <fcntl.h>
#include <stdio.h>  // renameat2 (glibc >= 2.28)
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>

#include "util/check.h"
#include "util/remove_tree.h"

namespace seqmatch {
namespace util {

namespace fs = std::filesystem;

namespace {

// Durability of the directory entry itself: best effort (not every file system supports it).
void fsync_dir(const fs::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// A file's data must be on disk before the rename publishes it; a failure here (ENOSPC, EIO,
// EFBIG) is the write failing late, so it is an error.
void fsync_file(const fs::path& p, const std::string& what) {
  int fd = ::open(p.c_str(), O_RDONLY);
  SM_CHECK(fd >= 0, what, ": cannot reopen ", p.string(), " (", std::strerror(errno), ")");
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  SM_CHECK(rc == 0, what, ": cannot sync ", p.string(), " (", std::strerror(err), ")");
}

std::string suffix(const char* kind) { return std::string(".") + kind + "-" + std::to_string(::getpid()); }

// Swaps two existing paths atomically; false where the file system cannot.
bool exchange(const fs::path& a, const fs::path& b) {
#ifdef RENAME_EXCHANGE
  return ::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) == 0;
#else
  return false;
#endif
}

}  // namespace

void write_dir_atomically(const std::string& dir,
                          const std::function<void(const std::string& tmp_dir)>& write) {
  fs::path target = fs::absolute(fs::path(dir)).lexically_normal();
  if (target.has_filename() == false) target = target.parent_path();
  const fs::path parent = target.parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  SM_CHECK(!ec, "checkpoint ", dir, ": cannot create parent directory (", ec.message(), ")");
  SM_CHECK(!fs::exists(target) || fs::is_directory(target), "checkpoint ", dir,
           ": exists and is not a directory");

  const fs::path tmp = parent / (target.filename().string() + suffix("tmp"));
  const fs::path old = parent / (target.filename().string() + suffix("old"));
  remove_tree(tmp, ec);
  fs::create_directory(tmp, ec);
  SM_CHECK(!ec, "checkpoint ", dir, ": cannot create ", tmp.string(), " (", ec.message(), ")");
  try {
    write(tmp.string());
    for (const auto& entry : fs::recursive_directory_iterator(tmp)) {
      if (entry.is_regular_file()) fsync_file(entry.path(), "checkpoint " + dir);
    }
    fsync_dir(tmp);
  } catch (...) {
    remove_tree(tmp, ec);  // the old directory is untouched
    throw;
  }
  if (fs::exists(target) && exchange(tmp, target)) {
    fsync_dir(parent);
    remove_tree(tmp, ec);  // now holds the previous version
    return;
  }
  // Fallback: between these two renames only <dir>.old-<pid> and the complete <dir>.tmp-<pid>
  // exist; recover_atomic_writes finishes such a swap.
  const bool had_old = fs::exists(target);
  if (had_old) fs::rename(target, old);
  fs::rename(tmp, target);
  fsync_dir(parent);
  if (had_old) remove_tree(old, ec);
}

void write_file_atomically(const std::string& path, const std::string& contents) {
  const fs::path target(path);
  const fs::path tmp = target.string() + suffix("tmp");
  const std::string what = "cannot write " + path;
  FILE* f = std::fopen(tmp.c_str(), "wb");
  SM_CHECK(f != nullptr, what, " (", std::strerror(errno), ")");
  int err = 0;  // the first failure's errno
  auto check = [&](bool ok) {
    if (!ok && err == 0) err = errno != 0 ? errno : EIO;
  };
  errno = 0;
  check(contents.empty() || std::fwrite(contents.data(), 1, contents.size(), f) == contents.size());
  check(std::fflush(f) == 0);
  check(::fsync(::fileno(f)) == 0);
  check(std::fclose(f) == 0);
  if (err != 0) {
    std::error_code ec;
    fs::remove(tmp, ec);
    SM_CHECK(false, what, " (", std::strerror(err), ")");
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp, ec);
    SM_CHECK(false, what, " (rename failed: ", ec.message(), ")");
  }
  fsync_dir(target.has_parent_path() ? target.parent_path() : fs::path("."));
}

int recover_atomic_writes(const std::string& parent, const std::string& name) {
  std::error_code ec;
  if (!fs::is_directory(parent, ec)) return 0;
  struct Leftovers {
    std::map<std::string, fs::path> tmp, old;  // by pid
  };
  std::map<std::string, Leftovers> by_target;
  for (const auto& entry : fs::directory_iterator(parent, ec)) {
    const std::string f = entry.path().filename().string();
    for (const char* kind : {".tmp-", ".old-"}) {
      const size_t at = f.rfind(kind);
      if (at == std::string::npos || at == 0) continue;
      const std::string pid = f.substr(at + 5), base = f.substr(0, at);
      if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
      if (!name.empty() && base != name) continue;
      auto& l = by_target[base];
      (kind[1] == 't' ? l.tmp : l.old)[pid] = entry.path();
    }
  }
  int removed = 0;
  for (auto& [base, l] : by_target) {
    const fs::path target = fs::path(parent) / base;
    // A writer died between its two renames: the old version was moved aside and the new,
    // complete one not yet moved in. Finish the swap.
    for (const auto& [pid, old] : l.old) {
      auto t = l.tmp.find(pid);
      if (!fs::exists(target) && t != l.tmp.end()) {
        fs::rename(t->second, target, ec);
        if (!ec) l.tmp.erase(t);
      }
    }
    for (const auto* group : {&l.tmp, &l.old}) {
      for (const auto& [pid, p] : *group) {
        if (remove_tree(p, ec) > 0) ++removed;
      }
    }
  }
  return removed;
}

}  // namespace util
}  // namespace seqmatch
