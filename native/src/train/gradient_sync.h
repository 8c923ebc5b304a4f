// Gradient all-reduce in buckets, overlapped with the backward pass (as PyTorch's DDP does, on the
// same c10d collectives). Parameters are grouped, in reverse registration order (roughly the order
// backward produces their gradients), into buckets of about distributed.bucket_mb. A post-hook on
// each parameter's gradient accumulator (the autograd node that writes .grad) marks it ready; when
// every parameter of the next bucket in order is ready, its gradients are flattened into one buffer
// and an asynchronous all-reduce starts while backward goes on with earlier layers. Buckets are
// always started in the same order on every rank (a bucket waits for the ones before it), because
// collectives are matched by their order. finish() starts what is left (parameters the loss did not
// reach this step: they count as 0 in the buffer, so every rank reduces the same sizes, and keep no
// .grad, as in one process), waits, and writes the sums back into .grad. Gradients are summed, not
// averaged: each rank's loss is already its share of the global batch mean (loss/normalisers.h).
// A parameter that some steps do not reach delays its bucket to finish(): pass it first, so it
// lands in the last bucket.
// With grad_accum > 1 only the last micro-batch's backward synchronises (the earlier ones
// accumulate locally), so the all-reduce cost is paid once per update. Test: ctest -R test_distributed
#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "train/process_group.h"

namespace seqmatch {
namespace train {

class GradientSync {
 public:
  GradientSync(ProcessGroup& group, std::vector<torch::Tensor> params, int64_t bucket_bytes);
  ~GradientSync();
  GradientSync(const GradientSync&) = delete;
  GradientSync& operator=(const GradientSync&) = delete;

  // Before a backward pass: whether it is the one whose gradients are synchronised.
  void prepare(bool sync);
  // After the synchronising backward: completes every bucket and writes the summed gradients.
  void finish();
  int64_t buckets() const { return int64_t(buckets_.size()); }

 private:
  struct Bucket;
  void on_ready(size_t param);
  void launch(size_t bucket);

  ProcessGroup& group_;
  // The hooks outlive this object when the model does: they reach it only while this is set.
  std::shared_ptr<GradientSync*> self_;
  std::vector<torch::Tensor> params_;
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators_;  // kept alive: they carry the hooks
  std::vector<size_t> bucket_of_;                                       // per parameter
  std::vector<std::unique_ptr<Bucket>> buckets_;
  size_t next_launch_ = 0;
  bool sync_ = false;
};

}  // namespace train
}  // namespace seqmatch
