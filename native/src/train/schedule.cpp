// Learning-rate schedule: see schedule.h.
#include "train/schedule.h"

#include <algorithm>
#include <cmath>

namespace seqmatch {
namespace train {

double learning_rate(int64_t step, double lr, double min_lr, int64_t warmup_steps, int64_t max_steps) {
  if (warmup_steps > 0 && step < warmup_steps) return lr * double(step + 1) / double(warmup_steps);
  if (step >= max_steps || max_steps <= warmup_steps) return min_lr;
  const double progress = double(step - warmup_steps) / double(max_steps - warmup_steps);
  return min_lr + 0.5 * (lr - min_lr) * (1.0 + std::cos(M_PI * std::min(1.0, progress)));
}

}  // namespace train
}  // namespace seqmatch
