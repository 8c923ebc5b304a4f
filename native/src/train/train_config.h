// The training configuration: ONE JSON format read by both front ends (`seqmatch train`, Java,
// and `seqmatch-train`, native), so the same file gives the same run. Unknown keys are errors
// (a typo must not silently train with a default). Every field and its default:
// docs/TRAINING.md. Test: ctest -R test_train
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace seqmatch {
namespace train {

struct TrainConfig {
  // The HF config.json (model_type + sizes) of a model.init = "scratch" model.
  nlohmann::json scratch_model_json() const;
  // model
  std::string init = "scratch";        // "scratch" or a checkpoint directory (ours or HF's)
  // From scratch: model_type "gpt2" takes the GPT-2 sizes below; "llama"/"qwen2" take HF config
  // fields (hidden_size, num_key_value_heads, ...: model/config.h kLlamaConfigFields) in hf_fields.
  std::string model_type = "gpt2";
  nlohmann::json hf_fields = nlohmann::json::object();
  std::string dtype = "float32";       // weights kept in: float32, bfloat16, float16 (model/family.h)
  int64_t vocab_size = 259, n_positions = 256, n_embd = 128, n_layer = 4, n_head = 4;
  int64_t bos_token_id = -1, eos_token_id = -1, pad_token_id = -1, bkspc_token_id = -1;
  nlohmann::json tokenizer = nullptr;  // carried into checkpoints ("seqmatch.tokenizer")
  // data (.smtok files, see data/dataset.h)
  std::string train_data, validation_data;
  // objective
  std::string objective = "sequence_match";  // "mle", "sequence_match", "emo", "gdc++", "dpg"
  std::string divergence = "chi2-mixture";
  double gamma = 0.998, alpha = 0.5, lambda = 0.5;
  int64_t warmup_bc_steps = 100;
  bool noise_as_expert = false;
  // V' after <eos>: "zero" (DESIGN.md §3) or "learned" (a learned terminal-reward offset, trainer.h).
  std::string terminal_value = "zero";
  // gdc++ / dpg: distribution matching toward a(x)·b(x) or a(x)·exp(λ·φ(x)) (train/gdc_objective.h)
  bool gdc_baseline = true;              // objective.baseline: GDC++'s Z·π/q baseline (false = DPG)
  nlohmann::json gdc_constraints = nullptr;  // gdc.constraints (score/constraint.h)
  int64_t gdc_samples = 32;              // gdc.samples: sequences drawn from q per step
  int64_t gdc_max_new_tokens = 32;       // gdc.max_new_tokens: length cap of a sample
  int64_t gdc_fit_samples = 1024;        // gdc.fit_samples: samples from a for fitting λ
  double gdc_fit_tol = 1e-3;             // gdc.fit_tol: |μ(λ) − μ̄| at which the λ fit stops
  // noise augmentation
  double noise_eta = 0.0;
  std::string noise_kind = "uniform";
  std::string noise_candidates;         // kind "task": JSON file {"<token>": [noise ids], ...}
  // replay buffer (sequence_match only)
  int64_t sample_every = 50, buffer_size = 256, model_rows = 4, rollout_max_new_tokens = 64;
  int64_t rollouts = 16;                // trajectories generated per sampling round
  // optimisation
  double lr = 3e-4, min_lr = 3e-5, weight_decay = 0.1, beta1 = 0.9, beta2 = 0.95, eps = 1e-8;
  double grad_clip = 1.0;
  int64_t warmup_steps = 100, max_steps = 1000, batch_size = 8, grad_accum = 1;
  // loop
  int64_t eval_every = 100, eval_batches = 8, checkpoint_every = 500, log_every = 10;
  std::string out_dir = "runs/default";
  uint64_t seed = 0;
  std::string device = "cpu";
  std::string amp = "auto";             // "auto" (bf16 on CUDA), "bf16", "off"
  int64_t head_keep_mb = 512;           // largest π the LM head keeps for its backward (loss/head.h); 0: recompute
  // data parallel (train/process_group.h; the ranks come from the environment, not the config)
  int64_t dist_timeout_s = 300;         // distributed.timeout_s: a collective's limit before the job fails
  double dist_bucket_mb = 25;           // distributed.bucket_mb: gradient all-reduce bucket size
  // LoRA (model/lora.h): the "lora" block as given, validated; null = full fine-tuning.
  nlohmann::json lora = nullptr;

  nlohmann::json to_json() const;
};

// Parses a config (errors name the file and key); `overrides` are "a.b=value" strings whose
// value is JSON when it parses as JSON, else a string.
inline bool is_gdc(const TrainConfig& c) { return c.objective == "gdc++" || c.objective == "dpg"; }

TrainConfig parse_train_config(const nlohmann::json& j, const std::string& origin);
TrainConfig load_train_config(const std::string& path, const std::vector<std::string>& overrides);
void apply_override(nlohmann::json& j, const std::string& assignment);

}  // namespace train
}  // namespace seqmatch
