// The training stack: prepared data, loader, noise augmentation, replay buffer, schedule,
// config errors, exact resume (2N steps == N + save + fresh process state + resume N, bit for
// bit on CPU), and that MLE and SequenceMatch both lower validation loss on learnable data.
// Run: ctest -R test_train
#include <gtest/gtest.h>

#include "test_util.h"

#include <filesystem>
#include <fstream>

#include "data/dataset.h"
#include "data/noise.h"
#include "train/replay_buffer.h"
#include "train/run.h"
#include "train/schedule.h"
#include "train/trainer.h"

namespace sd = seqmatch::data;
namespace st = seqmatch::train;
namespace fs = std::filesystem;
using seqmatch::testing::error_of;
using seqmatch::testing::temp_dir;

namespace {

constexpr int64_t kEos = 16, kBk = 17, kVocab = 18;

// Learnable data: a start digit d, then d+1, d+2, ... (mod 16), then <eos>.
std::vector<sd::Example> counting_examples(int n, uint64_t seed) {
  std::vector<sd::Example> out;
  for (int i = 0; i < n; ++i) {
    sd::Example e;
    int64_t d = int64_t((seed * 7 + uint64_t(i) * 5) % 16);
    const int len = 6 + (i % 5);
    for (int k = 0; k < len; ++k) e.tokens.push_back((d + k) % 16);
    e.tokens.push_back(kEos);
    e.prompt_length = 1;
    out.push_back(e);
  }
  return out;
}

st::TrainConfig tiny_config(const fs::path& dir, const std::string& objective) {
  sd::write_smtok((dir / "train.smtok").string(), counting_examples(64, 1));
  sd::write_smtok((dir / "val.smtok").string(), counting_examples(16, 2));
  st::TrainConfig c;
  c.vocab_size = kVocab;
  c.n_positions = 32;
  c.n_embd = 32;
  c.n_layer = 2;
  c.n_head = 2;
  c.eos_token_id = kEos;
  c.bkspc_token_id = kBk;
  c.train_data = (dir / "train.smtok").string();
  c.validation_data = (dir / "val.smtok").string();
  c.objective = objective;
  c.warmup_bc_steps = 3;
  c.sample_every = 2;
  c.rollouts = 4;
  c.model_rows = 2;
  c.rollout_max_new_tokens = 10;
  c.noise_eta = 0.1;
  c.batch_size = 6;
  c.lr = 3e-3;
  c.min_lr = 3e-4;
  c.warmup_steps = 2;
  c.max_steps = 10;
  c.eval_every = 0;
  c.checkpoint_every = 0;
  c.out_dir = (dir / "run").string();
  c.seed = 5;
  return c;
}

}  // namespace

TEST(Data, SmtokRoundTripAndCorruption) {
  auto dir = temp_dir("smtok");
  auto ex = counting_examples(5, 3);
  ex[2].prompt_length = 3;
  sd::write_smtok((dir / "a.smtok").string(), ex);
  auto back = sd::read_smtok((dir / "a.smtok").string());
  ASSERT_EQ(back.size(), ex.size());
  for (size_t i = 0; i < ex.size(); ++i) {
    EXPECT_EQ(back[i].tokens, ex[i].tokens);
    EXPECT_EQ(back[i].prompt_length, ex[i].prompt_length);
  }
  fs::resize_file(dir / "a.smtok", fs::file_size(dir / "a.smtok") - 4);
  EXPECT_NE(error_of([&] { sd::read_smtok((dir / "a.smtok").string()); }).find("truncated or corrupt"),
            std::string::npos);
  std::ofstream(dir / "b.smtok") << "hello world, not tokens";
  EXPECT_NE(error_of([&] { sd::read_smtok((dir / "b.smtok").string()); }).find("bad magic"), std::string::npos);
}

TEST(Data, LoaderIsDeterministicAndResumable) {
  sd::Loader a(10, 3), b(10, 3);
  std::vector<int64_t> first;
  for (int i = 0; i < 25; ++i) first.push_back(a.next());
  for (int i = 0; i < 25; ++i) EXPECT_EQ(b.next(), first[size_t(i)]);
  std::vector<int64_t> epoch0(first.begin(), first.begin() + 10);
  std::sort(epoch0.begin(), epoch0.end());
  for (int64_t i = 0; i < 10; ++i) EXPECT_EQ(epoch0[size_t(i)], i);  // a permutation
  sd::Loader c(10, 3);
  c.restore(a.epoch(), a.index());
  sd::Loader d(10, 3);
  for (int i = 0; i < 25; ++i) d.next();
  for (int i = 0; i < 12; ++i) EXPECT_EQ(c.next(), d.next());
}

TEST(Data, NoiseInsertsTokenThenBackspace) {
  sd::Example e;
  e.tokens = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, kEos};
  e.prompt_length = 2;
  sd::NoiseOptions o;
  o.eta = 0.3;
  o.base_vocab = 16;
  o.eos_id = kEos;
  int64_t noise = 0, positions = 0;
  for (uint64_t key = 0; key < 200; ++key) {
    auto tr = sd::augment(e, o, kBk, 9, key);
    std::vector<int64_t> clean;
    for (size_t i = 0; i < tr.actions.size(); ++i) {
      if (tr.noise[i]) {
        ++noise;
        ASSERT_LT(i + 1, tr.actions.size());
        EXPECT_EQ(tr.actions[i + 1], kBk);  // every noise token is deleted right away
        EXPECT_GE(int64_t(i), e.prompt_length);
        EXPECT_LT(tr.actions[i], 16);
        EXPECT_NE(tr.actions[i], tr.actions[i + 2]);  // never the true token
        EXPECT_NE(tr.actions[i + 2], kEos);           // never at the <eos> position
        ++i;
        continue;
      }
      clean.push_back(tr.actions[i]);
    }
    EXPECT_EQ(clean, e.tokens);
    positions += int64_t(e.tokens.size()) - e.prompt_length - 1;  // not at <eos>
  }
  EXPECT_NEAR(double(noise) / double(positions), 0.3, 0.05);
  // Ground-truth ("task") noise draws from the example's alphabet (found by its prompt tokens) minus
  // the true token, as written by Java's NoiseCandidates.
  auto dir = temp_dir("noise");
  std::ofstream((dir / "c.json").string())
      << R"({"format": "seqmatch-noise/2", "uniform": [3, 4], "alphabets": [[5, 9, 12], [7]],
            "examples": [{"prompt_ids": [1, 2], "alphabet": 0}, {"prompt_ids": [7, 7], "alphabet": 1}]})";
  o.alphabets = sd::read_noise_alphabets((dir / "c.json").string());
  o.kind = sd::NoiseKind::kTask;
  bool saw = false;
  for (uint64_t key = 0; key < 100; ++key) {
    auto tr = sd::augment(e, o, kBk, 1, key);
    for (size_t i = 0; i + 2 < tr.actions.size(); ++i)
      if (tr.noise[i]) {
        EXPECT_TRUE(tr.actions[i] == 5 || tr.actions[i] == 9 || tr.actions[i] == 12);
        EXPECT_NE(tr.actions[i], tr.actions[i + 2]);
        saw = saw || tr.actions[i + 2] == 5;  // truth 5: only 9 or 12
      }
  }
  EXPECT_TRUE(saw);
  EXPECT_EQ(sd::augment(e, o, kBk, 1, 7).actions, sd::augment(e, o, kBk, 1, 7).actions);
  // An example whose prompt has no alphabet gets no noise (never a token invalid for its task).
  sd::Example other = e;
  other.tokens[0] = 8;
  for (uint64_t key = 0; key < 20; ++key)
    EXPECT_EQ(sd::augment(other, o, kBk, 1, key).actions, other.tokens);
  // Uniform noise with the file's alphabet draws from it, never the true token.
  o.kind = sd::NoiseKind::kUniform;
  sd::Example threes = e;
  for (size_t t = 2; t + 1 < threes.tokens.size(); ++t) threes.tokens[t] = 3;
  for (uint64_t key = 0; key < 50; ++key) {
    auto tr = sd::augment(threes, o, kBk, 1, key);
    for (size_t i = 0; i < tr.actions.size(); ++i)
      if (tr.noise[i]) EXPECT_EQ(tr.actions[i], 4);
  }
  std::ofstream((dir / "old.json").string()) << R"({"5": [9]})";
  EXPECT_THROW(sd::read_noise_alphabets((dir / "old.json").string()), std::exception);
  std::ofstream((dir / "bad.json").string())
      << R"({"format": "seqmatch-noise/2", "alphabets": [[1]], "examples": [{"prompt_ids": [1], "alphabet": 3}]})";
  EXPECT_THROW(sd::read_noise_alphabets((dir / "bad.json").string()), std::exception);
}

TEST(Train, ReplayBufferIsFifoAndPersists) {
  st::ReplayBuffer buf(3);
  for (int64_t i = 0; i < 5; ++i) {
    sd::ActionTrace t;
    t.actions = {i, i + 1, kBk, i + 2};
    t.prompt_length = 1;
    buf.push(t);
  }
  EXPECT_EQ(buf.size(), 3);
  auto dir = temp_dir("replay");
  buf.save((dir / "r.bin").string());
  st::ReplayBuffer again(3);
  again.load((dir / "r.bin").string());
  auto a = buf.sample(5, 1, 2), b = again.sample(5, 1, 2);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].actions, b[i].actions);
    EXPECT_GE(a[i].actions[0], 2);  // the two oldest were evicted
    EXPECT_TRUE(a[i].from_model);
  }
  EXPECT_NEAR(buf.backspace_rate(kBk), 1.0 / 3.0, 1e-12);
}

TEST(Train, ScheduleWarmsUpThenDecays) {
  EXPECT_DOUBLE_EQ(st::learning_rate(0, 1.0, 0.1, 10, 110), 0.1);
  EXPECT_DOUBLE_EQ(st::learning_rate(9, 1.0, 0.1, 10, 110), 1.0);
  EXPECT_NEAR(st::learning_rate(60, 1.0, 0.1, 10, 110), 0.55, 1e-12);
  EXPECT_DOUBLE_EQ(st::learning_rate(110, 1.0, 0.1, 10, 110), 0.1);
}

TEST(Train, ConfigErrorsNameTheField) {
  nlohmann::json j = {{"data", {{"train", "x.smtok"}}}, {"optim", {{"lrr", 1}}}};
  EXPECT_NE(error_of([&] { st::parse_train_config(j, "c.json"); }).find("unknown field 'optim.lrr'"),
            std::string::npos);
  j = {{"data", {{"train", "x.smtok"}}}, {"max_steps", "ten"}};
  EXPECT_NE(error_of([&] { st::parse_train_config(j, "c.json"); }).find("'max_steps' has the wrong type"),
            std::string::npos);
  j = {{"data", {{"train", "x.smtok"}}}, {"objective", {{"type", "ppo"}}}};
  EXPECT_NE(error_of([&] { st::parse_train_config(j, "c.json"); }).find("objective.type"), std::string::npos);
  st::apply_override(j, "objective.type=mle");
  st::apply_override(j, "optim.lr=0.01");
  auto c = st::parse_train_config(j, "c.json");
  EXPECT_EQ(c.objective, "mle");
  EXPECT_DOUBLE_EQ(c.lr, 0.01);
}

TEST(Train, ResumeIsBitExact) {
  for (const std::string terminal : {"zero", "learned"}) {
    auto dir = temp_dir("resume-" + terminal);
    auto c = tiny_config(dir, "sequence_match");
    c.max_steps = 10;
    c.terminal_value = terminal;
    st::Trainer full(c);
    st::StepMetrics full_last;
    for (int i = 0; i < 10; ++i) full_last = full.step();
    EXPECT_GT(full.replay().size(), 0) << "rollouts must have run";

    st::Trainer first(c);
    for (int i = 0; i < 5; ++i) first.step();
    first.save((dir / "ckpt").string());
    st::Trainer second(c);  // fresh state, as after a kill
    second.resume((dir / "ckpt").string());
    EXPECT_EQ(second.steps_done(), 5);
    st::StepMetrics second_last;
    for (int i = 0; i < 5; ++i) second_last = second.step();

    auto a = full.model()->named_parameters(), b = second.model()->named_parameters();
    for (const auto& p : a) EXPECT_TRUE(torch::equal(p.value(), b[p.key()])) << terminal << " " << p.key();
    EXPECT_EQ(full_last.v_absorb, second_last.v_absorb) << terminal;
    EXPECT_EQ(full_last.loss, second_last.loss) << terminal;
    if (terminal == "learned") EXPECT_NE(full_last.v_absorb, 0.0) << "V_abs must be calibrated and trained";
  }
}

TEST(Train, LearnedTerminalValueIsCalibratedAtTheFirstSequenceMatchStep) {
  auto dir = temp_dir("v-absorb");
  auto c = tiny_config(dir, "sequence_match");
  c.terminal_value = "learned";
  c.warmup_bc_steps = 3;
  st::Trainer t(c);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(t.step().v_absorb, 0.0) << "BC warm-up leaves V_abs alone";
  auto m = t.step();  // first SM step: V_abs = mean Q(s, <eos>)/γ, so the terminal rows' r averages 0
  EXPECT_NE(m.v_absorb, 0.0);
  EXPECT_NE(m.sm, 0.0);
  auto again = t.step();  // then it is trained, not re-calibrated: it moves by about one lr step
  EXPECT_NEAR(again.v_absorb, m.v_absorb, 10 * c.lr);
  EXPECT_NE(again.v_absorb, m.v_absorb);
  nlohmann::json j = {{"data", {{"train", "x.smtok"}}}, {"objective", {{"terminal_value", "one"}}}};
  EXPECT_NE(error_of([&] { st::parse_train_config(j, "c.json"); }).find("objective.terminal_value"),
            std::string::npos);
}

TEST(Train, MleAndSequenceMatchLowerValidationLoss) {
  for (const std::string objective : {"mle", "sequence_match", "emo"}) {
    auto dir = temp_dir("learn-" + objective);
    auto c = tiny_config(dir, objective);
    c.max_steps = 60;
    c.noise_eta = objective == "mle" ? 0.0 : 0.1;
    st::Trainer t(c);
    const double before = t.evaluate();
    st::StepMetrics last;
    for (int i = 0; i < 60; ++i) last = t.step();
    const double after = t.evaluate();
    EXPECT_LT(after, before - 0.5) << objective << ": " << before << " -> " << after;
    if (objective == "sequence_match") {
      EXPECT_GT(last.model_rows, 0);
      EXPECT_NE(last.sm, 0.0);
    }
  }
}

TEST(Train, RunWritesMetricsCheckpointsAndResumesLatest) {
  auto dir = temp_dir("run");
  auto c = tiny_config(dir, "sequence_match");
  c.max_steps = 6;
  c.checkpoint_every = 3;
  c.eval_every = 3;
  {
    st::Run run(c);
    for (int i = 0; i < 4; ++i) run.step();  // "killed" after step 4; checkpoint at 3
  }
  st::Run resumed(c);
  resumed.resume("latest");
  EXPECT_EQ(resumed.trainer().steps_done(), 3);
  while (!resumed.finished()) resumed.step();
  auto fin = resumed.finish();
  EXPECT_TRUE(fs::exists(fs::path(c.out_dir) / "final" / "model.safetensors"));
  std::ifstream in(fs::path(c.out_dir) / "metrics.jsonl");
  int train_lines = 0;
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    train_lines += j["kind"] == "train";
  }
  EXPECT_EQ(train_lines, 6);  // step 4 of the interrupted run was dropped on resume
}
