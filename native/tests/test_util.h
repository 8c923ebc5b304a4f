// Helpers shared by the C++ tests: per-process temporary directories, the one-line message of a
// libtorch error, and a stack trace on stderr when a test crashes (SIGSEGV, SIGBUS, SIGFPE, SIGILL),
// so a crash on a machine we cannot log into (the GPU device) still says where it was.
#pragma once

#include <c10/util/Exception.h>
#include <torch/torch.h>
#include <execinfo.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "util/remove_tree.h"

namespace seqmatch {
namespace testing {

// Writes the crashing thread's frames (names need the tests' -rdynamic) and re-raises the signal,
// so ctest still reports the crash. Only async-signal-safe calls.
inline void crash_trace(int sig) {
  void* frames[64];
  const int n = ::backtrace(frames, 64);
  const char head[] = "\n*** crash: stack trace follows ***\n";
  (void)!::write(2, head, sizeof head - 1);
  ::backtrace_symbols_fd(frames, n, 2);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

inline bool install_crash_trace() {
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL}) ::signal(sig, crash_trace);
  return true;
}

inline const bool kCrashTraceInstalled = install_crash_trace();

// A fresh, empty directory under the system temp dir, unique to this process and `name`.
inline std::filesystem::path temp_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() /
           ("seqmatch-test-" + std::to_string(::getpid()) + "-" + name);
  std::error_code ec;
  seqmatch::util::remove_tree(d.string(), ec);  // not std::filesystem::remove_all: see util/remove_tree.h
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
