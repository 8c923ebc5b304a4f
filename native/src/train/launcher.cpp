// Local multi-process launcher: see launcher.h.
#include "train/launcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "util/check.h"

extern char** environ;

namespace seqmatch {
namespace train {

namespace {

volatile std::sig_atomic_t g_forward = 0;  // a signal the launcher received, to pass on

void on_signal(int sig) { g_forward = sig; }

// A TCP port that is free now on 127.0.0.1 (the kernel picks it; rank 0 binds it right after).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  SM_CHECK(fd >= 0, "--nproc: cannot open a socket to find a free port (", std::strerror(errno), ")");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof(a);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  ::close(fd);
  SM_CHECK(ok, "--nproc: cannot find a free port on 127.0.0.1 (", std::strerror(errno), "). Hint: set MASTER_PORT");
  return ntohs(a.sin_port);
}

std::string describe(int status) {
  char buf[96];
  if (WIFSIGNALED(status)) {
    std::snprintf(buf, sizeof(buf), "was killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
  } else {
    std::snprintf(buf, sizeof(buf), "exited with code %d", WEXITSTATUS(status));
  }
  return buf;
}

}  // namespace

int launch_local(const std::vector<std::string>& argv, int nproc, const std::string& who) {
  SM_CHECK(nproc >= 1, "--nproc must be >= 1 (got ", nproc, ")");
  const char* port_env = std::getenv("MASTER_PORT");
  const int port = port_env != nullptr && *port_env != '\0' ? std::atoi(port_env) : free_port();
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const bool omp_set = std::getenv("OMP_NUM_THREADS") != nullptr;

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  struct sigaction old_int {}, old_term {};
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<pid_t> pids;
  std::string pid_list;
  for (int rank = 0; rank < nproc; ++rank) {
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string kv = *e;
      const std::string key = kv.substr(0, kv.find('='));
      if (key == "RANK" || key == "WORLD_SIZE" || key == "LOCAL_RANK" || key == "LOCAL_WORLD_SIZE" ||
          key == "MASTER_ADDR" || key == "MASTER_PORT")
        continue;
      env.push_back(kv);
    }
    env.push_back("RANK=" + std::to_string(rank));
    env.push_back("LOCAL_RANK=" + std::to_string(rank));
    env.push_back("WORLD_SIZE=" + std::to_string(nproc));
    env.push_back("LOCAL_WORLD_SIZE=" + std::to_string(nproc));
    env.push_back("MASTER_ADDR=127.0.0.1");
    env.push_back("MASTER_PORT=" + std::to_string(port));
    if (!omp_set) env.push_back("OMP_NUM_THREADS=" + std::to_string(std::max(1u, cores / unsigned(nproc))));
    std::vector<char*> envp;
    for (auto& kv : env) envp.push_back(kv.data());
    envp.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), envp.data());
    if (rc != 0) {
      for (pid_t p : pids) ::kill(p, SIGKILL);
      for (pid_t p : pids) ::waitpid(p, nullptr, 0);
      SM_CHECK(false, "--nproc: cannot start rank ", rank, " (", argv[0], "): ", std::strerror(rc));
    }
    pids.push_back(pid);
    pid_list += (pid_list.empty() ? "" : " ") + std::to_string(pid);
  }
  std::fprintf(stderr, "%s: started %d ranks on 127.0.0.1:%d (pids %s)\n", who.c_str(), nproc, port, pid_list.c_str());
  std::fflush(stderr);

  std::vector<bool> done(pids.size(), false);
  int exit_code = 0, forwarded = 0;
  bool stopping = false;
  auto stop_deadline = std::chrono::steady_clock::time_point::max();
  for (size_t alive = pids.size(); alive > 0;) {
    if (g_forward != 0 && forwarded != g_forward) {
      forwarded = g_forward;
      for (size_t r = 0; r < pids.size(); ++r)
        if (!done[r]) ::kill(pids[r], forwarded);
    }
    bool reaped = false;
    // The first rank to fail is the cause; the others' failures follow from it (a survivor exits 1
    // as soon as its collective sees the dead peer). Of ranks found dead in the same pass, one
    // killed by a signal is the likelier cause.
    int cause = -1, cause_status = 0;
    for (size_t r = 0; r < pids.size(); ++r) {
      if (done[r]) continue;
      int status = 0;
      if (::waitpid(pids[r], &status, WNOHANG) != pids[r]) continue;
      done[r] = true, --alive, reaped = true;
      const bool failed = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
      if (failed && (cause < 0 || (WIFSIGNALED(status) && !WIFSIGNALED(cause_status)))) {
        cause = int(r), cause_status = status;
      }
    }
    if (cause >= 0 && !stopping) {
      std::fprintf(stderr, "%s: rank %d (pid %d) %s: stopping the other ranks\n", who.c_str(), cause,
                   int(pids[size_t(cause)]), describe(cause_status).c_str());
      std::fflush(stderr);
      exit_code = WIFEXITED(cause_status) ? WEXITSTATUS(cause_status) : 1;
      stopping = true;
      stop_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      for (size_t o = 0; o < pids.size(); ++o)
        if (!done[o]) ::kill(pids[o], SIGTERM);
    }
    if (stopping && std::chrono::steady_clock::now() > stop_deadline) {
      for (size_t o = 0; o < pids.size(); ++o)
        if (!done[o]) ::kill(pids[o], SIGKILL);
      stop_deadline = std::chrono::steady_clock::time_point::max();
    }
    if (!reaped && alive > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  if (exit_code == 0 && forwarded != 0) exit_code = 128 + forwarded;
  return exit_code;
}

}  // namespace train
}  // namespace seqmatch
