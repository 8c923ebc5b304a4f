// The model and KV-cache half of the facade behind include/seqmatch/api.h: validates raw inputs on the host, converts them
// to tensors, calls the core, and turns every libtorch error into a std::runtime_error with a
// one-line message (no C++ backtrace) that JavaCPP rethrows as a Java RuntimeException.
#include "seqmatch/api.h"

#include <torch/torch.h>
#include <torch/version.h>  // provides: TORCH_VERSION
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "api/handles.h"
#include "model/checkpoint.h"
#include "model/family.h"
#include "util/check.h"

namespace seqmatch {
namespace api {

torch::Device parse_device(const std::string& device) {
  torch::Device d(device.empty() ? std::string("cpu") : device);  // throws on a bad string
  SM_CHECK(!d.is_cuda() || torch::cuda::is_available(), "device ", device,
           ": CUDA is not available in this build or on this machine. Hint: use --device cpu");
  return d;
}

namespace {

ModelSpec to_spec(const model::ModelConfig& c) {
  ModelSpec s;
  s.vocab_size = c.vocab_size();
  s.n_positions = c.max_positions();
  s.n_embd = c.hidden_size();
  s.n_layer = c.n_layer();
  s.n_head = c.n_head();
  s.layer_norm_epsilon = c.norm_epsilon();
  s.bos_token_id = c.tokens.bos;
  s.eos_token_id = c.tokens.eos;
  s.pad_token_id = c.tokens.pad;
  s.bkspc_token_id = c.tokens.bkspc;
  return s;
}

// ids must index the vocabulary and positions the position table: checked on the host so a
// bad id is a clear error instead of an out-of-bounds gather.
void check_ids_pos(const model::ModelConfig& c, const int64_t* ids, const int64_t* pos, int64_t n) {
  SM_CHECK(ids != nullptr && pos != nullptr, "forward: ids and positions must not be null");
  for (int64_t i = 0; i < n; ++i) {
    SM_CHECK(ids[i] >= 0 && ids[i] < c.vocab_size(), "forward: token id ", ids[i],
             " at index ", i, " is outside the vocabulary (size ", c.vocab_size(), ")");
    SM_CHECK(pos[i] >= 0 && pos[i] < c.max_positions(), "forward: position ", pos[i],
             " at index ", i, " is outside 0..", c.max_positions() - 1,
             ". Hint: the model's n_positions limits the sequence length");
  }
}

torch::Tensor from_host(const int64_t* data, int64_t B, int64_t T, const torch::Device& d) {
  return torch::from_blob(const_cast<int64_t*>(data), {B, T}, torch::kLong).to(d, /*non_blocking=*/false, /*copy=*/true);
}

void to_host(const torch::Tensor& logits, float* out) {
  auto c = logits.to(torch::kCPU, torch::kFloat).contiguous();
  std::memcpy(out, c.data_ptr<float>(), sizeof(float) * size_t(c.numel()));
}

}  // namespace

std::string runtime_info() {
  return guarded([] {
    nlohmann::json j;
    j["seqmatch"] = SEQMATCH_VERSION;
    j["libtorch"] = TORCH_VERSION;
    j["cuda_available"] = torch::cuda::is_available();
    j["cuda_devices"] = torch::cuda::device_count();
    j["sdpa"] = TORCH_VERSION_MAJOR >= 2;
    j["threads"] = at::get_num_threads();
    return j.dump();
  });
}

bool cuda_available() { return torch::cuda::is_available(); }

void manual_seed(int64_t seed) {
  guarded([&] { torch::manual_seed(static_cast<uint64_t>(seed)); });
}

int64_t resident_set_bytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<int64_t>(::sysconf(_SC_PAGESIZE));
}

Model* model_create(const ModelSpec& spec, int64_t seed, const std::string& device) {
  return guarded([&] {
    auto m = std::make_unique<Model>();
    m->device = parse_device(device);
    m->config.gpt2.vocab_size(spec.vocab_size).n_positions(spec.n_positions).n_embd(spec.n_embd)
        .n_layer(spec.n_layer).n_head(spec.n_head).layer_norm_epsilon(spec.layer_norm_epsilon);
    m->config.tokens = {spec.bos_token_id, spec.eos_token_id, spec.pad_token_id, spec.bkspc_token_id};
    model::check_sizes(m->config.gpt2, "invalid model config", "");
    model::validate_tokens(m->config.tokens, spec.vocab_size);
    torch::manual_seed(static_cast<uint64_t>(seed));
    m->lm = model::make_model(m->config);
    m->lm->to(m->device);
    m->lm->eval();
    return m.release();
  });
}

Model* model_create_from_config(const std::string& config_json, int64_t seed, const std::string& device) {
  return guarded([&] {
    auto j = nlohmann::json::parse(config_json, nullptr, /*allow_exceptions=*/false);
    SM_CHECK(!j.is_discarded(), "model config: not valid JSON");
    auto m = std::make_unique<Model>();
    m->device = parse_device(device);
    m->config = model::parse_config(j, "model config");
    torch::manual_seed(static_cast<uint64_t>(seed));
    m->lm = model::make_model(m->config);
    m->lm->to(m->device);
    m->lm->eval();
    return m.release();
  });
}

std::string model_config_json(Model* model) {
  return guarded([&] {
    auto c = check_model(model)->config;
    model::sync_config(model->lm, c);
    for (const auto& p : model->lm->parameters()) c.torch_dtype = model::dtype_name(p.scalar_type());
    return model::config_to_json(c);
  });
}

Model* model_load(const std::string& dir, const std::string& device) {
  return guarded([&] {
    auto m = std::make_unique<Model>();
    m->device = parse_device(device);
    auto ckpt = model::load_checkpoint(dir, m->device);
    m->lm = ckpt.model;
    m->config = ckpt.config;
    return m.release();
  });
}

void model_save(Model* model, const std::string& dir) {
  guarded([&] { model::save_checkpoint(check_model(model)->lm, model->config, dir); });
}

void model_free(Model* model) { delete model; }

ModelSpec model_spec(Model* model) {
  return guarded([&] { return to_spec(check_model(model)->config); });
}

int64_t model_num_parameters(Model* model) {
  return guarded([&] {
    int64_t n = 0;
    for (const auto& p : check_model(model)->lm->parameters()) n += p.numel();
    return n;
  });
}

std::string model_device(Model* model) {
  return guarded([&] { return check_model(model)->device.str(); });
}

std::string model_describe(Model* model) {
  return guarded([&] {
    const auto s = to_spec(check_model(model)->config);
    nlohmann::json j;
    j["architecture"] = model->lm->family();
    j["vocab_size"] = s.vocab_size;
    j["n_positions"] = s.n_positions;
    j["n_embd"] = s.n_embd;
    j["n_layer"] = s.n_layer;
    j["n_head"] = s.n_head;
    j["layer_norm_epsilon"] = s.layer_norm_epsilon;
    j["parameters"] = model_num_parameters(model);
    j["device"] = model->device.str();
    j["dtype"] = model::dtype_name(model->lm->head_weight().scalar_type());
    auto token = [](int64_t id) { return id < 0 ? nlohmann::json(nullptr) : nlohmann::json(id); };
    j["special_tokens"] = {{"bos", token(s.bos_token_id)}, {"eos", token(s.eos_token_id)},
                           {"pad", token(s.pad_token_id)}, {"bkspc", token(s.bkspc_token_id)}};
    return j.dump();
  });
}

int64_t model_add_tokens(Model* model, int64_t n) {
  return guarded([&] {
    const int64_t first = check_model(model)->config.vocab_size();
    model->lm->add_tokens(n);
    model::sync_config(model->lm, model->config);
    return first;
  });
}

void model_set_special_tokens(Model* model, int64_t bos, int64_t eos, int64_t pad, int64_t bkspc) {
  guarded([&] {
    model::SpecialTokens t{bos, eos, pad, bkspc};
    model::validate_tokens(t, check_model(model)->config.vocab_size());
    model->config.tokens = t;
  });
}

void model_forward(Model* model, const int64_t* ids, const int64_t* pos, const uint8_t* mask,
                   int64_t B, int64_t T, float* logits_out) {
  guarded([&] {
    check_model(model);
    SM_CHECK(B > 0 && T > 0, "forward: batch and length must be positive (got B=", B, ", T=", T, ")");
    SM_CHECK(logits_out != nullptr, "forward: logits output buffer is null");
    check_ids_pos(model->config, ids, pos, B * T);
    torch::NoGradGuard no_grad;
    torch::Tensor m;
    if (mask != nullptr) {
      m = torch::from_blob(const_cast<uint8_t*>(mask), {B, T, T}, torch::kUInt8)
              .to(model->device, torch::kBool);  // (B, T, T)
    }
    auto logits = model->lm->forward(from_host(ids, B, T, model->device),
                                       from_host(pos, B, T, model->device), m);  // (B, T, V)
    to_host(logits, logits_out);
  });
}

KVCache* kv_cache_create(Model* model, int64_t B, int64_t capacity) {
  return guarded([&] {
    const int64_t n_positions = check_model(model)->lm->max_positions();
    SM_CHECK(capacity <= n_positions, "kv cache: capacity ", capacity,
             " exceeds the model's n_positions ", n_positions);
    auto c = std::make_unique<KVCache>();
    c->owner = model;
    c->cache = model->lm->make_cache(B, capacity);
    return c.release();
  });
}

void kv_cache_free(KVCache* cache) { delete cache; }

static KVCache* check_cache(KVCache* c) {
  SM_CHECK(c != nullptr && c->cache, "kv cache: null or closed handle");
  return c;
}

int64_t kv_cache_rows(KVCache* cache) {
  return guarded([&] { return check_cache(cache)->cache->rows(); });
}

int64_t kv_cache_capacity(KVCache* cache) {
  return guarded([&] { return check_cache(cache)->cache->capacity(); });
}

void kv_cache_lengths(KVCache* cache, int64_t* lengths_out) {
  guarded([&] {
    const auto& l = check_cache(cache)->cache->lengths();
    std::copy(l.begin(), l.end(), lengths_out);
  });
}

void kv_cache_truncate(KVCache* cache, int64_t row, int64_t length) {
  guarded([&] { check_cache(cache)->cache->truncate(row, length); });
}

void model_forward_cached(Model* model, KVCache* cache, const int64_t* ids, const int64_t* pos,
                          const int64_t* n_valid, int64_t B, int64_t T, float* logits_out) {
  guarded([&] {
    check_model(model);
    check_cache(cache);
    SM_CHECK(cache->owner == model, "forward_cached: the cache belongs to another model");
    SM_CHECK(B == cache->cache->rows() && T > 0, "forward_cached: got B=", B, ", T=", T,
             " for a cache of ", cache->cache->rows(), " rows");
    SM_CHECK(logits_out != nullptr, "forward_cached: logits output buffer is null");
    check_ids_pos(model->config, ids, pos, B * T);
    std::vector<int64_t> valid(B, T);
    if (n_valid != nullptr) {
      for (int64_t b = 0; b < B; ++b) {
        SM_CHECK(n_valid[b] >= 0 && n_valid[b] <= T, "forward_cached: n_valid[", b, "]=",
                 n_valid[b], " outside 0..", T);
        valid[b] = n_valid[b];
      }
    }
    torch::NoGradGuard no_grad;
    auto logits = model->lm->forward_cached(from_host(ids, B, T, model->device),
                                              from_host(pos, B, T, model->device),
                                              *cache->cache, valid);  // (B, T, V)
    to_host(logits, logits_out);
  });
}

}  // namespace api
}  // namespace seqmatch
