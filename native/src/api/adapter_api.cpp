// The LoRA-adapter half of the model facade (include/seqmatch/api.h): base + adapter loading and
// merging, over model/merge.h.
#include "seqmatch/api.h"

#include "api/handles.h"
#include "model/merge.h"

namespace seqmatch {
namespace api {

Model* model_load_with_adapter(const std::string& dir, const std::string& adapter_dir, const std::string& device) {
  return guarded([&] {
    auto m = std::make_unique<Model>();
    m->device = parse_device(device);
    auto c = model::load_with_adapter(dir, adapter_dir, m->device);
    m->lm = c.model;
    m->config = c.config;
    return m.release();
  });
}

void model_merge_adapter(const std::string& base_dir, const std::string& adapter_dir, const std::string& out_dir) {
  guarded([&] { model::merge_adapter_to_dir(base_dir, adapter_dir, out_dir); });
}

}  // namespace api
}  // namespace seqmatch
