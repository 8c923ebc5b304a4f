// Helpers shared by the C++ tests: per-process temporary directories and the one-line message
// of a libtorch error.
#pragma once

#include <c10/util/Exception.h>
#include <torch/torch.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace seqmatch {
namespace testing {

// A fresh, empty directory under the system temp dir, unique to this process and `name`.
inline std::filesystem::path temp_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() /
           ("seqmatch-test-" + std::to_string(::getpid()) + "-" + name);
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

// The message f throws as a c10::Error (without backtrace), or "" if it does not throw.
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const c10::Error& e) {
    return e.what_without_backtrace();
  }
  return "";
}

// The rows of a (B, T) int64 tensor as token-id vectors (prompts, expected continuations).
inline std::vector<std::vector<int64_t>> rows_of(const torch::Tensor& ids) {
  std::vector<std::vector<int64_t>> out;
  for (int64_t b = 0; b < ids.size(0); ++b) {
    auto row = ids[b].contiguous();
    out.emplace_back(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + row.numel());
  }
  return out;
}

// Fault injection for write paths: while alive, every write past `bytes` in any file fails with
// EFBIG (the kernel's RLIMIT_FSIZE; SIGXFSZ is ignored so the write fails, not the process), as
// on a disk that fills up mid-file.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    old_handler_ = ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit r = saved_;
    r.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &r);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    ::signal(SIGXFSZ, old_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  struct rlimit saved_ {};
  sighandler_t old_handler_;
};

}  // namespace testing
}  // namespace seqmatch
