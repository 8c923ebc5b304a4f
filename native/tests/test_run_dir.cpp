// The run directory as a crash- and misuse-proof unit: an exclusive lock naming its holder,
// `latest` that always names a complete checkpoint (under an injected write failure, and on a
// real full tmpfs where the test may mount one), leftovers of killed writers cleaned at start,
// resume refusing a silently different config, and --set overrides failing as one line.
// Run: ctest -R test_run_dir
#include <gtest/gtest.h>

#include "test_util.h"

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "data/dataset.h"
#include "train/run.h"
#include "train/train_config.h"

namespace sd = seqmatch::data;
namespace st = seqmatch::train;
namespace fs = std::filesystem;
using seqmatch::testing::error_of;
using seqmatch::testing::temp_dir;

namespace {

// An MLE run on repeated short sequences: small and fast; what is under test is the directory.
st::TrainConfig mle_run(const fs::path& dir) {
  std::vector<sd::Example> examples(32);
  for (size_t i = 0; i < examples.size(); ++i) {
    examples[i].tokens = {int64_t(i % 8), int64_t((i + 1) % 8), int64_t((i + 2) % 8), 9};
    examples[i].prompt_length = 1;
  }
  sd::write_smtok((dir / "train.smtok").string(), examples);
  st::TrainConfig c;
  c.vocab_size = 10;
  c.n_positions = 8;
  c.n_embd = 16;
  c.n_layer = 1;
  c.n_head = 2;
  c.eos_token_id = 9;
  c.train_data = (dir / "train.smtok").string();
  c.objective = "mle";
  c.batch_size = 4;
  c.model_rows = 0;
  c.max_steps = 6;
  c.eval_every = 0;
  c.checkpoint_every = 1;
  c.out_dir = (dir / "run").string();
  return c;
}

std::string latest(const st::TrainConfig& c) {
  std::ifstream in(fs::path(c.out_dir) / "checkpoints" / "latest");
  std::string name;
  std::getline(in, name);
  return name;
}

std::vector<std::string> leftovers(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const auto f = e.path().filename().string();
    if (f.find(".tmp-") != std::string::npos || f.find(".old-") != std::string::npos) out.push_back(f);
  }
  return out;
}

}  // namespace

TEST(RunDirectory, SecondRunOnTheSameOutDirFailsNamingTheHolder) {
  auto dir = temp_dir("lock");
  auto c = mle_run(dir);
  {
    st::Run first(c);
    const auto msg = error_of([&] { st::Run second(c); });
    EXPECT_NE(msg.find("out_dir " + c.out_dir + ": in use by another training (pid " +
                       std::to_string(::getpid()) + " on host "),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find(".lock"), std::string::npos) << msg;
  }
  st::Run after(c);  // released with the first Run
  EXPECT_EQ(after.trainer().steps_done(), 0);
}

TEST(RunDirectory, LatestSurvivesACheckpointWriteFailure) {
  auto dir = temp_dir("latest-fault");
  auto c = mle_run(dir);
  {
    st::Run run(c);
    run.step();
    ASSERT_EQ(latest(c), "step-0000001");
    std::string msg;
    {
      // The disk "fills up" during the next checkpoint: model.safetensors is ~14 KB, metrics.jsonl
      // stays below 8 KB.
      seqmatch::testing::FileSizeLimit limit(8192);
      msg = error_of([&] { run.step(); });
    }
    EXPECT_NE(msg.find("model.safetensors: write failed"), std::string::npos) << msg;
  }
  EXPECT_EQ(latest(c), "step-0000001");
  EXPECT_EQ(leftovers(c.out_dir), std::vector<std::string>{});
  st::Run resumed(c);
  resumed.resume("latest");
  EXPECT_EQ(resumed.trainer().steps_done(), 1);
}

TEST(RunDirectory, LeftoversOfAKilledWriterAreRemovedAtStart) {
  auto dir = temp_dir("stale");
  auto c = mle_run(dir);
  {
    st::Run run(c);
    run.step();
  }
  const auto ckpts = fs::path(c.out_dir) / "checkpoints";
  fs::create_directories(ckpts / "step-0000002.tmp-999999");  // killed mid-checkpoint
  std::ofstream(ckpts / "step-0000002.tmp-999999" / "model.safetensors") << "partial";
  std::ofstream(ckpts / "latest.tmp-999999") << "step-00";
  fs::create_directories(fs::path(c.out_dir) / "final.tmp-999998");
  ASSERT_EQ(leftovers(c.out_dir).size(), 3u);
  st::Run run(c);
  EXPECT_EQ(leftovers(c.out_dir), std::vector<std::string>{});
  run.resume("latest");
  EXPECT_EQ(run.trainer().steps_done(), 1);
}

// A real full disk: a tmpfs with room for a few checkpoints. Needs root and mount(2) (as in a
// privileged container); skipped, visibly, elsewhere.
TEST(RunDirectory, LatestNamesACompleteCheckpointWhenTheDiskFills) {
  auto dir = temp_dir("tmpfs");
  auto c = mle_run(dir);
  const auto mnt = dir / "mnt";
  fs::create_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=400k") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here (" << std::strerror(errno) << "); the fault-injection "
                 << "test LatestSurvivesACheckpointWriteFailure covers the same path";
  }
  struct Unmount {
    fs::path p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } unmount{mnt};
  c.out_dir = (mnt / "run").string();
  c.max_steps = 1000;
  std::string msg;
  int64_t done = 0;
  {
    st::Run run(c);
    msg = error_of([&] {
      while (!run.finished()) run.step();
    });
    done = run.trainer().steps_done();
  }
  ASSERT_FALSE(msg.empty()) << "a 400 KB tmpfs must fill before 1000 checkpoints";
  std::cout << "tmpfs full after " << done << " steps: " << msg << "\n";
  EXPECT_GT(done, 1);  // at least one complete checkpoint before the disk filled
  EXPECT_LT(done, 1000);
  const auto name = latest(c);
  ASSERT_FALSE(name.empty());
  EXPECT_EQ(leftovers(c.out_dir), std::vector<std::string>{});
  ASSERT_EQ(::mount("tmpfs", mnt.c_str(), "tmpfs", MS_REMOUNT, "size=8m"), 0) << std::strerror(errno);
  st::Run resumed(c);  // the user frees space and resumes
  resumed.resume("latest");
  EXPECT_GE(resumed.trainer().steps_done(), 1);
  EXPECT_EQ("step-" + std::string(7 - std::to_string(resumed.trainer().steps_done()).size(), '0') +
                std::to_string(resumed.trainer().steps_done()),
            name);
  resumed.step();
}

TEST(Resume, ATruncatedOptimizerStateIsNamed) {
  auto dir = temp_dir("resume-truncated");
  auto c = mle_run(dir);
  {
    st::Run run(c);
    run.step();
  }
  const auto file = fs::path(c.out_dir) / "checkpoints" / "step-0000001" / "optimizer.pt";
  fs::resize_file(file, fs::file_size(file) / 2);
  st::Run run(c);
  const auto msg = error_of([&] { run.resume("latest"); });
  EXPECT_EQ(msg.rfind("checkpoint " + c.out_dir + "/checkpoints/step-0000001/optimizer.pt: unreadable, "
                      "truncated or not this model's optimizer state (", 0),
            0u)
      << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST(Resume, ADifferentConfigIsRefusedListingTheFields) {
  auto dir = temp_dir("resume-config");
  auto c = mle_run(dir);
  {
    st::Run run(c);
    run.step();
    run.step();
  }
  auto changed = c;
  changed.seed = 7;
  changed.lr = 1e-3;
  changed.batch_size = 2;
  changed.log_every = 1;  // bookkeeping: may always change
  {
    st::Run run(changed);
    const auto msg = error_of([&] { run.resume("latest"); });
    EXPECT_NE(msg.find("resume: checkpoint " + c.out_dir + "/checkpoints/step-0000002 was trained with a "
                       "different config: batch_size 4 -> 2, seed 0 -> 7, optim.lr 0.0003 -> 0.001"),
              std::string::npos)
        << msg;
    EXPECT_EQ(msg.find("log_every"), std::string::npos) << msg;
  }
  auto lr_only = c;
  lr_only.lr = 1e-3;
  lr_only.max_steps = 8;
  {
    st::Run run(lr_only);
    const auto msg = error_of([&] { run.resume("latest"); });
    EXPECT_NE(msg.find("Hint: --allow-config-change max_steps,optim.lr accepts the change"), std::string::npos)
        << msg;
    EXPECT_NE(error_of([&] { run.resume("latest", {"seed"}); }).find("--allow-config-change seed: not a field"),
              std::string::npos);
    run.resume("latest", {"optim.lr", "max_steps"});
    EXPECT_EQ(run.trainer().steps_done(), 2);
  }
}

TEST(Overrides, EveryBadOverrideIsOneLineNamingIt) {
  auto dir = temp_dir("overrides");
  std::ofstream(dir / "c.json") << R"({"data": {"train": "x.smtok"}, "max_steps": 10, "optim": {"lr": 0.1}})";
  const auto path = (dir / "c.json").string();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"max_steps.x=1", "override 'max_steps.x=1': 'max_steps' is not a section (got 10)"},
      {"optim.lr.a.b=1", "override 'optim.lr.a.b=1': 'lr' is not a section (got 0.1)"},
      {"max_steps", "override 'max_steps': expected key=value"},
      {"=1", "override '=1': expected key=value"},
      {"optim..lr=1", "override 'optim..lr=1': empty key in 'optim..lr'"},
      {".lr=1", "override '.lr=1': empty key in '.lr'"},
      {"optim.lrr=1", "config " + path + ": unknown field 'optim.lrr'"},
      {"max_steps=ten", "config " + path + ": field 'max_steps' has the wrong type (got \"ten\")"},
      {"optim.lr=[1,", "config " + path + ": field 'optim.lr' has the wrong type (got \"[1,\")"},
      {"optim=3", "config " + path + ": field 'optim' must be an object (got 3)"},
      {"model.n_layer=1000000", "config " + path + ": field 'model.n_layer' must be in [1, 1024] (got 1000000)"},
  };
  for (const auto& [assignment, expected] : cases) {
    std::string msg;
    try {
      st::load_train_config(path, {assignment});
    } catch (const c10::Error& e) {
      msg = e.what_without_backtrace();
    }  // anything else (nlohmann's type_error) escapes and fails the test
    EXPECT_EQ(msg, expected) << assignment;
  }
}
