// Crash-safe directory writes: see atomic_dir.h.
#include "util/atomic_dir.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include "util/check.h"

namespace seqmatch {
namespace util {

namespace fs = std::filesystem;

static void fsync_path(const fs::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY);
  if (fd < 0) return;  // best effort: durability, not correctness, depends on it
  ::fsync(fd);
  ::close(fd);
}

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

  const std::string suffix = std::to_string(::getpid());
  const fs::path tmp = parent / (target.filename().string() + ".tmp-" + suffix);
  const fs::path old = parent / (target.filename().string() + ".old-" + suffix);
  fs::remove_all(tmp, ec);
  fs::create_directory(tmp, ec);
  SM_CHECK(!ec, "checkpoint ", dir, ": cannot create ", tmp.string(), " (", ec.message(), ")");
  try {
    write(tmp.string());
    for (const auto& entry : fs::directory_iterator(tmp)) fsync_path(entry.path());
    fsync_path(tmp);
  } catch (...) {
    fs::remove_all(tmp, ec);  // the old directory is untouched
    throw;
  }
  const bool had_old = fs::exists(target);
  if (had_old) fs::rename(target, old);
  fs::rename(tmp, target);
  fsync_path(parent);
  if (had_old) fs::remove_all(old, ec);
}

}  // namespace util
}  // namespace seqmatch
