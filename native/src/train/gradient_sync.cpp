// Bucketed gradient all-reduce overlapped with backward: see gradient_sync.h.
#include "train/gradient_sync.h"

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/variable.h>

#include <functional>
#include <mutex>

#include "util/check.h"

namespace seqmatch {
namespace train {

namespace {

// Runs after a gradient accumulator has written its parameter's .grad.
class ReadyHook : public torch::autograd::FunctionPostHook {
 public:
  explicit ReadyHook(std::function<void()> fn) : fn_(std::move(fn)) {}
  torch::autograd::variable_list operator()(const torch::autograd::variable_list& outputs,
                                            const torch::autograd::variable_list& /*inputs*/) override {
    fn_();
    return outputs;
  }

 private:
  std::function<void()> fn_;
};

std::mutex& hook_mutex() {
  static std::mutex m;  // backward may run hooks on a device thread
  return m;
}

}  // namespace

struct GradientSync::Bucket {
  std::vector<size_t> params;
  size_t pending = 0;  // parameters of this bucket not yet ready in the current backward
  torch::Tensor flat;  // their gradients, flattened, being reduced
  std::vector<bool> had_grad;  // per parameter: whether backward reached it (see finish)
  std::shared_ptr<ProcessGroup::Pending> work;
};

GradientSync::GradientSync(ProcessGroup& group, std::vector<torch::Tensor> params, int64_t bucket_bytes)
    : group_(group), self_(std::make_shared<GradientSync*>(this)), params_(std::move(params)),
      bucket_of_(params_.size()) {
  SM_CHECK(bucket_bytes > 0, "distributed.bucket_mb must be > 0");
  // Reverse order: the LM head and the last blocks get their gradients first.
  int64_t bytes = 0;
  for (size_t k = params_.size(); k-- > 0;) {
    const auto& p = params_[k];
    SM_CHECK(p.requires_grad(), "gradient sync: parameter ", k, " does not require grad");
    const int64_t n = p.numel() * int64_t(p.element_size());
    if (buckets_.empty() || (bytes > 0 && bytes + n > bucket_bytes)) {
      buckets_.push_back(std::make_unique<Bucket>());
      bytes = 0;
    }
    buckets_.back()->params.push_back(k);
    bucket_of_[k] = buckets_.size() - 1;
    bytes += n;
  }
  for (size_t k = 0; k < params_.size(); ++k) {
    auto acc = torch::autograd::impl::grad_accumulator(params_[k]);
    std::weak_ptr<GradientSync*> self = self_;
    acc->add_post_hook(std::make_unique<ReadyHook>([self, k] {
      if (auto s = self.lock()) (*s)->on_ready(k);
    }));
    accumulators_.push_back(std::move(acc));
  }
}

GradientSync::~GradientSync() {
  std::lock_guard<std::mutex> lock(hook_mutex());
  self_.reset();
}

void GradientSync::prepare(bool sync) {
  std::lock_guard<std::mutex> lock(hook_mutex());
  sync_ = sync && group_.distributed();
  next_launch_ = 0;
  for (auto& b : buckets_) {
    b->pending = b->params.size();
    b->flat = torch::Tensor();
    b->work.reset();
  }
}

void GradientSync::on_ready(size_t param) {
  std::lock_guard<std::mutex> lock(hook_mutex());
  if (!sync_) return;
  auto& b = *buckets_[bucket_of_[param]];
  if (b.pending > 0) --b.pending;
  // Start buckets strictly in order, so every rank issues the same sequence of collectives.
  while (next_launch_ < buckets_.size() && buckets_[next_launch_]->pending == 0) launch(next_launch_++);
}

void GradientSync::launch(size_t bucket) {
  auto& b = *buckets_[bucket];
  std::vector<torch::Tensor> grads;
  b.had_grad.clear();
  for (size_t k : b.params) {
    const auto& p = params_[k];
    b.had_grad.push_back(p.grad().defined());
    // A parameter the loss did not reach has no gradient: it contributes 0 to the sum.
    grads.push_back(p.grad().defined() ? p.grad().reshape(-1) : torch::zeros({p.numel()}, p.options()));
  }
  b.flat = torch::cat(grads);
  b.work = group_.start_all_reduce_sum(b.flat, "all-reduce of a gradient bucket");
}

void GradientSync::finish() {
  if (!sync_) return;
  {
    std::lock_guard<std::mutex> lock(hook_mutex());
    while (next_launch_ < buckets_.size()) launch(next_launch_++);
    sync_ = false;
  }
  torch::NoGradGuard no_grad;
  for (auto& b : buckets_) {
    group_.wait(*b->work);
    int64_t offset = 0;
    for (size_t i = 0; i < b->params.size(); ++i) {
      auto& p = params_[b->params[i]];
      // A parameter no loss reached keeps no gradient, as in one process: AdamW then skips it
      // (a zero gradient would still advance its step count). Every rank runs the same graph.
      if (b->had_grad[i]) p.grad().copy_(b->flat.narrow(0, offset, p.numel()).view_as(p));
      offset += p.numel();
    }
    b->flat = torch::Tensor();
    b->work.reset();
  }
}

}  // namespace train
}  // namespace seqmatch
