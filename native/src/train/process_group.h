// Data parallelism on libtorch's own distributed engine, c10d: a process group over a TCPStore
// rendezvous, Gloo on CPU and NCCL on CUDA (when this libtorch was built with it; Gloo otherwise).
// The ranks come from torchrun's environment contract, so torchrun, Slurm srun (with those
// variables set) and Kubernetes PyTorchJob start the trainer unchanged; `seqmatch-train --nproc N`
// sets the same variables for N local processes (train/launcher.h):
//   RANK, WORLD_SIZE        this process's rank and the number of processes (all nodes)
//   LOCAL_RANK              rank on this node: picks cuda:LOCAL_RANK when the device is "cuda"
//   MASTER_ADDR, MASTER_PORT  the TCPStore rendezvous: rank 0 serves it, or torchrun's agent does
//                             (TORCHELASTIC_USE_AGENT_STORE=True; keys per TORCHELASTIC_RESTART_COUNT)
// Without WORLD_SIZE (or with WORLD_SIZE=1) the trainer is one process and no c10d object exists.
// Every collective has the timeout distributed.timeout_s: a rank that dies or hangs fails the
// others with a message naming the operation, never a hang (Gloo also fails at once when a peer's
// connection closes). Test: ctest -R test_distributed
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace seqmatch {
namespace train {

struct DistributedEnv {
  int64_t rank = 0, world_size = 1, local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int64_t master_port = 29500;
};

// Reads (and checks, naming the variable) RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT.
DistributedEnv distributed_env();

class ProcessGroup {
 public:
  // world_size 1: a group of one, every collective a no-op. Blocks until all ranks have joined
  // (or the timeout passes). `device` picks the backend: NCCL for CUDA where compiled in.
  ProcessGroup(const DistributedEnv& env, const torch::Device& device, std::chrono::seconds timeout);
  ~ProcessGroup();

  int64_t rank() const { return env_.rank; }
  int64_t world_size() const { return env_.world_size; }
  bool distributed() const { return env_.world_size > 1; }
  const char* backend() const;

  // In place, summed over the ranks; `what` names the operation in a failure.
  void all_reduce_sum(torch::Tensor& t, const char* what);
  // Asynchronous sum (gradient buckets, train/gradient_sync.h): start, then wait in start order.
  struct Pending;
  std::shared_ptr<Pending> start_all_reduce_sum(torch::Tensor t, const char* what);
  void wait(Pending& pending);
  // Every rank's equally shaped tensor, in rank order.
  std::vector<torch::Tensor> all_gather(const torch::Tensor& t, const char* what);

 private:
  [[noreturn]] void fail(const char* what, const std::exception& e) const;
  struct Impl;
  DistributedEnv env_;
  std::chrono::seconds timeout_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace train
}  // namespace seqmatch
