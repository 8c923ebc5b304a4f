// SeqMatch native facade: the ONLY header JavaCPP parses (see java/seqmatch-native).
// Opaque handles, plain structs and std::string; no libtorch types, no templates, so the
// generated JNI layer compiles without libtorch headers and this API stays stable while the
// core changes. Every function reports failure by throwing std::runtime_error with a one-line
// message (libtorch backtraces stripped); JavaCPP turns it into a java.lang.RuntimeException.
#pragma once

#include <cstdint>
#include <string>

namespace seqmatch {
namespace api {

// Architecture and special tokens of a GPT-2 family model (field names follow HF GPT2Config).
// A token id of -1 means "this model has no such token". Other families (Llama, Qwen2) are
// created and described by their config.json text: model_create_from_config, model_config_json;
// for them model_spec reports the GPT-2-named equivalents (n_embd = hidden_size, ...).
struct ModelSpec {
  int64_t vocab_size = 50257;      // rows of wte, special tokens included
  int64_t n_positions = 1024;      // rows of wpe: the longest sequence the model can see
  int64_t n_embd = 768;            // C, the residual width
  int64_t n_layer = 12;            // transformer blocks
  int64_t n_head = 12;             // attention heads; n_embd % n_head == 0
  double layer_norm_epsilon = 1e-5;
  int64_t bos_token_id = -1;
  int64_t eos_token_id = -1;
  int64_t pad_token_id = -1;
  int64_t bkspc_token_id = -1;     // the SequenceMatch <bkspc> action
};

// A decoder LM (GPT-2, Llama or Qwen2) living on one device ("cpu", "cuda", "cuda:1").
class Model;
// Per-row key/value cache for incremental decoding with a given model.
class KVCache;

// --- runtime ------------------------------------------------------------------------------
// One-line JSON: {"seqmatch":..,"libtorch":..,"cuda_available":..,"cuda_devices":..,"sdpa":..}
std::string runtime_info();
bool cuda_available();
// Seeds libtorch's global generators (CPU and CUDA).
void manual_seed(int64_t seed);
// Bytes this process holds in libtorch's CPU allocator is not exposed by 1.13; we report the
// process resident set size instead (Linux /proc/self/statm), for leak checks.
int64_t resident_set_bytes();

// --- model --------------------------------------------------------------------------------
// A fresh model with GPT-2's initialisation (N(0, 0.02), residual projections scaled by
// 1/sqrt(2·n_layer)), seeded by `seed`.
Model* model_create(const ModelSpec& spec, int64_t seed, const std::string& device);
// A fresh model of any family from config.json text (Hugging Face fields of its model_type:
// gpt2, llama, qwen2; plus our optional "seqmatch" object), with that family's initialisation,
// seeded by `seed`. Errors name the field.
Model* model_create_from_config(const std::string& config_json, int64_t seed, const std::string& device);
// Loads a checkpoint directory (config.json + model.safetensors or shards with
// model.safetensors.index.json): ours or Hugging Face's, GPT-2, Llama or Qwen2.
Model* model_load(const std::string& dir, const std::string& device);
// Writes config.json + model.safetensors atomically (with HF names, so transformers loads it, and
// the tokenizer/generation files of a loaded HF directory): a crash leaves the old directory intact.
void model_save(Model* model, const std::string& dir);
// A base checkpoint plus a PEFT LoRA adapter directory (adapter_config.json +
// adapter_model.safetensors, ours or PEFT's), merged into the weights: the model computes
// base + (alpha/r)·B·A at the base's cost (native/src/model/merge.h).
Model* model_load_with_adapter(const std::string& dir, const std::string& adapter_dir, const std::string& device);
// Writes base + adapter merged as a plain checkpoint directory at out_dir, atomically.
void model_merge_adapter(const std::string& base_dir, const std::string& adapter_dir, const std::string& out_dir);
void model_free(Model* model);

ModelSpec model_spec(Model* model);
int64_t model_num_parameters(Model* model);
std::string model_device(Model* model);
// One-line JSON describing the model (spec, parameter count, device, dtype).
std::string model_describe(Model* model);
// The model's config.json text as model_save writes it (HF fields of its family + "seqmatch").
std::string model_config_json(Model* model);
// Grows the vocabulary by `n` rows initialised to the mean embedding; returns the first new id.
int64_t model_add_tokens(Model* model, int64_t n);
// Sets the special-token ids (each -1 or < vocab_size).
void model_set_special_tokens(Model* model, int64_t bos, int64_t eos, int64_t pad, int64_t bkspc);

// Full forward. ids, pos: [B*T] row-major; mask: [B*T*T] bytes, mask[b][i][j] != 0 iff query i
// may attend key j (nullptr: causal); logits_out: [B*T*vocab_size] float32.
void model_forward(Model* model, const int64_t* ids, const int64_t* pos, const uint8_t* mask,
                   int64_t B, int64_t T, float* logits_out);

// --- KV cache -----------------------------------------------------------------------------
// A cache for B rows of at most `capacity` positions each.
KVCache* kv_cache_create(Model* model, int64_t B, int64_t capacity);
void kv_cache_free(KVCache* cache);
int64_t kv_cache_rows(KVCache* cache);
int64_t kv_cache_capacity(KVCache* cache);
// Current length of each row, written to lengths_out[B].
void kv_cache_lengths(KVCache* cache, int64_t* lengths_out);
// Truncates row `row` to `length` entries (rolling back the most recent ones).
void kv_cache_truncate(KVCache* cache, int64_t row, int64_t length);

// Incremental forward: appends T new tokens per row after that row's cached entries.
// ids, pos: [B*T]; n_valid: [B] how many of the T tokens of each row are real (the rest are
// right padding whose entries are discarded), nullptr = all T; logits_out: [B*T*vocab_size].
// New token i of row b attends to the row's cached entries and its own new tokens 0..i.
void model_forward_cached(Model* model, KVCache* cache, const int64_t* ids, const int64_t* pos,
                          const int64_t* n_valid, int64_t B, int64_t T, float* logits_out);

// --- generation (backspace-aware batched sampler) -------------------------------------------
// Decoding controls; see native/src/sample/sampling.h for the exact semantics.
struct SamplingParams {
  int64_t max_new_tokens = 64;  // generated tokens in the final state (after deletions)
  int64_t max_actions = 0;      // actions per row incl. <bkspc>; 0 = 4 × max_new_tokens
  double temperature = 1.0;     // clamped to [1e-6, 1e6] when sampling (sampling.h kMinTemperature)
  int64_t top_k = 0;            // 0 = off
  double top_p = 1.0;           // 1 = off
  bool greedy = false;
  bool allow_backspace = true;
  bool no_retype = false;       // ban a token deleted at a state from that state (greedy implies it)
  int64_t seed = 0;             // row b draws from seed + b unless row seeds are given
  bool logprobs = false;        // record log π(action | state) per action
};

// A batch being decoded; rows advance one action per step and finish independently.
class Generation;

// Starts decoding B prompts (concatenated in prompt_ids, lengths in prompt_lengths[B]) and
// runs the prefill. stop_ids[n_stop] end a row after it emits one (besides <eos>); row_seeds[B]
// may be nullptr.
Generation* generation_start(Model* model, const int64_t* prompt_ids, const int64_t* prompt_lengths,
                             int64_t B, const int64_t* stop_ids, int64_t n_stop,
                             const int64_t* row_seeds, const SamplingParams& params);
// One action for every unfinished row. Returns how many events it produced; event i is read
// with generation_event. Returns 0 once every row has finished.
int64_t generation_step(Generation* generation);
// Event i of the last step: out[0]=row, out[1]=action id, out[2]=1 if <bkspc> else 0,
// out[3]=token appended or deleted. Returns its log-probability (NaN unless requested).
float generation_event(Generation* generation, int64_t i, int64_t* out4);
// Runs every row to completion without reporting events.
void generation_run(Generation* generation);
bool generation_done(Generation* generation);
// Finishes a row now with reason "cancelled" (no-op if already finished).
void generation_cancel(Generation* generation, int64_t row);
void generation_free(Generation* generation);

int64_t generation_rows(Generation* generation);
int64_t generation_prompt_length(Generation* generation, int64_t row);
// Sizes of a row's final tokens (prompt + generated), its action trace, and its log-probs.
int64_t generation_tokens_size(Generation* generation, int64_t row);
int64_t generation_actions_size(Generation* generation, int64_t row);
void generation_tokens(Generation* generation, int64_t row, int64_t* out);
void generation_actions(Generation* generation, int64_t row, int64_t* out);
void generation_logprobs(Generation* generation, int64_t row, float* out);
int64_t generation_backspaces(Generation* generation, int64_t row);
// "eos", "stop", "max_new_tokens", "max_actions", "length", "cancelled", or "" while running.
std::string generation_finish_reason(Generation* generation, int64_t row);

// --- training -------------------------------------------------------------------------------
// The same training run as the native `seqmatch-train` binary (native/src/train/run.h): the
// config is the JSON documented in docs/TRAINING.md. Both front ends call trainer_step until
// trainer_finished, then trainer_finish, so the same config gives the same curve.
class Trainer;

// Parses and validates the config ("config <origin>: ..." errors name the field), builds the
// model, loads the prepared data. Holds an exclusive lock on out_dir until trainer_free
// ("out_dir ...: in use by another training (pid ...)" if taken).
Trainer* trainer_create(const std::string& config_json, const std::string& origin);
// "" = fresh; a checkpoint directory; or "latest" (<out_dir>/checkpoints/latest).
// allow_changes: comma-separated config fields that may differ from the checkpoint's
// ("resume: ..." error listing the differences otherwise; docs/TRAINING.md "Resuming").
void trainer_resume(Trainer* trainer, const std::string& from, const std::string& allow_changes);
bool trainer_finished(Trainer* trainer);
int64_t trainer_steps_done(Trainer* trainer);
int64_t trainer_max_steps(Trainer* trainer);
// One update (+ validation / checkpoint when due). One-line JSON:
// {"train": {step, lr, loss, bc, sm, sm_phi, sm_v, sm_r2, mean_r, mean_v, ...}, "eval": {...}?,
//  "checkpoint": dir?}; the same lines are appended to <out_dir>/metrics.jsonl.
std::string trainer_step(Trainer* trainer);
// Final validation and checkpoint; writes <out_dir>/final (a plain model directory).
std::string trainer_finish(Trainer* trainer);
// Mean validation NLL per token now (NaN without validation data).
double trainer_evaluate(Trainer* trainer);
void trainer_free(Trainer* trainer);
// Data parallel (docs/TRAINING.md "Data parallel"; ranks from torchrun's environment): this
// process's rank (only rank 0 writes out_dir) and the number of ranks (1 when alone).
int64_t trainer_rank(Trainer* trainer);
int64_t trainer_world_size(Trainer* trainer);
// `--nproc N`: runs the command argv_json (a JSON array of strings, the first an executable path)
// as N local ranks with torchrun's environment and supervises them (native/src/train/launcher.h).
// Returns the job's exit code (0 when every rank exits 0).
int train_launch_local(const std::string& argv_json, int nproc);

// --- distribution matching (objective gdc++ / dpg; docs/TRAINING.md "Distribution matching") ---
// Each step draws sequences from the proposal q and scores them with the configured constraints.
// The native core scores word and regex constraints on byte-tokenizer text; a front end that
// scores other constraints (onnx, external: its own Scorer) or decodes with its own tokenizer
// calls, before each trainer_step: trainer_gdc_draw, reads the samples, then
// trainer_gdc_set_scores for each such constraint and trainer_gdc_set_texts. trainer_step then
// uses exactly those samples. Calls on a trainer of another objective throw.
// The constraints as configured: a JSON array of the "gdc.constraints" entries.
std::string trainer_gdc_constraints(Trainer* trainer);
// Draws this step's samples (idempotent until the step runs); returns their number.
int64_t trainer_gdc_draw(Trainer* trainer);
// Generated token ids of sample i (no start token; ends with <eos> when the sample ended there).
int64_t trainer_gdc_sample_size(Trainer* trainer, int64_t i);
void trainer_gdc_sample(Trainer* trainer, int64_t i, int64_t* out);
// scores[n], n = the number drawn, each in [0, 1], for the constraint named `constraint`.
void trainer_gdc_set_scores(Trainer* trainer, const std::string& constraint, const double* scores, int64_t n);
// The samples' texts as a JSON array of strings (one per sample), for the native word/regex scorers.
void trainer_gdc_set_texts(Trainer* trainer, const std::string& texts_json);

}  // namespace api
}  // namespace seqmatch
