// Base + adapter: see merge.h.
#include "model/merge.h"

#include "model/family.h"
#include "model/lora.h"
#include "model/peft_io.h"
#include "util/atomic_dir.h"
#include "util/check.h"

#include <filesystem>

namespace seqmatch {
namespace model {

Checkpoint load_with_adapter(const std::string& base_dir, const std::string& adapter_dir,
                             const torch::Device& device, bool merge) {
  const Adapter a = read_adapter(adapter_dir);  // validated before the base is read
  Checkpoint c = load_checkpoint(base_dir, device);
  const int64_t V = c.model->vocab_size();
  if (a.vocab_needed() > V) c.model->add_tokens(a.vocab_needed() - V);  // rows the adapter holds
  const auto& s = a.seqmatch;
  const std::string spath = adapter_dir + "/seqmatch_adapter.json";
  if (s.contains("vocab_size")) {
    SM_CHECK(s["vocab_size"].is_number_integer() && s["vocab_size"].get<int64_t>() == c.model->vocab_size(),
             "adapter ", spath, ": field 'vocab_size' is ", s["vocab_size"].dump(), " but base ", base_dir, " has ",
             c.model->vocab_size(), " rows (with the adapter's new tokens): not the base it was trained on");
  }
  apply_adapter(*c.model, a);
  if (merge) merge_lora(*c.model);
  sync_config(c.model, c.config);
  for (auto [key, field] : {std::pair<const char*, int64_t*>{"bos_token_id", &c.config.tokens.bos},
                            {"eos_token_id", &c.config.tokens.eos}, {"pad_token_id", &c.config.tokens.pad},
                            {"bkspc_token_id", &c.config.tokens.bkspc}}) {
    if (!s.contains(key)) continue;
    SM_CHECK(s[key].is_number_integer(), "adapter ", spath, ": field '", key, "' must be an integer (got ",
             s[key].dump(), ")");
    *field = s[key].get<int64_t>();
  }
  validate_tokens(c.config.tokens, c.model->vocab_size());
  if (s.contains("tokenizer")) c.config.seqmatch["tokenizer"] = s["tokenizer"];
  c.model->eval();
  return c;
}

void merge_adapter_to_dir(const std::string& base_dir, const std::string& adapter_dir, const std::string& out_dir) {
  namespace fs = std::filesystem;
  auto c = load_with_adapter(base_dir, adapter_dir, torch::kCPU, /*merge=*/true);
  util::write_dir_atomically(out_dir, [&](const std::string& tmp) {
    write_model_files(c.model, c.config, tmp);
    // The base's tokenizer and generation files come along, so the result is a complete model
    // directory (tokenizer specs in config.json name files relative to it).
    for (const char* name : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json",
                             "merges.txt", "added_tokens.json", "tokenizer.model", "generation_config.json"}) {
      const fs::path from = fs::path(base_dir) / name;
      if (!fs::is_regular_file(from)) continue;
      std::error_code ec;
      fs::copy_file(from, fs::path(tmp) / name, ec);
      SM_CHECK(!ec, "merge: cannot copy ", from.string(), " into ", out_dir, " (", ec.message(), ")");
    }
  });
}

}  // namespace model
}  // namespace seqmatch
