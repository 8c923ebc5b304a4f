// Learning-rate schedule: linear warm-up to lr over warmup_steps, then cosine decay to
// min_lr at max_steps (and min_lr after). Test: ctest -R test_train
#pragma once

#include <cstdint>

namespace seqmatch {
namespace train {

double learning_rate(int64_t step, double lr, double min_lr, int64_t warmup_steps, int64_t max_steps);

}  // namespace train
}  // namespace seqmatch
