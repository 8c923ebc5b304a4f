// Data-parallel training through the real binary (seqmatch-train --nproc N, train/launcher.h) on a
// tiny model: 2 processes end with the parameters of 1 process after the same steps (MLE, and
// SequenceMatch with noise and replay rollouts), a killed rank ends the job promptly with a message
// naming it (through the launcher and, torchrun-style, between bare ranks), a 2-process run resumes
// exactly from its checkpoint, and the world-size and batch-split errors are one clear line.
// Run: ctest -R test_distributed
#include <gtest/gtest.h>

#include "test_util.h"
#include "tiny_models.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "data/dataset.h"
#include "model/checkpoint.h"
#include "model/peft_io.h"
#include "train/process_group.h"
#include "train/train_config.h"

extern char** environ;

namespace sd = seqmatch::data;
namespace st = seqmatch::train;
namespace fs = std::filesystem;
using seqmatch::testing::temp_dir;

namespace {

constexpr int64_t kEos = 12, kBk = 13, kVocab = 14;

// Learnable data: a start token s, then s+2, s+4, ... (mod 12), then <eos>; lengths 4..9.
std::vector<sd::Example> stride_examples(int n, int offset) {
  std::vector<sd::Example> out;
  for (int i = 0; i < n; ++i) {
    sd::Example e;
    const int64_t s = (i * 5 + offset) % 12;
    for (int k = 0; k < 4 + (i + offset) % 6; ++k) e.tokens.push_back((s + 2 * k) % 12);
    e.tokens.push_back(kEos);
    out.push_back(e);
  }
  return out;
}

// A config file for a 2-layer, 32-wide model in `dir`; returns its path.
std::string write_config(const fs::path& dir, const std::string& objective, int64_t max_steps) {
  sd::write_smtok((dir / "train.smtok").string(), stride_examples(48, 1));
  sd::write_smtok((dir / "val.smtok").string(), stride_examples(12, 7));
  st::TrainConfig c;
  c.vocab_size = kVocab, c.n_positions = 32, c.n_embd = 32, c.n_layer = 2, c.n_head = 2;
  c.eos_token_id = kEos, c.bkspc_token_id = kBk;
  c.train_data = (dir / "train.smtok").string();
  c.validation_data = (dir / "val.smtok").string();
  c.objective = objective;
  c.warmup_bc_steps = 2, c.sample_every = 2, c.rollouts = 5, c.model_rows = 2, c.rollout_max_new_tokens = 8;
  c.noise_eta = objective == "mle" ? 0.0 : 0.15;
  c.terminal_value = objective == "mle" ? "zero" : "learned";
  c.batch_size = 6, c.grad_accum = 2;
  c.lr = 3e-3, c.min_lr = 3e-4, c.warmup_steps = 2, c.max_steps = max_steps;
  c.eval_every = 3, c.eval_batches = 2, c.checkpoint_every = 3, c.log_every = 1;
  c.dist_timeout_s = 30;
  c.dist_bucket_mb = 0.01;  // ~10 KB: several buckets, so the in-order overlap is exercised
  c.out_dir = (dir / "run").string();
  c.seed = 3;
  const auto path = (dir / "config.json").string();
  std::ofstream(path) << c.to_json().dump(2);
  return path;
}

struct Proc {
  pid_t pid = -1;
  std::string err_path;
};

// Starts seqmatch-train with `args`, extra environment entries, stdout/stderr into files in `dir`.
Proc start(const std::vector<std::string>& args, const fs::path& dir, const std::string& tag,
           const std::vector<std::string>& extra_env = {}) {
  std::vector<std::string> argv = {SEQMATCH_TRAIN_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> a;
  for (auto& s : argv) a.push_back(s.data());
  a.push_back(nullptr);
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    const std::string kv = *e;
    const std::string key = kv.substr(0, kv.find('='));
    if (key != "RANK" && key != "WORLD_SIZE" && key != "MASTER_PORT" && key != "MASTER_ADDR") env.push_back(kv);
  }
  env.push_back("OMP_NUM_THREADS=1");
  env.insert(env.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> envp;
  for (auto& s : env) envp.push_back(s.data());
  envp.push_back(nullptr);
  Proc p;
  p.err_path = (dir / (tag + ".err")).string();
  const std::string out_path = (dir / (tag + ".out")).string();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, p.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  EXPECT_EQ(posix_spawn(&p.pid, a[0], &fa, nullptr, a.data(), envp.data()), 0);
  posix_spawn_file_actions_destroy(&fa);
  return p;
}

// Waits at most `limit` for the process; returns its exit code (128 + signal; -1 = still running, killed).
int wait_for(const Proc& p, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(p.pid, &status, WNOHANG) == p.pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(p.pid, SIGKILL);
  ::waitpid(p.pid, nullptr, 0);
  return -1;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int run(const std::vector<std::string>& args, const fs::path& dir, const std::string& tag) {
  const int rc = wait_for(start(args, dir, tag), std::chrono::seconds(300));
  if (rc != 0) ADD_FAILURE() << tag << " exited " << rc << ":\n" << slurp((dir / (tag + ".err")).string());
  return rc;
}

double max_param_diff(const fs::path& a, const fs::path& b) {
  auto ma = seqmatch::model::load_checkpoint(a.string(), torch::kCPU).model;
  auto mb = seqmatch::model::load_checkpoint(b.string(), torch::kCPU).model;
  auto pb = mb->named_parameters();
  double worst = 0;
  for (const auto& p : ma->named_parameters())
    worst = std::max(worst, (p.value() - pb[p.key()]).abs().max().item<double>());
  return worst;
}

int free_port() {
  // The launcher finds one the same way; here the test plays torchrun.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// Waits until `path` has at least `lines` lines (or the limit passes).
bool wait_lines(const fs::path& path, int lines, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(path);
    int n = 0;
    for (std::string l; std::getline(in, l);) ++n;
    if (n >= lines) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace

TEST(Distributed, TwoProcessesMatchOneForMleAndSequenceMatch) {
  for (const std::string objective : {"mle", "sequence_match"}) {
    auto dir = temp_dir("dp-" + objective);
    const auto cfg = write_config(dir, objective, 6);
    ASSERT_EQ(run({"--config", cfg, "--set", "out_dir=" + (dir / "one").string(), "--quiet"}, dir, "one"), 0);
    ASSERT_EQ(run({"--config", cfg, "--set", "out_dir=" + (dir / "two").string(), "--nproc", "2", "--quiet"}, dir,
                  "two"), 0);
    const double d = max_param_diff(dir / "one" / "final", dir / "two" / "final");
    EXPECT_LE(d, 1e-4) << objective;
    // The logged curve is the global batch's too (shares summed over the ranks).
    std::ifstream a(dir / "one" / "metrics.jsonl"), b(dir / "two" / "metrics.jsonl");
    int lines = 0;
    for (std::string la, lb; std::getline(a, la) && std::getline(b, lb); ++lines) {
      auto ja = nlohmann::json::parse(la), jb = nlohmann::json::parse(lb);
      ASSERT_EQ(ja["step"], jb["step"]);
      const char* key = ja["kind"] == "eval" ? "val_loss" : "loss";
      EXPECT_NEAR(ja[key].get<double>(), jb[key].get<double>(), 1e-4) << objective << " " << la;
      if (ja["kind"] == "train") {
        EXPECT_EQ(ja["tokens"], jb["tokens"]);
        EXPECT_EQ(ja["model_rows"], jb["model_rows"]);
      }
    }
    EXPECT_GE(lines, 8) << objective;
    if (objective == "sequence_match") {
      auto last = nlohmann::json::parse(slurp((dir / "two" / "checkpoints" / "step-0000006" / "trainer_state.json")));
      EXPECT_EQ(last["world_size"], 2);
      EXPECT_GT(fs::file_size(dir / "two" / "checkpoints" / "step-0000006" / "replay.bin"), 16u)
          << "rollouts must have filled the replay buffer";
    }
  }
}

// LoRA under data parallel: the adapters and the <bkspc> row (whose gradient comes through the frozen
// vocabulary matrix, model/token_rows.h) are all-reduced, so two processes train the adapter one does.
TEST(Distributed, TwoProcessesMatchOneWithLora) {
  auto dir = temp_dir("dp-lora");
  const auto cfg_path = write_config(dir, "sequence_match", 6);
  {
    // No <bkspc>: the run adds and trains that row.
    auto base = seqmatch::model::parse_config(seqmatch::testing::tiny_config("gpt2", kBk, 32), "base");
    base.tokens.eos = kEos;
    seqmatch::model::save_checkpoint(seqmatch::testing::tiny_model("gpt2", kBk, 32, 5), base, (dir / "base").string());
  }
  auto j = nlohmann::json::parse(slurp(cfg_path));
  j["model"] = {{"init", (dir / "base").string()}};
  j["lora"] = {{"r", 2}, {"alpha", 4}, {"target_modules", {"c_attn", "c_fc"}}};
  std::ofstream(cfg_path) << j.dump(2);
  ASSERT_EQ(run({"--config", cfg_path, "--set", "out_dir=" + (dir / "one").string(), "--quiet"}, dir, "one"), 0);
  ASSERT_EQ(run({"--config", cfg_path, "--set", "out_dir=" + (dir / "two").string(), "--nproc", "2", "--quiet"}, dir,
                "two"), 0);
  const auto a = seqmatch::model::read_adapter((dir / "one" / "final").string());
  const auto b = seqmatch::model::read_adapter((dir / "two" / "final").string());
  ASSERT_EQ(a.tensors.size(), 9u) << "2 layers × 2 targets × (A, B) + the <bkspc> row";
  double worst = 0, moved = 0;
  for (const auto& [key, t] : a.tensors) {
    ASSERT_TRUE(b.tensors.count(key)) << key;
    worst = std::max(worst, (t - b.tensors.at(key)).abs().max().item<double>());
    if (key.find("lora_B") != std::string::npos) moved = std::max(moved, t.abs().max().item<double>());
  }
  EXPECT_LE(worst, 1e-4);
  EXPECT_GT(moved, 0) << "the adapters must have trained";
}

// The same for a Llama (GQA, untied head) initialised from a Hugging Face directory as is:
// <bkspc> is appended to the embedding and the head, SequenceMatch with replay runs on 2 ranks.
TEST(Distributed, TwoProcessesMatchOneForALlamaFromAHuggingFaceDirectory) {
  auto dir = temp_dir("dp-llama");
  const auto cfg = write_config(dir, "sequence_match", 4);
  const std::string init = "model.init=" + std::string(SEQMATCH_FIXTURES_DIR) + "/llama-tiny-a";
  ASSERT_EQ(run({"--config", cfg, "--set", init, "--set", "out_dir=" + (dir / "one").string(), "--quiet"}, dir, "one"), 0);
  ASSERT_EQ(run({"--config", cfg, "--set", init, "--set", "out_dir=" + (dir / "two").string(), "--nproc", "2",
                 "--quiet"}, dir, "two"), 0);
  EXPECT_LE(max_param_diff(dir / "one" / "final", dir / "two" / "final"), 1e-4);
  auto final_config = nlohmann::json::parse(slurp((dir / "two" / "final" / "config.json").string()));
  EXPECT_EQ(final_config["model_type"], "llama");
  EXPECT_EQ(final_config["vocab_size"], 513);
  EXPECT_EQ(final_config["seqmatch"]["bkspc_token_id"], 512);
  EXPECT_TRUE(fs::exists(dir / "two" / "final" / "generation_config.json")) << "carried from the HF directory";
}

TEST(Distributed, ResumeLatestContinuesATwoProcessRunExactly) {
  auto dir = temp_dir("dp-resume");
  const auto cfg = write_config(dir, "sequence_match", 6);
  const auto full = dir / "full", resumed = dir / "resumed";
  ASSERT_EQ(run({"--config", cfg, "--set", "out_dir=" + full.string(), "--nproc", "2", "--quiet"}, dir, "full"), 0);
  // The state after step 3 (mid-run, replay buffer filled), as a killed run leaves it.
  fs::create_directories(resumed / "checkpoints");
  fs::copy(full / "checkpoints" / "step-0000003", resumed / "checkpoints" / "step-0000003");
  std::ofstream(resumed / "checkpoints" / "latest") << "step-0000003\n";
  ASSERT_EQ(run({"--config", cfg, "--set", "out_dir=" + resumed.string(), "--nproc", "2", "--resume", "latest",
                 "--quiet"}, dir, "resumed"), 0);
  EXPECT_EQ(max_param_diff(full / "final", resumed / "final"), 0.0);

  // A different world size is refused with the reason, before any step.
  const auto p = start({"--config", cfg, "--set", "out_dir=" + resumed.string(), "--resume",
                        (full / "checkpoints" / "step-0000003").string()}, dir, "one-rank");
  EXPECT_EQ(wait_for(p, std::chrono::seconds(120)), 2);
  const auto err = slurp(p.err_path);
  EXPECT_NE(err.find("written by a run of 2 process(es), this run has 1"), std::string::npos) << err;
  EXPECT_NE(err.find("--nproc 2"), std::string::npos) << err;
}

TEST(Distributed, KilledRankEndsTheJobWithAMessageNamingIt) {
  auto dir = temp_dir("dp-kill");
  const auto cfg = write_config(dir, "mle", 100000);
  // Through the launcher: it names the rank that died and stops the other.
  {
    const auto job = start({"--config", cfg, "--set", "out_dir=" + (dir / "a").string(), "--nproc", "2", "--quiet"},
                           dir, "launcher");
    ASSERT_TRUE(wait_lines(dir / "a" / "metrics.jsonl", 2, std::chrono::seconds(120))) << slurp(job.err_path);
    const auto err = slurp(job.err_path);
    const auto at = err.find("(pids ");
    ASSERT_NE(at, std::string::npos) << err;
    int pid0 = 0, pid1 = 0;
    ASSERT_EQ(std::sscanf(err.c_str() + at, "(pids %d %d)", &pid0, &pid1), 2) << err;
    ::kill(pid1, SIGKILL);
    const int rc = wait_for(job, std::chrono::seconds(60));
    EXPECT_EQ(rc, 1);
    const auto msg = slurp(job.err_path);
    EXPECT_NE(msg.find("rank 1 (pid " + std::to_string(pid1) + ") was killed by signal 9"), std::string::npos) << msg;
  }
  // Torchrun-style bare ranks (no launcher): the survivor fails on its next collective, naming it.
  {
    const std::vector<std::string> env = {"WORLD_SIZE=2", "MASTER_ADDR=127.0.0.1",
                                          "MASTER_PORT=" + std::to_string(free_port())};
    auto env0 = env, env1 = env;
    env0.push_back("RANK=0");
    env1.push_back("RANK=1");
    const std::vector<std::string> args = {"--config", cfg, "--set", "out_dir=" + (dir / "b").string(), "--quiet"};
    const auto r0 = start(args, dir, "rank0", env0);
    const auto r1 = start(args, dir, "rank1", env1);
    ASSERT_TRUE(wait_lines(dir / "b" / "metrics.jsonl", 2, std::chrono::seconds(120))) << slurp(r0.err_path);
    ::kill(r1.pid, SIGKILL);
    ::waitpid(r1.pid, nullptr, 0);
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(wait_for(r0, std::chrono::seconds(60)), 1);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(45)) << "must fail within the timeout (30 s)";
    const auto msg = slurp(r0.err_path);
    EXPECT_NE(msg.find("distributed: rank 0 of 2: "), std::string::npos) << msg;
    EXPECT_NE(msg.find("failed: rank 1 died or did not answer within 30 s (distributed.timeout_s)"), std::string::npos)
        << msg;
  }
}

TEST(Distributed, BatchThatDoesNotSplitIsOneClearError) {
  auto dir = temp_dir("dp-split");
  const auto cfg = write_config(dir, "mle", 2);
  const auto p = start({"--config", cfg, "--nproc", "4"}, dir, "split");
  EXPECT_EQ(wait_for(p, std::chrono::seconds(60)), 2);
  const auto err = slurp(p.err_path);
  EXPECT_NE(err.find("field 'batch_size' (6) must be divisible by --nproc 4"), std::string::npos) << err;
}

TEST(Distributed, ConfigAndEnvironmentErrorsNameTheField) {
  auto dir = temp_dir("dp-config");
  auto j = nlohmann::json::parse(slurp(write_config(dir, "mle", 2)));
  auto with = [&](const char* key, nlohmann::json v) {
    auto c = j;
    c["distributed"][key] = v;
    return seqmatch::testing::error_of([&] { st::parse_train_config(c, "c.json"); });
  };
  EXPECT_NE(with("timeout_s", 0).find("field 'distributed.timeout_s' must be >= 1 (got 0)"), std::string::npos);
  EXPECT_NE(with("bucket_mb", -1).find("field 'distributed.bucket_mb' must be > 0"), std::string::npos);
  EXPECT_NE(with("buckets", 1).find("unknown field 'distributed.buckets'"), std::string::npos);
  // A rank count from the environment is checked before anything else.
  ::setenv("WORLD_SIZE", "2", 1);
  ::setenv("RANK", "2", 1);
  const auto err = seqmatch::testing::error_of([] { st::distributed_env(); });
  ::unsetenv("WORLD_SIZE");
  ::unsetenv("RANK");
  EXPECT_NE(err.find("environment variable RANK='2' is not an integer in [0, 1]"), std::string::npos) << err;
}
