// Distribution matching (GDC++ / DPG, loss/gdc.h, train/gdc_objective.h) against independent
// computations: the estimator's gradient equals a float64 brute-force expectation over every
// sequence of a tiny model (clean forward per state); sampled estimates converge to it; λ fitting
// recovers a known λ; constraint config errors name their field; on a small byte model a pointwise
// constraint's satisfaction rises toward 1 with KL(π‖a) bounded, the baseline lowers the gradient
// variance against DPG on the same samples, and a distributional constraint reaches its moment.
// Run: ctest -R test_gdc  (prints the measured figures)
#include <gtest/gtest.h>

#include "test_util.h"

#include <cmath>
#include <filesystem>
#include <iostream>

#include "loss/gdc.h"
#include "sample/sampler.h"
#include "score/constraint.h"
#include "score/text_scorer.h"
#include "model/lora.h"
#include "train/gdc_objective.h"
#include "train/trainer.h"

namespace sl = seqmatch::loss;
namespace sm = seqmatch::model;
namespace ss = seqmatch::score;
namespace st = seqmatch::train;
using seqmatch::testing::error_of;

namespace {

// Tiny space: tokens {0, 1}, <eos> = 2 (also the start token), <bkspc> = 3, at most 2 new tokens.
constexpr int64_t kEos = 2, kBk = 3;

sm::GPT2 tiny_model(uint64_t seed, torch::Dtype dtype) {
  torch::manual_seed(seed);
  sm::GPT2 m(sm::GPT2Options().vocab_size(4).n_positions(8).n_embd(8).n_layer(1).n_head(2));
  m->to(dtype);
  return m;
}

// Every sequence the sampler can produce with max_new_tokens = 2: [eos], [a, b] for a ∈ {0, 1}.
std::vector<std::vector<int64_t>> all_sequences() {
  std::vector<std::vector<int64_t>> xs = {{kEos}};
  for (int64_t a : {0, 1})
    for (int64_t b : {0, 1, 2}) xs.push_back({a, b});
  return xs;
}

// log m(x) from one clean forward per state [start, x_<t], <bkspc> outside the softmax.
torch::Tensor brute_log_prob(sm::GPT2 m, const std::vector<int64_t>& x) {
  torch::Tensor total = torch::zeros({}, torch::kDouble);
  std::vector<int64_t> state = {kEos};
  for (int64_t tok : x) {
    auto ids = torch::tensor(state, torch::kLong).unsqueeze(0);
    auto pos = torch::arange(int64_t(state.size()), torch::kLong).unsqueeze(0);
    auto logits = m->forward(ids, pos)[0][-1].to(torch::kDouble);  // (V)
    auto allowed = logits.slice(0, 0, kBk);                          // drop <bkspc>
    total = total + torch::log_softmax(allowed, 0)[tok];
    state.push_back(tok);
  }
  return total;
}

double b_contains_one(const std::vector<int64_t>& x) {
  return std::find(x.begin(), x.end(), 1) != x.end() ? 1.0 : 0.0;
}

template <typename Model>  // a GPT2 holder or a DecoderLM pointer
std::vector<torch::Tensor> grads(const Model& m) {
  std::vector<torch::Tensor> g;
  for (auto& p : m->parameters()) g.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
  return g;
}

torch::Tensor flat(const std::vector<torch::Tensor>& g) {
  std::vector<torch::Tensor> f;
  for (auto& t : g) f.push_back(t.reshape(-1).to(torch::kDouble));
  return torch::cat(f);
}

// The exact expected GDC++ gradient (scaled by 1/Z, as loss/gdc.h): G = Σ_x (P(x)/Z − π(x)) ∇log π(x)
// with P = a·b; returned as the gradient of the loss −G (what backward of gdc_loss produces).
torch::Tensor brute_gradient(sm::GPT2 pi, sm::GPT2 a) {
  const auto xs = all_sequences();
  std::vector<torch::Tensor> log_pi;
  std::vector<double> P, pi_x;
  double Z = 0;
  for (const auto& x : xs) {
    log_pi.push_back(brute_log_prob(pi, x));
    torch::NoGradGuard g;
    P.push_back(std::exp(brute_log_prob(a, x).item<double>()) * b_contains_one(x));
    Z += P.back();
  }
  pi->zero_grad();
  torch::Tensor loss = torch::zeros({}, torch::kDouble);
  double total_pi = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const double p = std::exp(log_pi[i].item<double>());
    total_pi += p;
    loss = loss - (P[i] / Z - p) * log_pi[i];
  }
  EXPECT_NEAR(total_pi, 1.0, 1e-12) << "the enumeration must be the whole sample space";
  loss.backward();
  return flat(grads(pi));
}

// The implementation's gradient (backward of gdc_loss) on samples xs, with s.log_a and s.log_q set
// and P = a·b, b = "contains token 1"; log_pi carries the graph.
torch::Tensor estimator_gradient(sm::GPT2 pi, const torch::Tensor& log_pi, sl::GdcSamples s,
                                 const std::vector<std::vector<int64_t>>& xs, bool baseline, double* weight_var) {
  s.log_pi = log_pi.detach();
  std::vector<double> b;
  for (const auto& x : xs) b.push_back(b_contains_one(x));
  s.log_P = s.log_a + torch::tensor(b, torch::kDouble).log();
  sl::PartitionEstimate z;
  z.add(s.log_P - s.log_q);
  const auto e = sl::gdc_estimates(s, z.log_z(), baseline);
  *weight_var = e.weight_var;
  pi->zero_grad();
  sl::gdc_loss(log_pi, e.weight).backward(torch::Tensor(), /*retain_graph=*/true);
  return flat(grads(pi));
}

}  // namespace

TEST(Gdc, GradientEqualsBruteForceExpectationOverEnumeratedSpace) {
  // Float64 throughout: the implementation's batched, padded forward + weights vs the clean brute force.
  auto pi = tiny_model(1, torch::kDouble), a = tiny_model(2, torch::kDouble);
  const auto xs = all_sequences();
  const int64_t n = int64_t(xs.size());
  const auto expected = brute_gradient(pi, a);
  // With the uniform proposal q(x) = 1/n over the enumeration, the estimator's mean over the n
  // sequences IS the expectation Σ_x q(x)·w(x)·∇log π(x) = Σ_x (P/Z − π) ∇log π.
  sl::GdcSamples s;
  auto log_pi = st::sequence_log_probs(pi.ptr(), xs, 0, n, kEos, kBk, torch::kCPU);
  {
    torch::NoGradGuard g;
    s.log_a = st::sequence_log_probs(a.ptr(), xs, 0, n, kEos, kBk, torch::kCPU);
  }
  for (int64_t i = 0; i < n; ++i)
    EXPECT_NEAR(log_pi[i].item<double>(), brute_log_prob(pi, xs[size_t(i)]).item<double>(), 1e-12);
  s.log_q = torch::full({n}, -std::log(double(n)), torch::kDouble);
  for (bool baseline : {true, false}) {
    double weight_var = 0;
    const auto got = estimator_gradient(pi, log_pi, s, xs, baseline, &weight_var);
    // DPG has the same expectation: Σ_x π ∇log π = 0 over the whole space.
    EXPECT_LT((got - expected).abs().max().item<double>(), 1e-10) << "baseline " << baseline;
    EXPECT_GT(expected.norm().item<double>(), 1e-4);
  }
}

TEST(Gdc, SampledEstimateConvergesToBruteForce) {
  // Samples from a proposal q ≠ π through the real sampler, log q from the sampler's own log-probs.
  auto pi = tiny_model(1, torch::kFloat), a = tiny_model(2, torch::kFloat), q = tiny_model(3, torch::kFloat);
  const auto expected = brute_gradient(pi, a);
  seqmatch::sample::SamplingOptions o;
  o.max_new_tokens = 2;
  o.max_actions = 2;
  o.allow_backspace = false;
  o.logprobs = true;
  o.seed = 11;
  const int64_t n = 20000;
  std::vector<std::vector<int64_t>> prompts(size_t(n), std::vector<int64_t>{kEos});
  std::vector<std::vector<int64_t>> xs;
  std::vector<double> log_q_sampler;
  {
    torch::NoGradGuard g;
    for (const auto& t : seqmatch::sample::generate(q.ptr(), {-1, kEos, -1, kBk}, prompts, o)) {
      xs.emplace_back(t.tokens.begin() + t.prompt_length, t.tokens.end());
      double lp = 0;
      for (float l : t.logprobs) lp += l;
      log_q_sampler.push_back(lp);
    }
  }
  sl::GdcSamples s;
  auto log_pi = st::sequence_log_probs(pi.ptr(), xs, 0, n, kEos, kBk, torch::kCPU);
  {
    torch::NoGradGuard g;
    s.log_a = st::sequence_log_probs(a.ptr(), xs, 0, n, kEos, kBk, torch::kCPU);
    s.log_q = st::sequence_log_probs(q.ptr(), xs, 0, n, kEos, kBk, torch::kCPU);
  }
  const auto sampler_q = torch::tensor(log_q_sampler, torch::kDouble);
  EXPECT_LT((s.log_q - sampler_q).abs().max().item<double>(), 1e-4) << "batched log q vs the sampler's";
  for (bool baseline : {true, false}) {
    double weight_var = 0;
    const auto got = estimator_gradient(pi, log_pi, s, xs, baseline, &weight_var);
    const double rel = (got - expected).norm().item<double>() / expected.norm().item<double>();
    std::cout << "[gdc] sampled (n=" << n << ") vs exact gradient, baseline=" << baseline
              << ": relative error " << rel << ", weight variance " << weight_var << "\n";
    EXPECT_LT(rel, 0.1) << "baseline " << baseline;
  }
}

TEST(Gdc, MomentFitRecoversKnownLambda) {
  // Toy space of 6 points with 2 binary features; target moments from a known λ*.
  const auto log_a = torch::tensor({-1.0, -2.0, -0.5, -1.5, -3.0, -0.7}, torch::kDouble).log_softmax(0);
  const auto phi = torch::tensor({0., 0., 1., 0., 0., 1., 1., 1., 1., 0., 0., 1.}, torch::kDouble).reshape({6, 2});
  const auto lambda_star = torch::tensor({1.3, -0.8}, torch::kDouble);
  const auto p = torch::softmax(log_a + phi.matmul(lambda_star), 0);
  const auto mu = p.matmul(phi);
  const std::vector<double> target = {mu[0].item<double>(), mu[1].item<double>()};
  // Exact: the enumeration weighted by a.
  auto fit = sl::fit_moments(phi, log_a, target, 1e-12);
  ASSERT_TRUE(fit.converged);
  EXPECT_NEAR(fit.lambda[0], 1.3, 1e-8);
  EXPECT_NEAR(fit.lambda[1], -0.8, 1e-8);
  // Self-normalised importance sampling on samples from a, as in training.
  torch::manual_seed(5);
  const auto idx = torch::multinomial(log_a.exp(), 200000, /*replacement=*/true);
  fit = sl::fit_moments(phi.index_select(0, idx), torch::zeros({200000}, torch::kDouble), target, 1e-6);
  ASSERT_TRUE(fit.converged);
  EXPECT_NEAR(fit.lambda[0], 1.3, 0.05);
  EXPECT_NEAR(fit.lambda[1], -0.8, 0.05);
  // A target outside what the samples can reach does not converge.
  fit = sl::fit_moments(torch::zeros({10, 1}, torch::kDouble), torch::zeros({10}, torch::kDouble), {0.5}, 1e-3);
  EXPECT_FALSE(fit.converged);
}

TEST(Gdc, TextScorers) {
  auto parse = [](const std::string& j) { return ss::parse_constraints(nlohmann::json::parse(j), "t.json"); };
  const auto c = parse(R"([{"scorer": "word", "pattern": "the"}, {"scorer": "regex", "pattern": "[0-9]{2}"},
                           {"scorer": "word", "pattern": "The", "ignore_case": true, "name": "the_ci"}])");
  ss::TextScorer word(c[0]), regex(c[1]), ci(c[2]);
  EXPECT_EQ(word("see the cat"), 1.0);
  EXPECT_EQ(word("the"), 1.0);
  EXPECT_EQ(word("other then"), 0.0);
  EXPECT_EQ(word("THE end"), 0.0);
  EXPECT_EQ(ci("THE end"), 1.0);
  EXPECT_EQ(regex("a 42 b"), 1.0);
  EXPECT_EQ(regex("a 4 b"), 0.0);
  EXPECT_EQ(c[0].name, "word0");
  EXPECT_EQ(ss::byte_text({104, 105, 256, 258}), "hi");
}

TEST(Gdc, BadConstraintsNameTheField) {
  auto err = [](const std::string& j) {
    return error_of([&] { ss::parse_constraints(nlohmann::json::parse(j), "c.json"); });
  };
  EXPECT_NE(err(R"([{"scorer": "vibes"}])").find("'gdc.constraints[0].scorer' must be word, regex"), std::string::npos);
  EXPECT_NE(err(R"([{"scorer": "regex", "pattern": "(ab"}])").find("'gdc.constraints[0].pattern' is not a valid regex"),
            std::string::npos);
  EXPECT_NE(err(R"([{"scorer": "word", "pattern": "x", "type": "distributional", "target": 1.5}])")
                .find("'gdc.constraints[0].target' must be in (0, 1)"), std::string::npos);
  EXPECT_NE(err(R"([{"scorer": "word", "pattern": "x", "type": "distributional"}])").find("'gdc.constraints[0].target' is required"),
            std::string::npos);
  EXPECT_NE(err(R"([{"scorer": "word"}])").find("'gdc.constraints[0].pattern' is required"), std::string::npos);
  EXPECT_NE(err(R"([{"scorer": "onnx", "model": "m.onnx"}])").find("'gdc.constraints[0].class' is required"),
            std::string::npos);
  EXPECT_NE(err(R"([{"scorer": "word", "pattern": "a", "name": "x"}, {"scorer": "regex", "pattern": "b", "name": "x"}])")
                .find("'gdc.constraints[1].name' repeats"), std::string::npos);
  EXPECT_NE(err(R"([{"scorer": "word", "pattern": "a", "model": "m"}])").find("'gdc.constraints[0].model' is not a field"),
            std::string::npos);
  EXPECT_NE(err("[]").find("'gdc.constraints' must be a non-empty array"), std::string::npos);
  // Through the training config.
  nlohmann::json j = {{"objective", {{"type", "gdc++"}}}};
  EXPECT_NE(error_of([&] { st::parse_train_config(j, "c.json"); }).find("'gdc.constraints' is required"), std::string::npos);
  j["gdc"] = {{"constraints", {{{"scorer", "word"}, {"pattern", "x"}}}}, {"samples", 1}};
  EXPECT_NE(error_of([&] { st::parse_train_config(j, "c.json"); }).find("'gdc.samples' must be >= 2"), std::string::npos);
  j["gdc"]["samples"] = 8;
  j["objective"] = {{"type", "dpg"}, {"baseline", true}};
  EXPECT_NE(error_of([&] { st::parse_train_config(j, "c.json"); }).find("'objective.baseline' must be false"),
            std::string::npos);
  j["objective"] = {{"type", "dpg"}};
  EXPECT_FALSE(st::parse_train_config(j, "c.json").gdc_baseline);
}

namespace {

// A small byte-level model from scratch (vocab 259: bytes, <eos> 256, <pad> 257, <bkspc> 258).
nlohmann::json byte_config(const nlohmann::json& constraints, const std::string& objective, int64_t steps) {
  return {{"model", {{"vocab_size", 259}, {"n_positions", 16}, {"n_embd", 32}, {"n_layer", 1}, {"n_head", 2},
                     {"eos_token_id", 256}, {"pad_token_id", 257}, {"bkspc_token_id", 258},
                     {"tokenizer", {{"type", "byte"}}}}},
          {"objective", {{"type", objective}}},
          {"gdc", {{"constraints", constraints}, {"samples", 32}, {"max_new_tokens", 6}, {"fit_samples", 2048}}},
          {"optim", {{"lr", 1e-3}, {"min_lr", 1e-3}, {"weight_decay", 0.0}, {"warmup_steps", 0}}},
          {"max_steps", steps}, {"seed", 3}};
}

double mean_last(const std::vector<double>& v, size_t n) {
  double s = 0;
  for (size_t i = v.size() - n; i < v.size(); ++i) s += v[i];
  return s / double(n);
}

}  // namespace

TEST(Gdc, PointwiseConstraintIsLearnedAndBaselineLowersVariance) {
  const nlohmann::json digit = {{{"scorer", "regex"}, {"pattern", "[0-9]"}, {"name", "digit"}}};
  // Gradient variance at the initial model over 24 draws, GDC++ vs DPG on the same samples.
  double var[2];
  for (int baseline = 0; baseline < 2; ++baseline) {
    st::Trainer t(st::parse_train_config(byte_config(digit, baseline ? "gdc++" : "dpg", 1), "test"));
    std::vector<torch::Tensor> g;
    for (int64_t k = 0; k < 24; ++k) {
      nlohmann::json m;
      t.model()->zero_grad();
      t.gdc()->loss(t.model(), k, m).backward();
      g.push_back(flat(grads(t.model())));
    }
    const auto G = torch::stack(g);  // (draws, params)
    var[baseline] = G.var(0).sum().item<double>();
  }
  std::cout << "[gdc] gradient variance (trace over parameters, 24 draws of 32): DPG " << var[0] << ", GDC++ "
            << var[1] << " (ratio " << var[1] / var[0] << ")\n";
  EXPECT_LT(var[1], var[0]);

  st::Trainer t(st::parse_train_config(byte_config(digit, "gdc++", 300), "test"));
  std::vector<double> sat, kl;
  int64_t refreshes = 0;
  for (int i = 0; i < 300; ++i) {
    const auto m = t.step().to_json();
    sat.push_back(m["gdc_q_digit"].get<double>());
    kl.push_back(m["gdc_kl_pi_a"].get<double>());
    refreshes = m["gdc_refreshes"].get<int64_t>();
  }
  const double first = mean_last(std::vector<double>(sat.begin(), sat.begin() + 20), 20);
  const double last = mean_last(sat, 30), kl_last = mean_last(kl, 30);
  std::cout << "[gdc] pointwise 'contains a digit': satisfaction on q's samples " << first << " (steps 1-20) -> "
            << last << " (steps 271-300); KL(pi||a) " << kl_last << " nats; proposal refreshes " << refreshes << "\n";
  EXPECT_GT(last, 0.85);
  EXPECT_GT(last, first + 0.3);
  EXPECT_LT(kl_last, 3.0);  // KL(p‖a) = −log Z ≈ −log(first): the target itself is this close to a
  EXPECT_GT(refreshes, 0);
}

TEST(Gdc, DistributionalConstraintReachesItsMoment) {
  const nlohmann::json c = {{{"scorer", "regex"}, {"pattern", "[0-9]"}, {"name", "digit"},
                             {"type", "distributional"}, {"target", 0.6}}};
  st::Trainer t(st::parse_train_config(byte_config(c, "gdc++", 250), "test"));
  std::vector<double> moment;
  double lambda = 0;
  for (int i = 0; i < 250; ++i) {
    const auto m = t.step().to_json();
    moment.push_back(m["gdc_pi_digit"].get<double>());
    lambda = m["gdc_lambda_digit"].get<double>();
  }
  const double last = mean_last(moment, 50);
  std::cout << "[gdc] distributional E[digit] target 0.6: E_pi[phi] " << moment.front() << " at step 1 -> " << last
            << " (mean of steps 201-250), lambda " << lambda << "\n";
  EXPECT_NEAR(last, 0.6, 0.08);
  EXPECT_GT(lambda, 0);
}

TEST(Gdc, CheckpointKeepsLambdaAndPartitionEstimate) {
  const nlohmann::json c = {{{"scorer", "regex"}, {"pattern", "[0-9]"}, {"name", "digit"},
                             {"type", "distributional"}, {"target", 0.5}}};
  const auto dir = seqmatch::testing::temp_dir("gdc-ckpt");
  st::Trainer a(st::parse_train_config(byte_config(c, "gdc++", 10), "test"));
  for (int i = 0; i < 3; ++i) a.step();
  a.save((dir / "ckpt").string());
  st::Trainer b(st::parse_train_config(byte_config(c, "gdc++", 10), "test"));
  b.resume((dir / "ckpt").string());
  EXPECT_EQ(b.gdc()->lambda(), a.gdc()->lambda());
  EXPECT_EQ(b.gdc()->state(), a.gdc()->state());
  // The next step is the same on both: same samples (keyed by the step), λ and Z; q restarts as π.
  const auto ma = a.step().to_json(), mb = b.step().to_json();
  EXPECT_EQ(ma["gdc_q_digit"], mb["gdc_q_digit"]);
  EXPECT_NEAR(ma["gdc_log_z"].get<double>(), mb["gdc_log_z"].get<double>(), 1e-9);
  std::error_code ec;
  seqmatch::util::remove_tree(dir.string(), ec);
}

// q ← π under LoRA: the adapters are not parameters, so a copy by parameter name alone would give
// the frozen base. The copy must compute what π computes (adapters merged), checked on logits.
TEST(Gdc, ProposalCopyCarriesLoraAdapters) {
  auto pi = tiny_model(5, torch::kFloat).ptr();
  auto lora = sm::parse_lora_block({{"r", 2}, {"alpha", 4}, {"target_modules", {"c_attn", "c_fc"}}}, "test");
  sm::attach_lora(*pi, lora, "test");
  {
    torch::NoGradGuard g;
    for (auto& p : sm::lora_parameters(*pi)) p.normal_(0.0, 0.5);  // B != 0: the adapters change π
  }
  sm::ModelConfig config;
  config.gpt2 = sm::GPT2Options().vocab_size(4).n_positions(8).n_embd(8).n_layer(1).n_head(2);
  auto base = st::frozen_copy(tiny_model(5, torch::kFloat).ptr(), config, torch::kCPU);
  auto q = st::frozen_copy(pi, config, torch::kCPU);
  pi->eval();
  auto ids = torch::tensor({{2, 0, 1, 1, 0}}, torch::kLong);
  auto pos = torch::arange(5, torch::kLong).unsqueeze(0);
  torch::NoGradGuard g;
  auto want = pi->forward(ids, pos);
  EXPECT_LT((q->forward(ids, pos) - want).abs().max().item<double>(), 1e-5);
  EXPECT_GT((base->forward(ids, pos) - want).abs().max().item<double>(), 1e-3);  // the adapters matter
}

