// Llama/Qwen2 against an independent implementation, and their checkpoint formats.
// fixtures/llama-tiny-a (Llama, GQA 4/2, untied head) and fixtures/qwen2-tiny (q/k/v biases, tied,
// θ = 1e6) hold random models with float32 logits and greedy continuations computed by a
// line-by-line re-implementation of transformers' LlamaForCausalLM (EXPECTED.json says how).
// Also: bf16 and sharded weight files, save → load with HF names, add_tokens on an untied head,
// one-line errors for unsupported configs, and the api facade's config-text constructor.
// Run: ctest -R test_llama
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "model/checkpoint.h"
#include "model/family.h"
#include "model/llama.h"
#include "model/safetensors.h"
#include "sample/sampler.h"
#include "seqmatch/api.h"
#include "test_util.h"

namespace sm = seqmatch::model;
namespace ss = seqmatch::sample;
namespace fs = std::filesystem;
using seqmatch::testing::error_of;
using seqmatch::testing::temp_dir;

namespace {

const std::string kFixtures = SEQMATCH_FIXTURES_DIR;

torch::Tensor positions_like(const torch::Tensor& ids) {
  return torch::arange(ids.size(1), torch::kLong).unsqueeze(0).expand_as(ids).contiguous();
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

void write_json(const fs::path& p, const nlohmann::json& j) { std::ofstream(p) << j.dump(2); }

// A copy of a fixture directory to edit.
fs::path copy_fixture(const std::string& name, const std::string& tag) {
  auto dir = temp_dir(tag) / name;
  fs::copy(kFixtures + "/" + name, dir, fs::copy_options::recursive);
  return dir;
}

class LlamaFixture : public ::testing::TestWithParam<std::string> {
 protected:
  std::string dir() const { return kFixtures + "/" + GetParam(); }
};

}  // namespace

TEST_P(LlamaFixture, LogitsMatchTheReference) {
  auto ckpt = sm::load_checkpoint(dir(), torch::kCPU);
  EXPECT_EQ(ckpt.model->family(), GetParam().substr(0, GetParam().find('-')));
  auto expected = sm::read_safetensors(dir() + "/expected.safetensors");
  auto ids = expected.at("input_ids"), want = expected.at("logits");  // (2, 12), (2, 12, V)
  torch::NoGradGuard no_grad;
  auto got = ckpt.model->forward(ids, positions_like(ids));  // causal fast path
  ASSERT_EQ(got.sizes(), want.sizes());
  const double diff = max_abs_diff(got, want);
  EXPECT_LE(diff, 1e-4);
  // The explicit-mask path (backspace packing) must agree too.
  const auto B = ids.size(0), T = ids.size(1);
  auto causal = torch::ones({T, T}, torch::kBool).tril().unsqueeze(0).expand({B, T, T});
  EXPECT_LE(max_abs_diff(ckpt.model->forward(ids, positions_like(ids), causal), want), 1e-4);
  std::cout << "[" << GetParam() << "] max |logits - reference| = " << diff << "\n";
}

// Through the batched backspace-aware decoder (KV cache, greedy, <bkspc> off): the 20 new tokens.
TEST_P(LlamaFixture, GreedyDecoderMatchesTheReference) {
  auto ckpt = sm::load_checkpoint(dir(), torch::kCPU);
  auto expected = sm::read_safetensors(dir() + "/expected.safetensors");
  auto prompt = expected.at("prompt_ids"), want = expected.at("greedy_ids");  // (2, 5), (2, 20)
  ss::SamplingOptions o;
  o.greedy = true;
  o.allow_backspace = false;
  o.max_new_tokens = want.size(1);
  sm::SpecialTokens no_stop;  // EXPECTED.json: eos is not a stop condition of the reference
  auto out = ss::generate(ckpt.model, no_stop, seqmatch::testing::rows_of(prompt), o);
  const auto w = seqmatch::testing::rows_of(want);
  for (int64_t b = 0; b < prompt.size(0); ++b) {
    std::vector<int64_t> got(out[b].tokens.begin() + out[b].prompt_length, out[b].tokens.end());
    EXPECT_EQ(got, w[size_t(b)]) << "row " << b;
  }
}

// Weights stored as BF16 (converted here from the fixture) load into float32 and match the
// reference within bf16's rounding of the weights; kept as bf16 they give the same logits.
TEST_P(LlamaFixture, Bf16WeightsLoadWithinBf16Tolerance) {
  auto d = copy_fixture(GetParam(), "bf16");
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (auto& [name, t] : sm::read_safetensors((d / "model.safetensors").string()))
    tensors.emplace_back(name, t.to(torch::kBFloat16));
  sm::write_safetensors((d / "model.safetensors").string(), tensors);
  auto expected = sm::read_safetensors(dir() + "/expected.safetensors");
  auto ids = expected.at("input_ids"), want = expected.at("logits");
  torch::NoGradGuard no_grad;
  auto f32 = sm::load_checkpoint(d.string(), torch::kCPU);
  auto bf16 = sm::load_checkpoint(d.string(), torch::kCPU, torch::kBFloat16);
  EXPECT_EQ(bf16.model->head_weight().scalar_type(), torch::kBFloat16);
  auto got = f32.model->forward(ids, positions_like(ids));
  auto got_bf16 = bf16.model->forward(ids, positions_like(ids));
  EXPECT_EQ(got_bf16.scalar_type(), torch::kFloat) << "CPU computes in float32";
  // bf16 keeps 8 mantissa bits: weights move by ≤ 2^-9 relative; over 2 layers the logits
  // (|logits| ~ 1) move by a few 1e-2 at most. Loading bf16 into float32 is exact, so both agree.
  const double tol = 5e-2;
  EXPECT_LE(max_abs_diff(got, want), tol);
  EXPECT_LE(max_abs_diff(got_bf16, got), 1e-5);
  EXPECT_GT(max_abs_diff(got, want), 0.0) << "the bf16 copy must actually differ from float32";
  std::cout << "[" << GetParam() << " bf16] max |logits - float32 reference| = " << max_abs_diff(got, want) << "\n";
}

// A 2-shard split with model.safetensors.index.json loads the same tensors.
TEST_P(LlamaFixture, ShardedWeightsLoadIdentically) {
  auto d = copy_fixture(GetParam(), "shards");
  auto all = sm::read_safetensors((d / "model.safetensors").string());
  std::vector<std::pair<std::string, torch::Tensor>> a, b;
  nlohmann::json map = nlohmann::json::object();
  size_t i = 0;
  for (auto& [name, t] : all) {
    const bool first = i++ < all.size() / 2;
    (first ? a : b).emplace_back(name, t);
    map[name] = first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
  }
  sm::write_safetensors((d / "model-00001-of-00002.safetensors").string(), a);
  sm::write_safetensors((d / "model-00002-of-00002.safetensors").string(), b);
  fs::remove(d / "model.safetensors");
  write_json(d / "model.safetensors.index.json", {{"metadata", {{"total_size", 0}}}, {"weight_map", map}});
  auto sharded = sm::load_checkpoint(d.string(), torch::kCPU);
  auto single = sm::load_checkpoint(dir(), torch::kCPU);
  auto x = sharded.model->named_parameters(), y = single.model->named_parameters();
  ASSERT_EQ(x.size(), y.size());
  for (const auto& p : y) EXPECT_TRUE(torch::equal(x[p.key()], p.value())) << p.key();
  // A shard the index names but that is missing is an error naming it.
  fs::remove(d / "model-00002-of-00002.safetensors");
  auto msg = error_of([&] { sm::load_checkpoint(d.string(), torch::kCPU); });
  EXPECT_NE(msg.find("model-00002-of-00002.safetensors"), std::string::npos) << msg;
}

// Save → load: HF key names and config fields, bit-exact weights, carried tokenizer files.
TEST_P(LlamaFixture, SaveLoadRoundTripKeepsHfNamesAndFiles) {
  auto d = copy_fixture(GetParam(), "roundtrip");
  const std::string tokenizer_config = R"({"chat_template": "{% for m in messages %}{{ m.content }}{% endfor %}"})";
  std::ofstream(d / "tokenizer_config.json") << tokenizer_config;
  auto ckpt = sm::load_checkpoint(d.string(), torch::kCPU);
  auto out = temp_dir("roundtrip-out") / "saved";
  sm::save_checkpoint(ckpt.model, ckpt.config, out.string());
  // The names are exactly the reference's (transformers' state-dict keys).
  auto ours = sm::read_safetensors((out / "model.safetensors").string());
  auto theirs = sm::read_safetensors(dir() + "/model.safetensors");
  ASSERT_EQ(ours.size(), theirs.size());
  for (const auto& [name, t] : theirs) {
    ASSERT_TRUE(ours.count(name)) << name;
    EXPECT_TRUE(torch::equal(ours.at(name), t)) << name;
  }
  auto saved = read_json(out / "config.json"), original = read_json(d / "config.json");
  for (const char* k : {"model_type", "hidden_size", "intermediate_size", "num_hidden_layers",
                        "num_attention_heads", "num_key_value_heads", "rms_norm_eps", "rope_theta",
                        "tie_word_embeddings", "vocab_size", "max_position_embeddings", "architectures"})
    EXPECT_EQ(saved[k], original[k]) << k;
  EXPECT_EQ(saved["hidden_act"], "silu");
  std::ifstream tc(out / "tokenizer_config.json");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(tc), {}), tokenizer_config);
  EXPECT_TRUE(fs::exists(out / "generation_config.json"));
  auto again = sm::load_checkpoint(out.string(), torch::kCPU);
  auto ids = torch::randint(again.config.vocab_size(), {2, 7}, torch::kLong);
  torch::NoGradGuard no_grad;
  const auto pos = positions_like(ids);
  EXPECT_TRUE(torch::equal(ckpt.model->forward(ids, pos), again.model->forward(ids, pos)));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, LlamaFixture, ::testing::Values("llama-tiny-a", "qwen2-tiny"),
                         [](const auto& info) { return info.param.substr(0, info.param.find('-')); });

TEST(Llama, ParameterNamesAreTransformersKeys) {
  sm::LlamaOptions o;
  o.vocab_size = 10, o.hidden_size = 8, o.intermediate_size = 12, o.num_hidden_layers = 1;
  o.num_attention_heads = 2, o.num_key_value_heads = 1, o.attention_bias = true, o.mlp_bias = true;
  sm::Llama m(o);
  std::set<std::string> names;
  for (const auto& p : m->named_parameters()) names.insert(p.key());
  const std::set<std::string> want = {
      "model.embed_tokens.weight", "model.norm.weight", "lm_head.weight",
      "model.layers.0.input_layernorm.weight", "model.layers.0.post_attention_layernorm.weight",
      "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.q_proj.bias",
      "model.layers.0.self_attn.k_proj.weight", "model.layers.0.self_attn.k_proj.bias",
      "model.layers.0.self_attn.v_proj.weight", "model.layers.0.self_attn.v_proj.bias",
      "model.layers.0.self_attn.o_proj.weight", "model.layers.0.self_attn.o_proj.bias",
      "model.layers.0.mlp.gate_proj.weight", "model.layers.0.mlp.gate_proj.bias",
      "model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.up_proj.bias",
      "model.layers.0.mlp.down_proj.weight", "model.layers.0.mlp.down_proj.bias"};
  EXPECT_EQ(names, want);
  // GQA: k/v project to K·D = 4 dims, the cache holds K = 1 head.
  EXPECT_EQ(m->model->layers[0]->as<sm::LlamaDecoderLayer>()->self_attn->k_proj->weight.sizes(),
            (std::vector<int64_t>{4, 8}));
  auto cache = m->make_cache(3, 5);
  EXPECT_EQ(cache->layer(0).k.sizes(), (std::vector<int64_t>{3, 1, 5, 4}));
}

TEST(Llama, AddTokensGrowsEmbeddingAndUntiedHeadWithMeanRows) {
  auto ckpt = sm::load_checkpoint(kFixtures + "/llama-tiny-a", torch::kCPU);
  auto& m = ckpt.model;
  auto llama = std::dynamic_pointer_cast<sm::LlamaImpl>(m);
  ASSERT_TRUE(llama);
  auto emb_mean = llama->model->embed_tokens->weight.mean(0).clone();
  auto head_mean = llama->head_weight().mean(0).clone();
  auto ids = torch::randint(512, {2, 6}, torch::kLong);
  torch::NoGradGuard no_grad;
  auto before = m->forward(ids, positions_like(ids));
  m->add_tokens(2);
  EXPECT_EQ(m->vocab_size(), 514);
  EXPECT_EQ(llama->model->embed_tokens->weight.size(0), 514);
  EXPECT_EQ(llama->head_weight().size(0), 514);
  EXPECT_TRUE(torch::allclose(llama->model->embed_tokens->weight[513], emb_mean));
  EXPECT_TRUE(torch::allclose(llama->head_weight()[512], head_mean));
  EXPECT_FALSE(torch::allclose(emb_mean, head_mean)) << "untied: two different matrices";
  auto after = m->forward(ids, positions_like(ids));  // (2, 6, 514)
  EXPECT_LE(max_abs_diff(after.narrow(2, 0, 512), before), 1e-6);
  // The grown head is saved under lm_head.weight and loads back.
  sm::sync_config(m, ckpt.config);
  auto out = temp_dir("add-tokens") / "ckpt";
  sm::save_checkpoint(m, ckpt.config, out.string());
  auto again = sm::load_checkpoint(out.string(), torch::kCPU);
  EXPECT_EQ(again.model->vocab_size(), 514);
  EXPECT_TRUE(torch::equal(again.model->head_weight(), llama->head_weight()));
}

// RoPE from explicit positions: a sequence shifted to positions p..p+T-1 must give the same
// logits as at 0..T-1 only through relative offsets, i.e. attention is translation invariant.
TEST(Llama, RopeDependsOnlyOnRelativePositions) {
  auto ckpt = sm::load_checkpoint(kFixtures + "/llama-tiny-a", torch::kCPU);
  auto ids = torch::randint(512, {1, 9}, torch::kLong);
  torch::NoGradGuard no_grad;
  auto at0 = ckpt.model->forward(ids, positions_like(ids));
  auto at40 = ckpt.model->forward(ids, positions_like(ids) + 40);
  EXPECT_LE(max_abs_diff(at0, at40), 1e-4);
  // llama3 scaling keeps high frequencies and slows low ones by `factor`; linear slows all.
  sm::RopeScaling none, linear, llama3;
  linear.type = "linear", linear.factor = 4;
  llama3.type = "llama3", llama3.factor = 8, llama3.low_freq_factor = 1, llama3.high_freq_factor = 4;
  llama3.original_max_position_embeddings = 64;
  auto f = sm::rope_inv_freq(64, 500000.0, none), fl = sm::rope_inv_freq(64, 500000.0, linear);
  auto f3 = sm::rope_inv_freq(64, 500000.0, llama3);
  EXPECT_TRUE(torch::allclose(fl, f / 4));
  EXPECT_FLOAT_EQ(f3[0].item<float>(), f[0].item<float>());      // wavelength 2π < 64/4: kept
  EXPECT_FLOAT_EQ(f3[31].item<float>(), f[31].item<float>() / 8);  // wavelength ≫ 64: slowed
}

TEST(Llama, BadConfigsAreOneLineErrorsNamingFileAndField) {
  auto d = copy_fixture("llama-tiny-a", "bad-config");
  const auto good = read_json(d / "config.json");
  const std::string path = (d / "config.json").string();
  auto expect = [&](const nlohmann::json& patch, const std::string& needle) {
    auto j = good;
    j.merge_patch(patch);
    write_json(d / "config.json", j);
    auto msg = error_of([&] { sm::load_checkpoint(d.string(), torch::kCPU); });
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find(needle), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  };
  expect({{"rope_scaling", {{"rope_type", "yarn"}, {"factor", 4.0}}}}, "rope_scaling.rope_type");
  expect({{"rope_scaling", {{"type", "dynamic"}, {"factor", 2.0}}}}, "rope_scaling.type");
  expect({{"rope_scaling", {{"rope_type", "llama3"}, {"factor", 8.0}}}}, "rope_scaling.low_freq_factor");
  expect({{"hidden_act", "gelu"}}, "hidden_act");
  expect({{"model_type", "mistral"}}, "model_type");
  expect({{"num_key_value_heads", 3}}, "num_key_value_heads");
  expect({{"hidden_size", nullptr}}, "hidden_size");
  expect({{"tie_word_embeddings", "yes"}}, "tie_word_embeddings");
  expect({{"vocab_size", 600}}, "vocab_size");  // does not match the weights
  auto q = copy_fixture("qwen2-tiny", "bad-qwen");
  auto j = read_json(q / "config.json");
  j["use_sliding_window"] = true;
  write_json(q / "config.json", j);
  auto msg = error_of([&] { sm::load_checkpoint(q.string(), torch::kCPU); });
  EXPECT_NE(msg.find("use_sliding_window"), std::string::npos) << msg;
  EXPECT_NE(msg.find((q / "config.json").string()), std::string::npos) << msg;
}

// The api facade (what Java calls) creates and describes any family from config.json text.
TEST(Llama, ApiCreatesFromConfigTextAndReturnsIt) {
  namespace api = seqmatch::api;
  std::ifstream in(kFixtures + "/qwen2-tiny/config.json");
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  api::Model* m = api::model_create_from_config(text, 7, "cpu");
  auto config = nlohmann::json::parse(api::model_config_json(m));
  EXPECT_EQ(config["model_type"], "qwen2");
  EXPECT_EQ(config["num_key_value_heads"], 2);
  EXPECT_EQ(config["tie_word_embeddings"], true);
  EXPECT_EQ(nlohmann::json::parse(api::model_describe(m))["architecture"], "qwen2");
  EXPECT_EQ(api::model_spec(m).vocab_size, 600);
  EXPECT_EQ(api::model_add_tokens(m, 1), 600);
  EXPECT_EQ(nlohmann::json::parse(api::model_config_json(m))["vocab_size"], 601);
  // A KV cache and a cached forward through the facade.
  api::KVCache* cache = api::kv_cache_create(m, 1, 8);
  const int64_t ids[3] = {1, 2, 3}, pos[3] = {0, 1, 2};
  std::vector<float> logits(3 * 601), full(3 * 601);
  api::model_forward_cached(m, cache, ids, pos, nullptr, 1, 3, logits.data());
  api::model_forward(m, ids, pos, nullptr, 1, 3, full.data());
  for (size_t i = 0; i < logits.size(); ++i) ASSERT_NEAR(logits[i], full[i], 1e-5) << i;
  api::kv_cache_free(cache);
  api::model_free(m);
  try {
    api::model_create_from_config(R"({"model_type": "llama", "vocab_size": 10})", 0, "cpu");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("model config: missing field 'hidden_size'"), std::string::npos) << e.what();
  }
}
