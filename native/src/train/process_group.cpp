// c10d process group for data-parallel training: see process_group.h.
#include "train/process_group.h"

#include <torch/version.h>  // provides: TORCH_VERSION_MAJOR

#include <cstdlib>
#include <limits>

#include "util/check.h"

#ifdef SEQMATCH_WITH_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef SEQMATCH_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#if defined(SEQMATCH_WITH_GLOO) || defined(SEQMATCH_WITH_NCCL)
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace seqmatch {
namespace train {

namespace {

// An integer environment variable in [lo, hi]; `fallback` when unset.
int64_t env_int(const char* name, int64_t fallback, int64_t lo, int64_t hi) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  const long long x = std::strtoll(v, &end, 10);
  SM_CHECK(*end == '\0' && x >= lo && x <= hi, "distributed: environment variable ", name, "='", v,
           "' is not an integer in [", lo, ", ", hi, "]");
  return x;
}

// The first line of a c10d/Gloo error, without its backtrace.
std::string first_line(const std::exception& e) {
  const auto* c10 = dynamic_cast<const c10::Error*>(&e);
  std::string s = c10 ? c10->what_without_backtrace() : e.what();
  return s.substr(0, s.find('\n'));
}

}  // namespace

DistributedEnv distributed_env() {
  DistributedEnv env;
  env.world_size = env_int("WORLD_SIZE", 1, 1, 1 << 20);
  env.rank = env_int("RANK", 0, 0, env.world_size - 1);
  env.local_rank = env_int("LOCAL_RANK", env.rank, 0, env.world_size - 1);
  if (const char* a = std::getenv("MASTER_ADDR"); a != nullptr && *a != '\0') env.master_addr = a;
  env.master_port = env_int("MASTER_PORT", 29500, 1, 65535);
  SM_CHECK(env.world_size == 1 || std::getenv("RANK") != nullptr,
           "distributed: WORLD_SIZE=", env.world_size, " but RANK is not set. Hint: start the ranks with "
           "seqmatch-train --nproc N or torchrun, which set both");
  return env;
}

#if defined(SEQMATCH_WITH_GLOO) || defined(SEQMATCH_WITH_NCCL)
// c10d's collectives live on ProcessGroup in libtorch 1.x and on its Backend in 2.x.
#if TORCH_VERSION_MAJOR >= 2
using Collectives = c10d::Backend;
#else
using Collectives = c10d::ProcessGroup;
#endif

struct ProcessGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<Collectives> group;
  const char* backend = "gloo";
  c10::optional<torch::Device> device;  // NCCL reduces tensors on this GPU only
  // The tensor a collective can take: `t` itself, or a copy on the NCCL device.
  torch::Tensor staged(const torch::Tensor& t) const { return device && t.device() != *device ? t.to(*device) : t; }
};

struct ProcessGroup::Pending {
  c10::intrusive_ptr<c10d::Work> work;
  torch::Tensor tensor;
  const char* what;
};
#else
struct ProcessGroup::Impl {
  const char* backend = "none";
};
struct ProcessGroup::Pending {
  torch::Tensor tensor;
  const char* what;
};
#endif

ProcessGroup::ProcessGroup(const DistributedEnv& env, const torch::Device& device, std::chrono::seconds timeout)
    : env_(env), timeout_(timeout), impl_(std::make_unique<Impl>()) {
  if (!distributed()) return;
#if defined(SEQMATCH_WITH_GLOO) || defined(SEQMATCH_WITH_NCCL)
  try {
    // Under torchrun the elastic agent already serves a TCPStore at MASTER_ADDR:MASTER_PORT
    // (TORCHELASTIC_USE_AGENT_STORE=True): every rank is its client, and keys are prefixed per
    // restart attempt as PyTorch does. Otherwise rank 0 serves it.
    const char* agent = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
    const bool agent_store = agent != nullptr && std::string(agent) == "True";
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(env.master_port);
    so.isServer = env.rank == 0 && !agent_store;
    so.numWorkers = static_cast<std::size_t>(env.world_size);
    so.waitWorkers = !agent_store;
    so.timeout = timeout;
    impl_->store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
    if (agent_store) {
      const char* attempt = std::getenv("TORCHELASTIC_RESTART_COUNT");
      impl_->store = c10::make_intrusive<c10d::PrefixStore>(
          std::string("seqmatch/attempt_") + (attempt != nullptr ? attempt : "0"), impl_->store);
    }
  } catch (const std::exception& e) {
    SM_CHECK(false, "distributed: rank ", env.rank, " of ", env.world_size, ": rendezvous at ",
             env.master_addr, ":", env.master_port, " failed within ", timeout.count(),
             " s (distributed.timeout_s): ", first_line(e),
             ". Hint: check MASTER_ADDR/MASTER_PORT, and that every rank was started");
  }
  const int rank = int(env.rank), size = int(env.world_size);
#ifdef SEQMATCH_WITH_NCCL
  if (device.is_cuda()) {
    // Without async error handling a dead peer leaves NCCL kernels waiting forever; with it the
    // watchdog aborts the communicator after the timeout.
    setenv("TORCH_NCCL_ASYNC_ERROR_HANDLING", "1", 0);
    setenv("NCCL_ASYNC_ERROR_HANDLING", "1", 0);
    auto opts = c10d::ProcessGroupNCCL::Options::create();
    opts->timeout = timeout;
    impl_->group = c10::make_intrusive<c10d::ProcessGroupNCCL>(impl_->store, rank, size, opts);
    impl_->backend = "nccl";
    impl_->device = device;
    return;
  }
#endif
#ifdef SEQMATCH_WITH_GLOO
  try {
    // Gloo also reduces CUDA tensors (staged through host memory) where NCCL is not compiled in.
    auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
    // The interface peers reach this rank on: GLOO_SOCKET_IFNAME as in PyTorch, loopback for a
    // single-node run on 127.0.0.1, else the address this host's name resolves to.
    const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
    if (ifname != nullptr && *ifname != '\0') {
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    } else if (env.master_addr == "127.0.0.1" || env.master_addr == "localhost") {
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    } else {
      opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
    impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, rank, size, opts);
  } catch (const std::exception& e) {
    fail("joining the Gloo process group", e);
  }
#else
  SM_CHECK(false, "distributed: this build has no Gloo backend for device ", device.str());
#endif
#else
  SM_CHECK(false, "distributed: WORLD_SIZE=", env.world_size, " but this build of SeqMatch has no c10d "
           "backend (Gloo headers were missing at build time). Hint: apt-get install libgloo-dev and rebuild");
#endif
}

ProcessGroup::~ProcessGroup() = default;

const char* ProcessGroup::backend() const { return distributed() ? impl_->backend : "none"; }

void ProcessGroup::fail(const char* what, const std::exception& e) const {
  // Gloo's error names the peer by address only; with two ranks the peer is the other one. With
  // more, the launcher (--nproc) or torchrun names the rank that exited first.
  const std::string peer = env_.world_size == 2 ? "rank " + std::to_string(1 - env_.rank) : "another rank";
  SM_CHECK(false, "distributed: rank ", env_.rank, " of ", env_.world_size, ": ", what,
           " failed: ", peer, " died or did not answer within ", timeout_.count(),
           " s (distributed.timeout_s) (", first_line(e), ")");
  std::abort();  // unreachable: SM_CHECK(false) throws
}

std::shared_ptr<ProcessGroup::Pending> ProcessGroup::start_all_reduce_sum(torch::Tensor t, const char* what) {
  auto p = std::make_shared<Pending>();
  p->tensor = std::move(t);
  p->what = what;
  if (!distributed()) return p;
#if defined(SEQMATCH_WITH_GLOO) || defined(SEQMATCH_WITH_NCCL)
  try {
    std::vector<at::Tensor> ts{p->tensor};
    p->work = impl_->group->allreduce(ts);
  } catch (const std::exception& e) {
    fail(what, e);
  }
#endif
  return p;
}

void ProcessGroup::wait(Pending& p) {
#if defined(SEQMATCH_WITH_GLOO) || defined(SEQMATCH_WITH_NCCL)
  if (!p.work) return;
  try {
    p.work->wait(timeout_);
  } catch (const std::exception& e) {
    fail(p.what, e);
  }
  p.work.reset();
#endif
}

void ProcessGroup::all_reduce_sum(torch::Tensor& t, const char* what) {
  if (!distributed()) return;
#if defined(SEQMATCH_WITH_GLOO) || defined(SEQMATCH_WITH_NCCL)
  auto p = start_all_reduce_sum(impl_->staged(t), what);
  wait(*p);
  if (!p->tensor.is_same(t)) t.copy_(p->tensor);
#endif
}

std::vector<torch::Tensor> ProcessGroup::all_gather(const torch::Tensor& t, const char* what) {
  if (!distributed()) return {t};
  std::vector<torch::Tensor> out;
#if defined(SEQMATCH_WITH_GLOO) || defined(SEQMATCH_WITH_NCCL)
  const auto in = impl_->staged(t);
  for (int64_t r = 0; r < env_.world_size; ++r) out.push_back(torch::empty_like(in));
  try {
    std::vector<std::vector<at::Tensor>> outputs{out};
    std::vector<at::Tensor> inputs{in};
    impl_->group->allgather(outputs, inputs)->wait(timeout_);
    out = outputs[0];
  } catch (const std::exception& e) {
    fail(what, e);
  }
  for (auto& o : out) o = o.to(t.device());
#endif
  return out;
}

}  // namespace train
}  // namespace seqmatch
