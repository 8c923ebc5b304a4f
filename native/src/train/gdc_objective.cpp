// One GDC++ / DPG step: see gdc_objective.h.
#include "train/gdc_objective.h"

#include <cmath>

#include "model/family.h"
#include "model/lora.h"
#include "sample/sampler.h"
#include "util/check.h"

namespace seqmatch {
namespace train {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double mean_of(const torch::Tensor& w, const torch::Tensor& f) { return (w * f).sum().item<double>(); }

}  // namespace

model::DecoderLM frozen_copy(const model::DecoderLM& m, model::ModelConfig config, torch::Device device) {
  model::sync_config(m, config);  // the vocabulary may have grown since config was read
  auto c = model::make_model(config);
  c->to(device, m->head_weight().scalar_type());
  copy_weights(m, c);
  for (auto& p : c->parameters()) p.requires_grad_(false);
  c->eval();
  return c;
}

void copy_weights(const model::DecoderLM& from, const model::DecoderLM& to) {
  torch::NoGradGuard no_grad;
  auto src = from->named_parameters();
  for (auto& p : to->named_parameters()) p.value().copy_(src[p.key()]);
  auto src_buffers = from->named_buffers();
  for (auto& b : to->named_buffers()) b.value().copy_(src_buffers[b.key()]);
  // LoRA branches are not parameters (model/lora.h): fold π's adapters into the copy's weights,
  // so q is the model π is, not its frozen base.
  auto targets = model::projections(*to);
  std::map<std::string, model::Projection> by_name(targets.begin(), targets.end());
  for (auto& [name, p] : model::projections(*from)) {
    if (!p->has_lora()) continue;
    auto& dst = by_name.at(name);
    dst->lora() = model::LoraBranch{p->lora().A.detach().clone(), p->lora().B.detach().clone(), p->lora().scale, 0.0};
    dst->merge_lora();
  }
}

GdcObjective::GdcObjective(const TrainConfig& config, model::DecoderLM policy, const model::ModelConfig& model_config,
                           torch::Device device)
    : config_(config), tokens_(model_config.tokens), device_(device) {
  start_token_ = tokens_.bos >= 0 ? tokens_.bos : tokens_.eos;
  SM_CHECK(start_token_ >= 0, "config: objective ", config.objective,
           " samples from a start token, but the model has neither <bos> nor <eos>");
  constraints_ = score::parse_constraints(config.gdc_constraints, "gdc");
  const auto& tok = model_config.seqmatch.contains("tokenizer") ? model_config.seqmatch["tokenizer"] : config.tokenizer;
  byte_text_ = (tok.is_object() && tok.value("type", "") == "byte") ||
               (tok.is_null() && policy->vocab_size() <= 259);
  for (const auto& c : constraints_) {
    scorers_.push_back(c.native() ? std::make_unique<score::TextScorer>(c) : nullptr);
    lambda_.push_back(0.0);
  }
  a_ = frozen_copy(policy, model_config, device_);
  q_ = frozen_copy(policy, model_config, device_);
}

std::vector<std::vector<int64_t>> GdcObjective::sample_from(model::DecoderLM m, int64_t n, uint64_t seed) {
  sample::SamplingOptions o;
  o.max_new_tokens = config_.gdc_max_new_tokens;
  o.max_actions = config_.gdc_max_new_tokens;
  o.allow_backspace = false;
  o.seed = seed;
  std::vector<std::vector<int64_t>> out;
  std::vector<std::vector<int64_t>> prompts(size_t(n), std::vector<int64_t>{start_token_});
  for (const auto& t : sample::generate(m, tokens_, prompts, o))
    out.emplace_back(t.tokens.begin() + t.prompt_length, t.tokens.end());
  return out;
}

int64_t GdcObjective::draw(int64_t step) {
  if (drawn_step_ == step) return int64_t(samples_.size());
  torch::NoGradGuard no_grad;
  samples_.clear();
  texts_.clear();
  scores_.clear();
  fit_rows_ = 0;
  bool distributional = false;
  for (const auto& c : constraints_) distributional |= c.type == score::ConstraintType::kDistributional;
  if (distributional && !fitted_) {
    samples_ = sample_from(a_, config_.gdc_fit_samples, config_.seed * 1000003ull + 0xF17ull);
    fit_rows_ = int64_t(samples_.size());
  }
  for (auto& s : sample_from(q_, config_.gdc_samples, config_.seed * 7919ull + uint64_t(step) * 1000003ull))
    samples_.push_back(std::move(s));
  drawn_step_ = step;
  return int64_t(samples_.size());
}

void GdcObjective::set_scores(const std::string& name, std::vector<double> scores) {
  bool known = false;
  for (const auto& c : constraints_) known |= c.name == name;
  SM_CHECK(known, "gdc: no constraint named '", name, "'");
  SM_CHECK(drawn_step_ >= 0, "gdc: scores for '", name, "' before any samples were drawn");
  SM_CHECK(scores.size() == samples_.size(), "gdc: ", scores.size(), " scores for '", name, "' but ",
           samples_.size(), " samples were drawn");
  for (size_t i = 0; i < scores.size(); ++i)
    SM_CHECK(scores[i] >= 0 && scores[i] <= 1, "gdc: score ", i, " of '", name, "' is ", scores[i],
             ": a constraint's score must be in [0, 1]");
  scores_[name] = std::move(scores);
}

void GdcObjective::set_texts(std::vector<std::string> texts) {
  SM_CHECK(texts.size() == samples_.size(), "gdc: ", texts.size(), " texts but ", samples_.size(),
           " samples were drawn");
  texts_ = std::move(texts);
}

void GdcObjective::check_native_scoring() const {
  for (const auto& c : constraints_) {
    SM_CHECK(c.native(), "config: constraint '", c.name, "' has scorer ", c.scorer,
             ", which the Java front end scores (seqmatch train); seqmatch-train scores word and regex");
    SM_CHECK(byte_text_, "config: constraint '", c.name, "' (scorer ", c.scorer, ") reads text, and seqmatch-train "
             "decodes only the built-in byte tokenizer; use seqmatch train for this model's tokenizer");
  }
}

torch::Tensor GdcObjective::features(int64_t begin, int64_t end) {
  const int64_t K = int64_t(constraints_.size());
  auto phi = torch::zeros({end - begin, K}, torch::kDouble);  // (rows, K)
  auto acc = phi.accessor<double, 2>();
  for (int64_t k = 0; k < K; ++k) {
    const auto& c = constraints_[size_t(k)];
    if (!c.native()) {
      auto it = scores_.find(c.name);
      SM_CHECK(it != scores_.end(), "gdc: constraint '", c.name, "' (scorer ", c.scorer,
               ") has no scores for this step: the front end scores it (seqmatch train, or api.h "
               "trainer_gdc_set_scores); the native binary scores only word and regex");
      for (int64_t i = begin; i < end; ++i) acc[i - begin][k] = it->second[size_t(i)];
      continue;
    }
    SM_CHECK(byte_text_ || !texts_.empty(), "gdc: constraint '", c.name, "' (scorer ", c.scorer,
             ") reads text, and this model's tokenizer is not the built-in byte one: the front end must "
             "decode the samples (seqmatch train does; api.h trainer_gdc_set_texts)");
    for (int64_t i = begin; i < end; ++i) {
      const auto text = texts_.empty() ? score::byte_text(samples_[size_t(i)]) : texts_[size_t(i)];
      acc[i - begin][k] = (*scorers_[size_t(k)])(text);
    }
  }
  return phi;
}

torch::Tensor sequence_log_probs(model::DecoderLM m, const std::vector<std::vector<int64_t>>& samples, int64_t begin,
                                 int64_t end, int64_t start, int64_t banned, torch::Device device) {
  const int64_t N = end - begin;
  int64_t L = 1;
  for (int64_t i = begin; i < end; ++i) L = std::max<int64_t>(L, int64_t(samples[size_t(i)].size()));
  // The (N, T, V) logits of a large vocabulary go in halves of the rows (a few copies of them live at
  // once: logits, the masked copy, log-softmax), at most ~2^26 floats each.
  if (N > 1 && N * L * m->vocab_size() > (int64_t(1) << 26)) {
    const int64_t mid = begin + N / 2;
    return torch::cat({sequence_log_probs(m, samples, begin, mid, start, banned, device),
                       sequence_log_probs(m, samples, mid, end, start, banned, device)});
  }
  auto ids = torch::full({N, L + 1}, start, torch::kLong);  // (N, T) [start, x..., pad]
  auto valid = torch::zeros({N, L}, torch::kBool);                 // (N, T-1): position t predicts x_{t+1}
  for (int64_t i = 0; i < N; ++i) {
    const auto& x = samples[size_t(begin + i)];
    for (size_t t = 0; t < x.size(); ++t) {
      ids[i][int64_t(t) + 1] = x[t];
      valid[i][int64_t(t)] = true;
    }
  }
  ids = ids.to(device);
  auto pos = torch::arange(L + 1, torch::TensorOptions().dtype(torch::kLong).device(device)).unsqueeze(0).expand({N, L + 1});
  auto logits = m->forward(ids, pos).slice(1, 0, L);  // (N, T-1, V)
  auto targets = ids.slice(1, 1, L + 1);               // (N, T-1)
  return loss::sequence_log_prob(logits, targets, valid.to(device), banned).to(torch::kDouble);
}

void GdcObjective::fit_lambda(const torch::Tensor& phi) {
  std::vector<int64_t> dist;
  std::vector<double> target;
  auto log_base = torch::zeros({phi.size(0)}, torch::kDouble);  // Σ log b over the pointwise ones
  for (size_t k = 0; k < constraints_.size(); ++k) {
    if (constraints_[k].type == score::ConstraintType::kDistributional) {
      dist.push_back(int64_t(k));
      target.push_back(constraints_[k].target);
    } else {
      log_base += phi.select(1, int64_t(k)).log();
    }
  }
  const auto sub = phi.index_select(1, torch::tensor(dist, torch::kLong));  // (n_fit, K_dist)
  const auto fit = loss::fit_moments(sub, log_base, target, config_.gdc_fit_tol);
  for (size_t j = 0; j < dist.size(); ++j) {
    const auto& c = constraints_[size_t(dist[j])];
    SM_CHECK(fit.converged, "gdc: cannot fit λ for constraint '", c.name, "': on ", phi.size(0),
             " samples from a the moment reaches ", fit.moment[j], " (target ", c.target, ", tolerance ",
             config_.gdc_fit_tol, ", λ = ", fit.lambda[j], "). Hint: the samples must contain the feature "
             "both on and off; raise gdc.fit_samples or gdc.max_new_tokens");
    lambda_[size_t(dist[j])] = fit.lambda[j];
  }
  fitted_ = true;
}

torch::Tensor GdcObjective::loss(model::DecoderLM policy, int64_t step, nlohmann::json& metrics) {
  const int64_t rows = draw(step);
  if (fit_rows_ > 0) fit_lambda(features(0, fit_rows_));
  const auto phi = features(fit_rows_, rows);  // (N, K)
  loss::GdcSamples s;
  {
    torch::NoGradGuard no_grad;
    s.log_a = sequence_log_probs(a_, samples_, fit_rows_, rows, start_token_, tokens_.bkspc, device_).cpu();
    s.log_q = sequence_log_probs(q_, samples_, fit_rows_, rows, start_token_, tokens_.bkspc, device_).cpu();
  }
  const auto log_pi = sequence_log_probs(policy, samples_, fit_rows_, rows, start_token_, tokens_.bkspc, device_);
  s.log_pi = log_pi.detach().cpu();
  s.log_P = s.log_a.clone();
  for (size_t k = 0; k < constraints_.size(); ++k) {
    const auto f = phi.select(1, int64_t(k));
    s.log_P += constraints_[k].type == score::ConstraintType::kPointwise ? f.log() : lambda_[k] * f;
  }
  z_.add(s.log_P - s.log_q);
  const auto e = loss::gdc_estimates(s, z_.log_z(), config_.gdc_baseline);
  const bool refresh = std::isfinite(e.kl_p_pi) && e.kl_p_pi < e.kl_p_q;
  if (refresh) {
    copy_weights(policy, q_);  // q ← π as evaluated above, before this step's update
    ++refreshes_;
  }
  metrics["gdc_log_z"] = z_.log_z() > -kInf ? nlohmann::json(z_.log_z()) : nlohmann::json(nullptr);
  metrics["gdc_kl_p_pi"] = std::isfinite(e.kl_p_pi) ? nlohmann::json(e.kl_p_pi) : nlohmann::json(nullptr);
  metrics["gdc_kl_p_q"] = std::isfinite(e.kl_p_q) ? nlohmann::json(e.kl_p_q) : nlohmann::json(nullptr);
  metrics["gdc_kl_pi_a"] = e.kl_pi_a;
  metrics["gdc_weight_var"] = e.weight_var;
  metrics["gdc_ess_p"] = e.ess_p;
  metrics["gdc_refresh"] = refresh ? 1 : 0;
  metrics["gdc_refreshes"] = refreshes_;
  metrics["gdc_samples"] = rows - fit_rows_;
  for (size_t k = 0; k < constraints_.size(); ++k) {
    const auto& c = constraints_[k];
    const auto f = phi.select(1, int64_t(k));
    metrics["gdc_pi_" + c.name] = mean_of(e.pi_weight, f);  // E_π[φ] by SNIS
    metrics["gdc_q_" + c.name] = f.mean().item<double>();  // on the samples of q
    if (c.type == score::ConstraintType::kDistributional) metrics["gdc_lambda_" + c.name] = lambda_[k];
  }
  drawn_step_ = -1;  // the next step draws afresh (a front end's scores belong to this draw)
  return loss::gdc_loss(log_pi, e.weight.to(log_pi.device()));
}

nlohmann::json GdcObjective::state() const {
  return {{"lambda", lambda_}, {"fitted", fitted_}, {"z_log_sum", z_.log_z() > -kInf ? z_.log_sum() : -1e308},
          {"z_count", z_.count()}, {"refreshes", refreshes_}};
}

void GdcObjective::save_proposal(torch::serialize::OutputArchive& archive) const {
  // Keys by position (archive keys are attribute names: no dots); restore checks every shape.
  const auto params = q_->parameters();
  for (size_t i = 0; i < params.size(); ++i) archive.write("q" + std::to_string(i), params[i].detach().cpu());
}

void GdcObjective::restore(const nlohmann::json& state, const std::string& dir) {
  SM_CHECK(state.is_object() && state.contains("lambda") && state["lambda"].size() == lambda_.size(),
           "checkpoint: trainer_state.json has no gdc state matching the configured constraints");
  lambda_ = state["lambda"].get<std::vector<double>>();
  fitted_ = state["fitted"].get<bool>();
  const double log_sum = state["z_log_sum"].get<double>();
  z_.restore(log_sum <= -1e308 ? -kInf : log_sum, state["z_count"].get<int64_t>());
  refreshes_ = state["refreshes"].get<int64_t>();
  const std::string path = dir + "/proposal.pt";
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path, torch::kCPU);
  } catch (const c10::Error& e) {
    const std::string why = e.what_without_backtrace();
    SM_CHECK(false, "checkpoint ", path, ": missing or unreadable (", why.substr(0, why.find('\n')), ")");
  }
  torch::NoGradGuard no_grad;
  auto params = q_->parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    torch::Tensor t;
    SM_CHECK(archive.try_read("q" + std::to_string(i), t), "checkpoint ", path, ": no tensor q", i,
             " (the proposal of another model?)");
    SM_CHECK(t.sizes() == params[i].sizes(), "checkpoint ", path, ": tensor q", i, " has shape ", t.sizes(),
             ", the model's is ", params[i].sizes());
    params[i].copy_(t);
  }
}

}  // namespace train
}  // namespace seqmatch
