// LoRA and PEFT adapters, checked against independent computations:
//  - a LoRA run (SequenceMatch with rollouts, MLE, EMO) leaves every base tensor byte-identical
//    (the bytes model.safetensors holds), trains only the adapters and the <bkspc> rows;
//  - merged == unmerged == base weights + (α/r)·B·A formed by hand in float64 (≤ 1e-5 logits);
//  - the adapter files have exactly PEFT's key names, shapes and config fields;
//  - resume with LoRA (dropout on) is bit-exact;
//  - a PEFT-layout adapter written by hand (random A, B) loads and matches the hand forward;
//  - bad adapter directories give one-line errors naming the file and the field.
// Every test runs over every model family (Family below): GPT-2 (Conv1D layout, tied head), Llama
// (GQA, untied head) and Qwen2 (q/k/v biases, tied head), from tiny_models.h.
// Run: ctest -R test_lora
#include <gtest/gtest.h>

#include "counting_data.h"
#include "test_util.h"
#include "tiny_models.h"

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "loss/head.h"
#include "model/checkpoint.h"
#include "model/lora.h"
#include "model/merge.h"
#include "model/peft_io.h"
#include "model/safetensors.h"
#include "train/trainer.h"

namespace sm = seqmatch::model;
namespace sd = seqmatch::data;
namespace st = seqmatch::train;
namespace fs = std::filesystem;
using seqmatch::testing::error_of;
using seqmatch::testing::temp_dir;

namespace {

constexpr int64_t kEos = 16, kBaseVocab = 17;  // digits 0..15, <eos>; the base has no <bkspc>

// A model family under test: how to write a small random base checkpoint (without <bkspc>, as a
// Hugging Face base has none), the targets, and the PEFT name of layer 0's first target.
struct Family {
  std::string name;
  std::function<void(const fs::path&)> write_base;
  std::vector<std::string> targets;
  std::string first_key;                   // PEFT module name of the first target, layer 0
  std::vector<std::string> expected_keys;  // every key adapter_model.safetensors must hold
  nlohmann::json token_indices;            // adapter_config.json's trainable_token_indices
};

// A tiny random base of `family` (tiny_models.h) without <bkspc>, as a Hugging Face base has none.
void write_base(const std::string& family, const fs::path& dir) {
  auto c = sm::parse_config(seqmatch::testing::tiny_config(family, kBaseVocab, 32), "base");
  c.tokens.eos = kEos;
  sm::save_checkpoint(seqmatch::testing::tiny_model(family, kBaseVocab, 32, 11), c, dir.string());
}

std::vector<std::string> gpt2_keys() {
  std::vector<std::string> keys;
  for (int l = 0; l < 2; ++l) {
    for (const std::string m : {"attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"}) {
      for (const std::string ab : {"lora_A", "lora_B"})
        keys.push_back("base_model.model.transformer.h." + std::to_string(l) + "." + m + "." + ab + ".weight");
    }
  }
  keys.push_back("base_model.model.transformer.wte.token_adapter.trainable_tokens_delta");
  std::sort(keys.begin(), keys.end());
  return keys;
}

// PEFT keys of a Llama-style model (HF names "model.layers.N...."), its token rows on `row_modules`.
std::vector<std::string> llama_keys(const std::vector<std::string>& row_modules) {
  std::vector<std::string> keys;
  for (int l = 0; l < 2; ++l) {
    for (const std::string m : {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                                "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"}) {
      for (const std::string ab : {"lora_A", "lora_B"})
        keys.push_back("base_model.model.model.layers." + std::to_string(l) + "." + m + "." + ab + ".weight");
    }
  }
  for (const auto& m : row_modules) keys.push_back("base_model.model." + m + ".token_adapter.trainable_tokens_delta");
  std::sort(keys.begin(), keys.end());
  return keys;
}

const std::vector<std::string> kLlamaTargets = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};

std::vector<Family> families() {
  return {
      {"gpt2", [](const fs::path& d) { write_base("gpt2", d); }, {"c_attn", "c_proj", "c_fc"},
       "transformer.h.0.attn.c_attn", gpt2_keys(), {{"wte", {kBaseVocab}}}},
      // Llama: GQA, untied head (both vocabulary matrices get the <bkspc> row); Qwen2: q/k/v biases, tied head.
      {"llama", [](const fs::path& d) { write_base("llama", d); }, kLlamaTargets, "model.layers.0.self_attn.q_proj",
       llama_keys({"model.embed_tokens", "lm_head"}), {{"embed_tokens", {kBaseVocab}}, {"lm_head", {kBaseVocab}}}},
      {"qwen2", [](const fs::path& d) { write_base("qwen2", d); }, kLlamaTargets, "model.layers.0.self_attn.q_proj",
       llama_keys({"model.embed_tokens"}), {{"embed_tokens", {kBaseVocab}}}},
  };
}

st::TrainConfig lora_config(const Family& f, const fs::path& dir, const std::string& objective) {
  f.write_base(dir / "base");
  auto c = seqmatch::testing::counting_run(dir, objective, kEos);
  c.init = (dir / "base").string();
  c.warmup_bc_steps = 2;
  c.batch_size = 4;
  c.lr = 1e-2;  // B starts at zero: a larger step shows the adapters moving within 6 steps
  c.min_lr = 1e-3;
  c.max_steps = 6;
  c.lora = {{"r", 4}, {"alpha", 8}, {"dropout", 0.0}, {"target_modules", f.targets}};
  return c;
}

// Raw bytes of every tensor of a safetensors file, by name.
std::map<std::string, std::string> tensor_bytes(const std::string& path) {
  std::map<std::string, std::string> out;
  for (const auto& [name, t] : sm::read_safetensors(path)) {
    auto c = t.contiguous();
    out[name] = std::string(static_cast<const char*>(c.data_ptr()), size_t(c.numel()) * c.element_size());
  }
  return out;
}

std::string file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

torch::Tensor logits_of(sm::DecoderLM m) {
  auto ids = torch::tensor(std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, kEos}).view({2, 8});
  auto pos = torch::arange(8, torch::kLong).unsqueeze(0).expand({2, 8});
  torch::NoGradGuard no_grad;
  m->eval();
  return m->forward(ids, pos).to(torch::kDouble);
}

// base weights + scale·B·A formed in float64 by hand, in each projection's stored layout,
// written into a fresh copy of the base (no LoRA branch).
sm::Checkpoint hand_merged(const fs::path& base, const std::map<std::string, std::pair<torch::Tensor, torch::Tensor>>& ab,
                           double scale, int64_t vocab) {
  auto c = sm::load_checkpoint(base.string(), torch::kCPU);
  if (c.model->vocab_size() < vocab) c.model->add_tokens(vocab - c.model->vocab_size());
  torch::NoGradGuard no_grad;
  for (auto& [name, p] : sm::projections(*c.model)) {
    auto it = ab.find(name);
    if (it == ab.end()) continue;
    auto A = it->second.first.to(torch::kDouble), B = it->second.second.to(torch::kDouble);
    auto w = p->weight.to(torch::kDouble);
    torch::Tensor delta = torch::zeros({p->out_features(), p->in_features()}, torch::kDouble);
    for (int64_t k = 0; k < A.size(0); ++k) delta += torch::outer(B.select(1, k), A.select(0, k));  // Σ_k b_k a_kᵀ
    p->weight.copy_((p->layout() == sm::WeightLayout::kConv1D ? w + scale * delta.t() : w + scale * delta).to(torch::kFloat));
  }
  return c;
}

double max_abs(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

void write_json(const fs::path& p, const nlohmann::json& j) { std::ofstream(p) << j.dump(2); }

// A PEFT adapter directory written by hand: the config as PEFT writes it and random A, B
// (B nonzero, so the adapter changes the model) for every projection `targets` match.
std::map<std::string, std::pair<torch::Tensor, torch::Tensor>> write_peft_adapter(
    const fs::path& base, const fs::path& dir, const std::vector<std::string>& targets, int64_t r, double alpha) {
  fs::create_directories(dir);
  write_json(dir / "adapter_config.json",
             {{"peft_type", "LORA"}, {"task_type", "CAUSAL_LM"}, {"r", r}, {"lora_alpha", alpha},
              {"lora_dropout", 0.05}, {"target_modules", targets}, {"bias", "none"}, {"fan_in_fan_out", true},
              {"base_model_name_or_path", "gpt2"}, {"modules_to_save", nullptr}, {"rank_pattern", nlohmann::json::object()},
              {"alpha_pattern", nlohmann::json::object()}, {"use_dora", false}, {"use_rslora", false},
              {"inference_mode", true}});
  auto c = sm::load_checkpoint(base.string(), torch::kCPU);
  sm::LoraConfig lc;
  lc.target_modules = targets;
  std::map<std::string, std::pair<torch::Tensor, torch::Tensor>> ab;
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  torch::manual_seed(99);
  for (auto& [name, p] : sm::lora_targets(*c.model, lc, "test")) {
    auto A = torch::randn({r, p->in_features()}) * 0.1, B = torch::randn({p->out_features(), r}) * 0.1;
    ab[name] = {A, B};
    const std::string key = "base_model.model." + sm::hf_module_name(*c.model, name);
    tensors.emplace_back(key + ".lora_A.weight", A);
    tensors.emplace_back(key + ".lora_B.weight", B);
  }
  sm::write_safetensors((dir / "adapter_model.safetensors").string(), tensors, {{"format", "pt"}});
  return ab;
}

}  // namespace

// A LoRA run changes no base byte: every tensor the base file holds is byte-identical in the
// trained model (its <bkspc> row, which the base has not, is the only new vocabulary row), the
// base file itself is untouched, only the adapters and the <bkspc> row moved, and no base
// parameter but the vocabulary matrix (for the row gradient) requires grad.
TEST(Lora, TrainingLeavesTheBaseByteIdentical) {
  for (const auto& f : families()) {
    for (const std::string objective : {"sequence_match", "mle", "emo"}) {
      auto dir = temp_dir("lora-base-" + f.name + "-" + objective);
      auto c = lora_config(f, dir, objective);
      const auto base_file = file_bytes(dir / "base" / "model.safetensors");
      const auto base = tensor_bytes((dir / "base" / "model.safetensors").string());
      st::Trainer t(c);
      const int64_t bk = t.model_config().tokens.bkspc;
      ASSERT_EQ(bk, kBaseVocab) << "the <bkspc> row is added to the base";
      auto before = t.model()->head_weight().detach().clone();
      for (int i = 0; i < c.max_steps; ++i) t.step();
      if (objective == "sequence_match") EXPECT_GT(t.replay().size(), 0) << "rollouts must have run";

      auto out = dir / "trained";
      fs::create_directories(out);
      auto m = t.model();
      sm::write_model_files(m, t.model_config(), out.string());  // base tensors; LoRA branches are not parameters
      auto after = tensor_bytes((out / "model.safetensors").string());
      for (const auto& [name, bytes] : base) {
        ASSERT_TRUE(after.count(name)) << name;
        if (after[name].size() != bytes.size()) {  // a vocabulary matrix: the <bkspc> row was appended
          EXPECT_EQ(after[name].substr(0, bytes.size()), bytes) << objective << ": the base rows of " << name << " changed";
          EXPECT_EQ(after[name].size(), bytes.size() + 32 * sizeof(float)) << "one new row";
        } else {
          EXPECT_EQ(after[name], bytes) << objective << ": base tensor " << name << " changed";
        }
      }
      EXPECT_EQ(file_bytes(dir / "base" / "model.safetensors"), base_file);
      auto w = t.model()->head_weight().detach();
      EXPECT_GT((w[bk] - before[bk]).abs().max().item<double>(), 0) << objective << ": the <bkspc> row must train";
      double b_norm = 0;
      for (auto& [name, p] : sm::projections(*t.model())) {
        if (!p->has_lora()) {  // the output head (Llama's untied lm_head) is no target
          EXPECT_EQ(name, "lm_head");
          continue;
        }
        b_norm += p->lora().B.norm().item<double>();
      }
      EXPECT_GT(b_norm, 0) << objective << ": the adapters must train";
      std::set<std::string> vocab;
      for (const auto& [module, m] : sm::vocabulary_matrices(*t.model())) {
        vocab.insert(module + ".weight");
        EXPECT_FALSE(m.grad().defined()) << "the (V, C) gradient is not kept";
      }
      for (const auto& p : t.model()->named_parameters())
        EXPECT_EQ(p.value().requires_grad(), vocab.count(p.key()) > 0) << p.key();
    }
  }
}

// The optimizer holds exactly the adapters and the <bkspc> rows (V_abs off here): no base tensor
// is in a group, and after a step AdamW's moments total 2·targets A, B plus one (1, C) row.
TEST(Lora, OptimizerStateIsAdaptersAndNewRowsOnly) {
  for (const auto& f : families()) {
    auto dir = temp_dir("lora-optim-" + f.name);
    auto c = lora_config(f, dir, "mle");
    st::Trainer t(c);
    t.step();
    std::vector<torch::Tensor> expected;
    for (auto& [name, p] : sm::projections(*t.model())) {
      if (!p->has_lora()) continue;
      expected.push_back(p->lora().A);
      expected.push_back(p->lora().B);
    }
    const int64_t n_rows = int64_t(sm::vocabulary_matrices(*t.model()).size());  // tied: 1, untied: 2
    int64_t expected_numel = 32 * n_rows;  // the <bkspc> row of each, C = 32
    for (const auto& e : expected) expected_numel += e.numel();
    int64_t in_groups = 0, rows = 0;
    for (const auto& g : t.optimizer().param_groups()) {
      for (const auto& p : g.params()) {
        in_groups += p.numel();
        bool adapter = false;
        for (const auto& e : expected) adapter = adapter || p.is_same(e);
        for (const auto& b : t.model()->parameters()) EXPECT_FALSE(p.is_same(b)) << "a base tensor is optimised";
        if (!adapter) {
          EXPECT_EQ(p.sizes().vec(), (std::vector<int64_t>{1, 32})) << "the only other tensor is the <bkspc> row";
          ++rows;
        }
      }
    }
    EXPECT_EQ(rows, n_rows);
    EXPECT_EQ(in_groups, expected_numel);
    int64_t state = 0;
    for (const auto& kv : t.optimizer().state())
      state += static_cast<const torch::optim::AdamWParamState&>(*kv.second).exp_avg().numel();
    EXPECT_EQ(state, expected_numel) << "AdamW moments cover the adapters and the new row, nothing else";
  }
}

// merged == unmerged == hand float64 merge, for an adapter written by hand in PEFT's layout, and
// the merged checkpoint directory (model_merge_adapter's path) loads to the same logits.
TEST(Lora, HandWrittenPeftAdapterMatchesTheHandForwardMergedOrNot) {
  for (const auto& f : families()) {
    auto dir = temp_dir("lora-peft-" + f.name);
    f.write_base(dir / "base");
    const int64_t r = 3;
    const double alpha = 7;
    auto ab = write_peft_adapter(dir / "base", dir / "adapter", f.targets, r, alpha);
    auto expected = hand_merged(dir / "base", ab, alpha / double(r), kBaseVocab);
    const auto want = logits_of(expected.model);

    auto unmerged = sm::load_with_adapter((dir / "base").string(), (dir / "adapter").string(), torch::kCPU, false);
    auto merged = sm::load_with_adapter((dir / "base").string(), (dir / "adapter").string(), torch::kCPU, true);
    for (auto& [name, p] : sm::projections(*merged.model)) EXPECT_FALSE(p->has_lora()) << name;
    const auto base_logits = logits_of(sm::load_checkpoint((dir / "base").string(), torch::kCPU).model);
    const auto u = logits_of(unmerged.model), m = logits_of(merged.model);
    EXPECT_GT(max_abs(base_logits, want), 1e-2) << "the adapter must change the model";
    EXPECT_LE(max_abs(u, want), 1e-5);
    EXPECT_LE(max_abs(m, want), 1e-5);
    EXPECT_LE(max_abs(u, m), 1e-5);
    std::printf("%s: max |logit diff| unmerged vs hand float64 merge %.3g, merged vs hand %.3g, unmerged vs merged %.3g "
                "(adapter effect %.3g)\n", f.name.c_str(), max_abs(u, want), max_abs(m, want), max_abs(u, m),
                max_abs(base_logits, want));

    sm::merge_adapter_to_dir((dir / "base").string(), (dir / "adapter").string(), (dir / "merged").string());
    auto reloaded = sm::load_checkpoint((dir / "merged").string(), torch::kCPU);
    EXPECT_EQ(max_abs(logits_of(reloaded.model), m), 0) << "the merged directory is the merged model";
    EXPECT_TRUE(fs::exists(dir / "merged" / "config.json"));
    EXPECT_FALSE(fs::exists(dir / "merged" / "adapter_config.json")) << "a plain HF checkpoint";
  }
}

// A trained adapter (with the <bkspc> row): files have exactly PEFT's names and shapes; loading
// them on the base reproduces the trainer's model unmerged, merged, and by the hand merge.
TEST(Lora, TrainedAdapterFilesArePeftsAndMergeMatches) {
  for (const auto& f : families()) {
    auto dir = temp_dir("lora-files-" + f.name);
    auto c = lora_config(f, dir, "sequence_match");
    st::Trainer t(c);
    for (int i = 0; i < c.max_steps; ++i) t.step();
    t.save_final((dir / "final").string());

    std::vector<std::string> names;
    std::set<std::string> files;
    for (const auto& e : fs::directory_iterator(dir / "final")) files.insert(e.path().filename().string());
    EXPECT_EQ(files, (std::set<std::string>{"adapter_config.json", "adapter_model.safetensors", "seqmatch_adapter.json"}));
    const auto header = sm::read_safetensors_header((dir / "final" / "adapter_model.safetensors").string());
    for (const auto& [name, info] : header) names.push_back(name);
    EXPECT_EQ(names, f.expected_keys);
    const auto& a0 = header.at("base_model.model." + f.first_key + ".lora_A.weight");
    const auto& b0 = header.at("base_model.model." + f.first_key + ".lora_B.weight");
    for (auto& [name, p] : sm::projections(*t.model())) {
      if (sm::hf_module_name(*t.model(), name) != f.first_key) continue;
      EXPECT_EQ(a0.shape, (std::vector<int64_t>{4, p->in_features()})) << "lora_A is (r, in)";
      EXPECT_EQ(b0.shape, (std::vector<int64_t>{p->out_features(), 4})) << "lora_B is (out, r)";
    }
    EXPECT_EQ(a0.dtype, torch::kFloat);
    std::ifstream in(dir / "final" / "adapter_config.json");
    const auto j = nlohmann::json::parse(in);
    EXPECT_EQ(j["peft_type"], "LORA");
    EXPECT_EQ(j["task_type"], "CAUSAL_LM");
    EXPECT_EQ(j["r"], 4);
    EXPECT_EQ(j["lora_alpha"], 8.0);
    EXPECT_EQ(j["lora_dropout"], 0.0);
    EXPECT_EQ(j["bias"], "none");
    EXPECT_EQ(j["fan_in_fan_out"], f.name == "gpt2");
    EXPECT_EQ(j["target_modules"], nlohmann::json(f.targets));
    EXPECT_EQ(j["base_model_name_or_path"], c.init);
    EXPECT_EQ(j["trainable_token_indices"], f.token_indices);

    // The trainer's own model (branches unmerged) == load_with_adapter merged == hand merge.
    const auto trained = logits_of(t.model());
    std::map<std::string, std::pair<torch::Tensor, torch::Tensor>> ab;
    for (auto& [name, p] : sm::projections(*t.model()))
      if (p->has_lora()) ab[name] = {p->lora().A.detach(), p->lora().B.detach()};
    auto hand = hand_merged(dir / "base", ab, 8.0 / 4.0, kBaseVocab + 1);
    {
      torch::NoGradGuard no_grad;
      auto mine = sm::vocabulary_matrices(*hand.model), theirs = sm::vocabulary_matrices(*t.model());
      for (size_t i = 0; i < mine.size(); ++i) mine[i].second[kBaseVocab].copy_(theirs[i].second[kBaseVocab]);
    }
    auto merged = sm::load_with_adapter((dir / "base").string(), (dir / "final").string(), torch::kCPU);
    EXPECT_EQ(merged.config.tokens.bkspc, kBaseVocab) << "the <bkspc> id comes with the adapter";
    EXPECT_LE(max_abs(logits_of(merged.model), trained), 1e-5);
    EXPECT_LE(max_abs(logits_of(hand.model), trained), 1e-5);
  }
}

// 2N steps == N + save + fresh trainer + resume + N, bit for bit, with LoRA dropout on (its draws
// are keyed by the step) and the <bkspc> row training.
TEST(Lora, ResumeIsBitExact) {
  for (const auto& f : families()) {
    auto dir = temp_dir("lora-resume-" + f.name);
    auto c = lora_config(f, dir, "sequence_match");
    c.lora["dropout"] = 0.1;
    c.max_steps = 8;
    st::Trainer full(c);
    st::StepMetrics full_last;
    for (int i = 0; i < 8; ++i) full_last = full.step();
    st::Trainer first(c);
    for (int i = 0; i < 4; ++i) first.step();
    first.save((dir / "ckpt").string());
    EXPECT_FALSE(fs::exists(dir / "ckpt" / "model.safetensors")) << "a LoRA checkpoint holds the adapter, not the base";
    st::Trainer second(c);
    second.resume((dir / "ckpt").string());
    st::StepMetrics second_last;
    for (int i = 0; i < 4; ++i) second_last = second.step();
    EXPECT_EQ(full_last.loss, second_last.loss);
    auto a = sm::projections(*full.model()), b = sm::projections(*second.model());
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      if (!a[i].second->has_lora()) continue;
      EXPECT_TRUE(torch::equal(a[i].second->lora().A, b[i].second->lora().A)) << a[i].first;
      EXPECT_TRUE(torch::equal(a[i].second->lora().B, b[i].second->lora().B)) << a[i].first;
    }
    auto pf = full.model()->named_parameters(), ps = second.model()->named_parameters();
    for (const auto& p : pf) EXPECT_TRUE(torch::equal(p.value(), ps[p.key()])) << p.key();
  }
}

// Config and adapter-directory errors: one line, naming the file and the field.
TEST(Lora, BadConfigsAndAdapterDirsAreOneLineErrorsNamingFileAndField) {
  for (const auto& f : families()) {
    auto dir = temp_dir("lora-bad-" + f.name);
    auto c = lora_config(f, dir, "mle");
    auto expect_error = [](const std::string& msg, const std::vector<std::string>& parts) {
      EXPECT_FALSE(msg.empty());
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
      for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
    };
    // Training config.
    auto j = c.to_json();
    j["lora"]["r"] = 0;
    expect_error(error_of([&] { st::parse_train_config(j, "cfg.json"); }), {"cfg.json", "lora.r", "> 0"});
    j = c.to_json();
    j["lora"]["rank"] = 4;
    expect_error(error_of([&] { st::parse_train_config(j, "cfg.json"); }), {"cfg.json", "lora.rank"});
    auto c2 = c;
    c2.lora["target_modules"] = {"nonexistent_proj"};
    expect_error(error_of([&] { st::Trainer t(c2); }), {"target_modules", "nonexistent_proj", f.targets[0]});

    // Adapter directories.
    const auto base = (dir / "base").string();
    auto fresh = [&](const std::string& name) {
      auto d = dir / name;
      write_peft_adapter(dir / "base", d, f.targets, 2, 4);
      return d;
    };
    auto load = [&](const fs::path& d) { return error_of([&] { sm::load_with_adapter(base, d.string(), torch::kCPU); }); };
    auto edit = [&](const fs::path& d, const std::string& k, const nlohmann::json& v) {
      std::ifstream in(d / "adapter_config.json");
      auto cfg = nlohmann::json::parse(in);
      in.close();
      if (v.is_discarded()) cfg.erase(k); else cfg[k] = v;
      write_json(d / "adapter_config.json", cfg);
    };
    auto d = fresh("no-config");
    fs::remove(d / "adapter_config.json");
    expect_error(load(d), {"no-config/adapter_config.json", "missing file"});
    d = fresh("no-weights");
    fs::remove(d / "adapter_model.safetensors");
    expect_error(load(d), {"no-weights/adapter_model.safetensors", "missing file"});
    d = fresh("r-zero");
    edit(d, "r", 0);
    expect_error(load(d), {"r-zero/adapter_config.json", "field 'r'", "> 0"});
    d = fresh("r-negative");
    edit(d, "r", -2);
    expect_error(load(d), {"r-negative/adapter_config.json", "field 'r'"});
    d = fresh("r-mismatch");
    edit(d, "r", 3);  // the tensors are rank 2
    expect_error(load(d), {"r-mismatch/adapter_model.safetensors", "lora_A.weight", "shape [2, 32]", "expected [3, 32]"});
    d = fresh("unknown-target");
    edit(d, "target_modules", {"nonexistent_proj"});
    expect_error(load(d), {"unknown-target/adapter_config.json", "target_modules", "'nonexistent_proj'"});
    d = fresh("not-lora");
    edit(d, "peft_type", "PREFIX_TUNING");
    expect_error(load(d), {"not-lora/adapter_config.json", "peft_type"});
    d = fresh("no-targets");
    edit(d, "target_modules", nlohmann::json::value_t::discarded);
    expect_error(load(d), {"no-targets/adapter_config.json", "target_modules"});
    d = fresh("dora");
    edit(d, "use_dora", true);
    expect_error(load(d), {"dora/adapter_config.json", "use_dora"});
    d = fresh("fewer-targets");  // tensors for c_proj and c_fc that the config no longer targets
    edit(d, "target_modules", {f.targets[0]});
    expect_error(load(d), {"fewer-targets/adapter_model.safetensors", "unexpected tensor"});
    d = fresh("bad-json");
    std::ofstream(d / "adapter_config.json") << "{ not json";
    expect_error(load(d), {"bad-json/adapter_config.json", "not a JSON object"});
    expect_error(load(dir / "does-not-exist"), {"does-not-exist", "not a directory"});
  }
}

// Targets as PEFT matches them: a regex (string form) against the whole name, "all-linear", and a
// dotted suffix that picks one of two same-named layers.
TEST(Lora, TargetsMatchAsPeftMatches) {
  for (const auto& f : families()) {
    if (f.name != "gpt2") continue;
    auto dir = temp_dir("lora-regex");
    f.write_base(dir / "base");
    auto c = sm::load_checkpoint((dir / "base").string(), torch::kCPU);
    sm::LoraConfig lc;
    lc.target_regex = R"(h\.1\.attn\.c_proj)";
    auto t = sm::lora_targets(*c.model, lc, "test");
    ASSERT_EQ(t.size(), 1u);
    EXPECT_EQ(t[0].first, "h.1.attn.c_proj");
    sm::LoraConfig all;
    all.target_modules = {"all-linear"};
    EXPECT_EQ(sm::lora_targets(*c.model, all, "test").size(), 8u) << "2 layers × c_attn, attn.c_proj, c_fc, mlp.c_proj";
    sm::LoraConfig one;
    one.target_modules = {"mlp.c_proj"};
    auto m = sm::lora_targets(*c.model, one, "test");
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0].first, "h.0.mlp.c_proj");
    // The training config takes PEFT's string forms too: "all-linear" and one regular expression.
    auto parsed = sm::parse_lora_block({{"r", 4}, {"target_modules", "all-linear"}}, "c.json");
    EXPECT_EQ(sm::lora_targets(*c.model, parsed, "test").size(), 8u);
    parsed = sm::parse_lora_block({{"r", 4}, {"target_modules", R"(h\.0\..*c_attn)"}}, "c.json");
    EXPECT_EQ(sm::lora_targets(*c.model, parsed, "test").size(), 1u);
    auto msg = error_of([&] { sm::parse_lora_block({{"r", 4}, {"target_modules", "h.(0"}}, "c.json"); });
    EXPECT_NE(msg.find("c.json: field 'lora.target_modules' is not a valid regular expression"), std::string::npos)
        << msg;
  }
}

// The head's restricted gradient (HeadQuery::grad_rows, what LoRA asks for its <bkspc> row) equals
// the full ∂W on those rows (float64, plain autograd over full logits as the reference) and is
// zero elsewhere; ∂h is unchanged.
TEST(Lora, HeadGradientOfTheTokenRowsMatchesTheFullGradient) {
  torch::manual_seed(4);
  const int64_t B = 2, T = 5, C = 6, V = 9, bk = 8;
  auto opts = torch::TensorOptions().dtype(torch::kDouble);
  auto h = torch::randn({B, T, C}, opts);
  auto w = torch::randn({V, C}, opts);
  seqmatch::loss::HeadQuery q;
  q.target = torch::randint(0, V, {B, T}, torch::kLong);
  q.bk_allowed = torch::rand({B, T}) > 0.3;
  q.rows = torch::rand({B, T}) > 0.2;
  q.bkspc_id = bk;
  auto gq = torch::randn({B, T}, opts), gv = torch::randn({B, T}, opts);
  auto grads = [&](bool restricted, bool chunked, int64_t keep_bytes = seqmatch::loss::kKeepBytes) {
    auto hh = h.clone().requires_grad_(true), ww = w.clone().requires_grad_(true);
    auto qq = q;
    if (restricted) qq.grad_rows = torch::tensor(std::vector<int64_t>{bk, 3});
    auto o = chunked ? seqmatch::loss::lm_head_output(hh, ww, qq, 3, keep_bytes)
                     : seqmatch::loss::head_output(torch::matmul(hh, ww.t()), qq);
    ((o.q * gq + o.v * gv) * q.rows.to(torch::kDouble)).sum().backward();
    return std::make_pair(hh.grad(), ww.grad());
  };
  auto [h_ref, w_ref] = grads(false, false);
  auto [h_rows, w_rows] = grads(true, true);
  EXPECT_LE((h_rows - h_ref).abs().max().item<double>(), 1e-12);
  for (int64_t r : {bk, int64_t(3)}) EXPECT_LE((w_rows[r] - w_ref[r]).abs().max().item<double>(), 1e-12) << r;
  EXPECT_GT(w_ref[bk].abs().max().item<double>(), 0);
  for (int64_t r = 0; r < V; ++r)
    if (r != bk && r != 3) EXPECT_EQ(w_rows[r].abs().max().item<double>(), 0) << r;
  // The same with π recomputed in the backward instead of kept (loss/head.h).
  auto [h_re, w_re] = grads(true, true, 0);
  EXPECT_LE((h_re - h_ref).abs().max().item<double>(), 1e-12);
  EXPECT_LE((w_re - w_rows).abs().max().item<double>(), 1e-12);
}
