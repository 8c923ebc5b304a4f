// Checkpoints: bit-exact save→load, HF-style names, and every corruption is a one-line error
// naming the file/tensor with no partial model; sizes in config.json are checked against the
// weights before anything is allocated; atomic writes survive write failures (RLIMIT_FSIZE is
// the fault injector: the kernel fails every write past N bytes). Run: ctest -R test_checkpoint
#include <gtest/gtest.h>

#include "test_util.h"

#include <sys/resource.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <tuple>

#include "model/checkpoint.h"
#include "model/safetensors.h"
#include "util/atomic_dir.h"
#include "util/remove_tree.h"

namespace sm = seqmatch::model;
namespace fs = std::filesystem;
using seqmatch::testing::error_of;
using seqmatch::testing::FileSizeLimit;
using seqmatch::testing::temp_dir;

namespace {

sm::ModelConfig tiny_config() {
  sm::ModelConfig c;
  c.gpt2.vocab_size(50).n_positions(16).n_embd(16).n_layer(2).n_head(2);
  c.tokens.eos = 48;
  c.tokens.bkspc = 49;
  return c;
}

// Peak resident set size of this process so far, in bytes.
int64_t peak_rss() {
  struct rusage u {};
  ::getrusage(RUSAGE_SELF, &u);
  return int64_t(u.ru_maxrss) * 1024;
}

std::vector<std::string> entries_of(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

void set_config_field(const fs::path& dir, const std::string& field, const nlohmann::json& value) {
  std::ifstream in(dir / "config.json");
  auto j = nlohmann::json::parse(in);
  j[field] = value;
  std::ofstream(dir / "config.json") << j.dump();
}

}  // namespace

TEST(Checkpoint, SaveLoadRoundTripIsBitExact) {
  torch::manual_seed(7);
  auto cfg = tiny_config();
  sm::GPT2 m(cfg.gpt2);
  auto dir = temp_dir("roundtrip") / "ckpt";
  sm::save_checkpoint(m.ptr(), cfg, dir.string());
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
  sm::save_checkpoint(m.ptr(), cfg, dir.string());
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir.parent_path())) entries += e.path() != dir;
  EXPECT_EQ(entries, 0);
}

TEST(Checkpoint, TruncatedWeightsAreAOneLineError) {
  torch::manual_seed(1);
  auto cfg = tiny_config();
  sm::GPT2 m(cfg.gpt2);
  auto dir = temp_dir("truncated") / "ckpt";
  sm::save_checkpoint(m.ptr(), cfg, dir.string());
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
  sm::save_checkpoint(m.ptr(), cfg, dir.string());
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
  sm::save_checkpoint(m.ptr(), cfg, dir.string());
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
  sm::save_checkpoint(m.ptr(), cfg, dir.string());
  std::vector<std::pair<std::string, torch::Tensor>> renamed;
  for (auto& p : m->named_parameters()) renamed.emplace_back(p.key(), p.value());
  renamed.emplace_back("h.0.attn.bias", torch::ones({1, 1, 16, 16}));  // old GPT-2 buffer
  sm::write_safetensors((dir / "model.safetensors").string(), renamed);
  auto loaded = sm::load_checkpoint(dir.string(), torch::kCPU);
  EXPECT_TRUE(torch::equal(std::dynamic_pointer_cast<sm::GPT2Impl>(loaded.model)->wte->weight, m->wte->weight));
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

TEST(Checkpoint, HugeConfigSizesFailBeforeAnyAllocation) {
  auto dir = temp_dir("huge");
  auto c = tiny_config();
  torch::manual_seed(0);
  sm::GPT2 m(c.gpt2);
  sm::save_checkpoint(m.ptr(), c, (dir / "ckpt").string());
  const auto ckpt = dir / "ckpt";
  const int64_t before = peak_rss();
  // Each value would allocate from 640 MB (vocab 1e7 x 16 floats) to terabytes if the model were
  // built from config.json before the weights' header is read.
  const std::vector<std::tuple<const char*, int64_t, std::string>> cases = {
      {"vocab_size", 10000000, "vocab_size, n_embd = [10000000, 16] do not match tensor 'transformer.wte.weight' [50, 16]"},
      {"n_positions", 1000000, "n_positions, n_embd = [1000000, 16] do not match tensor 'transformer.wpe.weight' [16, 16]"},
      {"n_layer", 1000, "n_layer = 1000 exceeds the 2 blocks in"},
      {"n_positions", 100000000, "field 'n_positions' must be in [1, 1048576] (got 100000000)"},
      {"n_layer", 1000000, "field 'n_layer' must be in [1, 1024] (got 1000000)"},
      {"vocab_size", int64_t(1) << 40, "field 'vocab_size' must be in [1, 16777216]"},
  };
  for (const auto& [field, value, expected] : cases) {
    sm::save_checkpoint(m.ptr(), c, ckpt.string());
    set_config_field(ckpt, field, value);
    auto msg = error_of([&] { sm::load_checkpoint(ckpt.string(), torch::kCPU); });
    EXPECT_NE(msg.find(expected), std::string::npos) << field << "=" << value << ": " << msg;
    EXPECT_EQ(msg.rfind("checkpoint ", 0), 0u) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  EXPECT_LT(peak_rss() - before, int64_t(100) << 20) << "a rejected config must not allocate its model";
}

TEST(Safetensors, ShapeWhoseSizeOverflowsIsRejectedBeforeAllocation) {
  auto dir = temp_dir("overflow");
  // [2^33, 2^31] F32 = 2^66 bytes: the product wraps to 0 in 64 bits, matching data_offsets [0, 0].
  const std::string header =
      R"({"x":{"dtype":"F32","shape":[8589934592,2147483648],"data_offsets":[0,0]}})";
  std::ofstream out(dir / "w.safetensors", std::ios::binary);
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out.put(char((n >> (8 * i)) & 0xff));
  out << header;
  out.close();
  auto msg = error_of([&] { sm::read_safetensors((dir / "w.safetensors").string()); });
  EXPECT_NE(msg.find("tensor 'x' has 0 bytes but its shape [8589934592,2147483648] needs more than 2^64"),
            std::string::npos)
      << msg;
}

// util::remove_tree, which checkpoint writes use instead of std::filesystem::remove_all (see its header):
// nested directories go, a symbolic link is removed and never followed, a missing path is no error.
TEST(RemoveTree, RemovesNestedEntriesAndNeverFollowsLinks) {
  auto root = temp_dir("remove-tree");
  auto d = root / "tree", outside = root / "outside";
  fs::create_directories(d / "a" / "b");
  fs::create_directories(outside);
  std::ofstream(d / "a" / "b" / "f") << "x";
  std::ofstream(d / "g") << "y";
  std::ofstream(outside / "keep") << "z";
  fs::create_directory_symlink(outside, d / "link");
  std::error_code ec;
  EXPECT_EQ(seqmatch::util::remove_tree(d.string(), ec), 6u);  // tree, a, b, f, g, link
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_FALSE(fs::exists(d));
  EXPECT_TRUE(fs::exists(outside / "keep")) << "the link's target must survive";
  EXPECT_EQ(seqmatch::util::remove_tree(d.string(), ec), 0u);
  EXPECT_FALSE(ec) << "a missing path is not an error";
  std::ofstream(root / "file") << "w";
  EXPECT_EQ(seqmatch::util::remove_tree((root / "file").string(), ec), 1u);
  EXPECT_FALSE(fs::exists(root / "file"));
}

TEST(AtomicWrites, FailedFileWriteKeepsTheOldContent) {
  auto dir = temp_dir("atomic-file");
  const auto path = (dir / "latest").string();
  seqmatch::util::write_file_atomically(path, "step-0000001\n");
  std::string msg;
  {
    FileSizeLimit limit(4);  // the disk "fills up" 4 bytes into the new content
    msg = error_of([&] { seqmatch::util::write_file_atomically(path, "step-0000002\n"); });
  }
  EXPECT_NE(msg.find("cannot write " + path), std::string::npos) << msg;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "step-0000001");
  EXPECT_EQ(entries_of(dir), std::vector<std::string>{"latest"});
}

TEST(AtomicWrites, CheckpointWriteFailingMidFileLeavesTheOldCheckpointAndNoTemporaries) {
  auto dir = temp_dir("atomic-ckpt");
  auto c = tiny_config();
  torch::manual_seed(0);
  sm::GPT2 m(c.gpt2);
  sm::save_checkpoint(m.ptr(), c, (dir / "ckpt").string());
  const auto first = sm::load_checkpoint((dir / "ckpt").string(), torch::kCPU);
  {
    torch::NoGradGuard g;
    m->wte->weight.add_(1.0);
  }
  std::string msg;
  {
    FileSizeLimit limit(2048);  // model.safetensors is ~30 KB: fails part-way through
    msg = error_of([&] { sm::save_checkpoint(m.ptr(), c, (dir / "ckpt").string()); });
  }
  EXPECT_NE(msg.find("write failed"), std::string::npos) << msg;
  auto loaded = sm::load_checkpoint((dir / "ckpt").string(), torch::kCPU);
  EXPECT_TRUE(torch::equal(std::dynamic_pointer_cast<sm::GPT2Impl>(loaded.model)->wte->weight, std::dynamic_pointer_cast<sm::GPT2Impl>(first.model)->wte->weight));
  EXPECT_EQ(entries_of(dir), std::vector<std::string>{"ckpt"});
}

TEST(AtomicWrites, RecoveryFinishesAnInterruptedSwapAndRemovesLeftovers) {
  auto dir = temp_dir("recover");
  // Killed between "ckpt -> ckpt.old-123" and "ckpt.tmp-123 -> ckpt": the complete new version
  // is the .tmp; a second writer (pid 456) died while still writing.
  fs::create_directories(dir / "ckpt.tmp-123");
  std::ofstream(dir / "ckpt.tmp-123" / "a.txt") << "new";
  fs::create_directories(dir / "ckpt.old-123");
  std::ofstream(dir / "ckpt.old-123" / "a.txt") << "old";
  fs::create_directories(dir / "other.tmp-456");
  std::ofstream(dir / "latest.tmp-789") << "step-";
  fs::create_directories(dir / "step.tmp-x");  // not ours: no pid suffix
  EXPECT_EQ(seqmatch::util::recover_atomic_writes(dir.string()), 3);
  EXPECT_EQ(entries_of(dir), (std::vector<std::string>{"ckpt", "step.tmp-x"}));
  std::ifstream in(dir / "ckpt" / "a.txt");
  std::string s;
  in >> s;
  EXPECT_EQ(s, "new");
}
