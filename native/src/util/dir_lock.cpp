// Run-directory lock: see dir_lock.h.
#include "util/dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string>

#include "util/check.h"

namespace seqmatch {
namespace util {

namespace fs = std::filesystem;

DirLock::DirLock(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  SM_CHECK(!ec, "out_dir ", dir, ": cannot create it (", ec.message(), ")");
  const std::string path = (fs::path(dir) / ".lock").string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  SM_CHECK(fd_ >= 0, "out_dir ", dir, ": cannot open ", path, " (", std::strerror(errno), ")");
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char holder[512] = {0};
    const ssize_t n = ::pread(fd_, holder, sizeof(holder) - 1, 0);
    std::string who = n > 0 ? std::string(holder, size_t(n)) : std::string("unknown holder");
    while (!who.empty() && (who.back() == '\n' || who.back() == ' ')) who.pop_back();
    for (char& ch : who) ch = ch == '\n' ? ' ' : ch;
    ::close(fd_);
    fd_ = -1;
    SM_CHECK(err != EWOULDBLOCK, "out_dir ", dir, ": in use by another training (", who,
             "; lock ", path, "). Hint: wait for it, stop it, or choose another out_dir");
    SM_CHECK(false, "out_dir ", dir, ": cannot lock ", path, " (", std::strerror(err), ")");
  }
  char host[256] = {0};
  ::gethostname(host, sizeof(host) - 1);
  char started[32] = {0};
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  std::strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &utc);
  const std::string info = "pid " + std::to_string(::getpid()) + " on host " + host +
                           " since " + started + "\n";
  // Best effort: the flock, not the text, is the lock; the text only names the holder.
  if (::ftruncate(fd_, 0) == 0) {
    [[maybe_unused]] ssize_t w = ::pwrite(fd_, info.data(), info.size(), 0);
  }
}

DirLock::~DirLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock; the file stays (removing it would race)
}

}  // namespace util
}  // namespace seqmatch
