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
// A token id of -1 means "this model has no such token".
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

// A GPT-2 model living on one device ("cpu", "cuda", "cuda:1").
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
// Loads a checkpoint directory (config.json + model.safetensors): ours or Hugging Face GPT-2's.
Model* model_load(const std::string& dir, const std::string& device);
// Writes config.json + model.safetensors atomically: a crash leaves the old directory intact.
void model_save(Model* model, const std::string& dir);
void model_free(Model* model);

ModelSpec model_spec(Model* model);
int64_t model_num_parameters(Model* model);
std::string model_device(Model* model);
// One-line JSON describing the model (spec, parameter count, device, dtype).
std::string model_describe(Model* model);
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

}  // namespace api
}  // namespace seqmatch
