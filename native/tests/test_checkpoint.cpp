// Checkpoints: bit-exact save→load, HF-style names, and every corruption is a one-line error
// naming the file/tensor with no partial model. Run: ctest -R test_checkpoint
#include <gtest/gtest.h>

#include "test_util.h"

#include <filesystem>
#include <fstream>

#include "model/checkpoint.h"
#include "model/safetensors.h"
#include "util/atomic_dir.h"

namespace sm = seqmatch::model;
namespace fs = std::filesystem;
using seqmatch::testing::error_of;
using seqmatch::testing::temp_dir;

namespace {

sm::ModelConfig tiny_config() {
  sm::ModelConfig c;
  c.gpt2.vocab_size(50).n_positions(16).n_embd(16).n_layer(2).n_head(2);
  c.tokens.eos = 48;
  c.tokens.bkspc = 49;
  return c;
}

}  // namespace

TEST(Checkpoint, SaveLoadRoundTripIsBitExact) {
  torch::manual_seed(7);
  auto cfg = tiny_config();
  sm::GPT2 m(cfg.gpt2);
  auto dir = temp_dir("roundtrip") / "ckpt";
  sm::save_checkpoint(m, cfg, dir.string());
  auto loaded = sm::load_checkpoint(dir.string(), torch::kCPU);
  EXPECT_EQ(loaded.config.tokens.bkspc, 49);
  EXPECT_EQ(loaded.config.tokens.eos, 48);
  auto a = m->named_parameters(), b = loaded.model->named_parameters();
  ASSERT_EQ(a.size(), b.size());
  for (const auto& p : a) EXPECT_TRUE(torch::equal(p.value(), b[p.key()])) << p.key();
  torch::NoGradGuard no_grad;
  auto ids = torch::randint(50, {2, 8}, torch::kLong);
  auto pos = torch::arange(8, torch::kLong).unsqueeze(0).expand({2, 8}).contiguous();
  EXPECT_TRUE(torch::equal(m->forward(ids, pos), loaded.model->forward(ids, pos)));
  // Saving again over the same directory replaces it atomically and leaves no temp dirs.
  sm::save_checkpoint(m, cfg, dir.string());
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir.parent_path())) entries += e.path() != dir;
  EXPECT_EQ(entries, 0);
}

TEST(Checkpoint, TruncatedWeightsAreAOneLineError) {
  torch::manual_seed(1);
  auto cfg = tiny_config();
  sm::GPT2 m(cfg.gpt2);
  auto dir = temp_dir("truncated") / "ckpt";
  sm::save_checkpoint(m, cfg, dir.string());
  auto file = dir / "model.safetensors";
  fs::resize_file(file, fs::file_size(file) - 100);
  auto msg = error_of([&] { sm::load_checkpoint(dir.string(), torch::kCPU); });
  EXPECT_NE(msg.find("model.safetensors"), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  fs::resize_file(file, 5);
  msg = error_of([&] { sm::load_checkpoint(dir.string(), torch::kCPU); });
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
}

TEST(Checkpoint, ShapeMismatchNamesTheTensor) {
  torch::manual_seed(1);
  auto cfg = tiny_config();
  sm::GPT2 m(cfg.gpt2);
  auto dir = temp_dir("shape") / "ckpt";
  sm::save_checkpoint(m, cfg, dir.string());
  auto wrong = cfg;
  wrong.gpt2.vocab_size(60);
  std::ofstream(dir / "config.json") << sm::config_to_json(wrong);
  auto msg = error_of([&] { sm::load_checkpoint(dir.string(), torch::kCPU); });
  EXPECT_NE(msg.find("transformer.wte.weight"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[50, 16]"), std::string::npos) << msg;
}

TEST(Checkpoint, MissingAndUnexpectedTensorsAreNamed) {
  torch::manual_seed(1);
  auto cfg = tiny_config();
  sm::GPT2 m(cfg.gpt2);
  auto dir = temp_dir("missing") / "ckpt";
  sm::save_checkpoint(m, cfg, dir.string());
  auto tensors = sm::read_safetensors((dir / "model.safetensors").string());
  std::vector<std::pair<std::string, torch::Tensor>> kept;
  for (auto& [k, v] : tensors)
    if (k != "transformer.h.1.mlp.c_fc.bias") kept.emplace_back(k, v);
  sm::write_safetensors((dir / "model.safetensors").string(), kept);
  auto msg = error_of([&] { sm::load_checkpoint(dir.string(), torch::kCPU); });
  EXPECT_NE(msg.find("missing tensor 'transformer.h.1.mlp.c_fc.bias'"), std::string::npos) << msg;

  kept.emplace_back("transformer.h.1.mlp.c_fc.bias", tensors.at("transformer.h.1.mlp.c_fc.bias"));
  kept.emplace_back("transformer.h.9.extra", torch::zeros({2}));
  sm::write_safetensors((dir / "model.safetensors").string(), kept);
  msg = error_of([&] { sm::load_checkpoint(dir.string(), torch::kCPU); });
  EXPECT_NE(msg.find("unexpected tensor 'transformer.h.9.extra'"), std::string::npos) << msg;
}

TEST(Checkpoint, UnprefixedHuggingFaceNamesLoad) {
  torch::manual_seed(3);
  auto cfg = tiny_config();
  sm::GPT2 m(cfg.gpt2);
  auto dir = temp_dir("unprefixed") / "ckpt";
  sm::save_checkpoint(m, cfg, dir.string());
  std::vector<std::pair<std::string, torch::Tensor>> renamed;
  for (auto& p : m->named_parameters()) renamed.emplace_back(p.key(), p.value());
  renamed.emplace_back("h.0.attn.bias", torch::ones({1, 1, 16, 16}));  // old GPT-2 buffer
  sm::write_safetensors((dir / "model.safetensors").string(), renamed);
  auto loaded = sm::load_checkpoint(dir.string(), torch::kCPU);
  EXPECT_TRUE(torch::equal(loaded.model->wte->weight, m->wte->weight));
}

TEST(Checkpoint, BadConfigFieldIsNamed) {
  auto dir = temp_dir("badconfig");
  std::ofstream(dir / "config.json") << R"({"model_type":"gpt2","vocab_size":10,"n_positions":8,)"
                                        R"("n_embd":8,"n_layer":1,"n_head":3})";
  auto msg = error_of([&] { sm::read_config((dir / "config.json").string()); });
  EXPECT_NE(msg.find("n_embd must be a multiple of n_head"), std::string::npos) << msg;
  std::ofstream(dir / "config.json") << R"({"model_type":"gpt2","activation_function":"relu"})";
  msg = error_of([&] { sm::read_config((dir / "config.json").string()); });
  EXPECT_NE(msg.find("activation_function"), std::string::npos) << msg;
  msg = error_of([&] { sm::read_config((dir / "nope.json").string()); });
  EXPECT_NE(msg.find("cannot open"), std::string::npos) << msg;
}

TEST(AtomicDir, FailedWriteLeavesOldDirectoryIntact) {
  auto dir = temp_dir("atomic") / "ckpt";
  seqmatch::util::write_dir_atomically(dir.string(), [](const std::string& tmp) {
    std::ofstream(tmp + "/a.txt") << "old";
  });
  EXPECT_THROW(seqmatch::util::write_dir_atomically(dir.string(),
                                                     [](const std::string& tmp) {
                                                       std::ofstream(tmp + "/a.txt") << "new";
                                                       throw std::runtime_error("crash");
                                                     }),
               std::runtime_error);
  std::ifstream in(dir / "a.txt");
  std::string s;
  in >> s;
  EXPECT_EQ(s, "old");
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir.parent_path())) entries += e.path() != dir;
  EXPECT_EQ(entries, 0);
}
