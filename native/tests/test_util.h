// Helpers shared by the C++ tests: per-process temporary directories and the one-line message
// of a libtorch error.
#pragma once

#include <c10/util/Exception.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>

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

}  // namespace testing
}  // namespace seqmatch
