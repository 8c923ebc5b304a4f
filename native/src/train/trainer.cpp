// The training loop's core: see trainer.h.
#include "train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

#include "loss/emo.h"
#include "model/family.h"
#include "loss/mle.h"
#include "loss/sequence_match.h"
#include "model/checkpoint.h"
#include "sample/sampler.h"
#include "train/gdc_objective.h"
#include "train/schedule.h"
#include "util/autocast.h"
#include "util/check.h"

namespace seqmatch {
namespace train {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0, const torch::Device& d) {
  if (d.is_cuda()) torch::cuda::synchronize();  // honest phase timings on an async device
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Every rank's rollouts in global row order (trainer.h), through two all-gathers: the sizes, then
// each rank's trajectories as [row, prompt_length, n_actions, actions...]..., padded to the longest.
std::vector<data::ActionTrace> gather_rollouts(ProcessGroup& group, const std::vector<int64_t>& rows,
                                               const std::vector<data::ActionTrace>& mine, int64_t total) {
  std::vector<int64_t> buf;
  for (size_t k = 0; k < mine.size(); ++k) {
    buf.insert(buf.end(), {rows[k], mine[k].prompt_length, int64_t(mine[k].actions.size())});
    buf.insert(buf.end(), mine[k].actions.begin(), mine[k].actions.end());
  }
  const auto sizes = group.all_gather(torch::tensor({int64_t(buf.size())}, torch::kLong), "all-gather of rollout sizes");
  int64_t longest = 1;
  for (const auto& n : sizes) longest = std::max(longest, n.item<int64_t>());
  auto padded = torch::zeros({longest}, torch::kLong);
  std::copy(buf.begin(), buf.end(), padded.data_ptr<int64_t>());
  std::vector<data::ActionTrace> out(static_cast<size_t>(total));
  std::vector<bool> seen(static_cast<size_t>(total), false);
  const auto all = group.all_gather(padded, "all-gather of rollouts");
  for (size_t r = 0; r < all.size(); ++r) {
    const auto t = all[r].contiguous();
    const int64_t* v = t.data_ptr<int64_t>();
    for (int64_t at = 0, end = sizes[r].item<int64_t>(); at < end;) {
      const int64_t row = v[at], n = v[at + 2];
      SM_CHECK(row >= 0 && row < total && !seen[size_t(row)], "rollouts: rank ", r, " sent row ", row, " twice or out of range");
      seen[size_t(row)] = true;
      out[size_t(row)].prompt_length = v[at + 1];
      out[size_t(row)].actions.assign(v + at + 3, v + at + 3 + n);
      at += 3 + n;
    }
  }
  return out;
}

}  // namespace

nlohmann::json StepMetrics::to_json() const {
  nlohmann::json j = {{"step", step}, {"lr", lr}, {"loss", loss}, {"bc", bc}, {"sm", sm},
          {"sm_phi", phi_term}, {"sm_v", v_term}, {"sm_r2", r2_term}, {"mean_r", mean_r},
          {"mean_v", mean_v}, {"v_absorb", v_absorb}, {"emo_demd", demd}, {"grad_norm", grad_norm},
          {"data_rows", data_rows}, {"model_rows", model_rows}, {"tokens", tokens},
          {"actions", actions}, {"packed_rows", packed_rows}, {"packed_positions", packed_positions},
          {"backspace_rate", actions ? double(backspaces) / double(actions) : 0.0},
          {"t_forward", t_forward}, {"t_backward", t_backward}, {"t_optim", t_optim},
          {"t_rollout", t_rollout}, {"t_total", t_total},
          {"tokens_per_s", t_total > 0 ? double(tokens) / t_total : 0.0}};
  j.update(extra);  // objective-specific metrics (gdc_*)
  return j;
}

Trainer::Trainer(TrainConfig config) : config_(std::move(config)), replay_(config_.buffer_size) {
  device_ = torch::Device(config_.device);
  SM_CHECK(!device_.is_cuda() || torch::cuda::is_available(), "config: device ", config_.device,
           " requested but CUDA is not available. Hint: set \"device\": \"cpu\"");
  amp_ = device_.is_cuda() && config_.amp != "off";
  {
    // Data parallel when started so (process_group.h): checked before the rendezvous, so every
    // rank fails fast on a batch that cannot be split.
    const auto env = distributed_env();
    SM_CHECK(config_.batch_size % env.world_size == 0, "config: field 'batch_size' (", config_.batch_size,
             ") must be divisible by the number of processes (", env.world_size,
             "): batch_size is the global batch, split evenly across the ranks");
    if (env.world_size > 1 && device_.is_cuda() && !device_.has_index()) {
      device_ = torch::Device(torch::kCUDA, int8_t(env.local_rank));  // one GPU per local rank
    }
    group_ = std::make_unique<ProcessGroup>(env, device_, std::chrono::seconds(config_.dist_timeout_s));
  }
  init_model();
  const auto& tok = model_config_.tokens;
  const int64_t n_positions = model_->max_positions(), vocab_size = model_->vocab_size();
  auto check_ids = [&](const std::vector<data::Example>& set, const std::string& path, bool validation) {
    for (size_t i = 0; i < set.size(); ++i) {
      const auto& e = set[i];
      SM_CHECK(int64_t(e.tokens.size()) <= n_positions, "data ", path, ": example ", i, " has ",
               e.tokens.size(), " tokens but the model's context is ", n_positions,
               ". Hint: prepare the data with a smaller --seq-len");
      for (int64_t t : e.tokens) {
        SM_CHECK(t < vocab_size, "data ", path, ": example ", i, " has token id ", t,
                 " outside the model's vocabulary (", vocab_size, "). Hint: was it prepared with this tokenizer?");
        // The validation NLL is over tokens only (loss/mle.h): a <bkspc> target has no probability there.
        SM_CHECK(!validation || t != tok.bkspc, "data ", path, ": example ", i, " contains <bkspc> (id ", t,
                 "): validation data must be plain text");
      }
    }
  };
  if (!config_.train_data.empty()) {  // optional for gdc++ / dpg, which learn from their own samples
    train_ = data::read_smtok(config_.train_data);
    check_ids(train_, config_.train_data, false);
  }
  if (!config_.validation_data.empty()) {
    validation_ = data::read_smtok(config_.validation_data);
    check_ids(validation_, config_.validation_data, true);
  }
  // One trajectory per document (data/dataset.h), for training and validation alike.
  const int64_t start = tok.bos >= 0 ? tok.bos : tok.eos;
  train_ = data::split_documents(train_, tok.eos, start);
  validation_ = data::split_documents(validation_, tok.eos, start);
  if (!train_.empty() || !is_gdc(config_)) loader_ = std::make_unique<data::Loader>(int64_t(train_.size()), config_.seed);
  if (is_gdc(config_)) {
    SM_CHECK(!group_->distributed(), "config: objective ", config_.objective, " runs in one process (got ",
             world_size(), " ranks)");
    gdc_ = std::make_unique<GdcObjective>(config_, model_, model_config_, device_);
  }

  noise_.eta = config_.noise_eta;
  noise_.kind = data::parse_noise_kind(config_.noise_kind);
  noise_.base_vocab = vocab_size;
  for (int64_t id : {tok.bos, tok.eos, tok.pad, tok.bkspc})
    if (id >= 0) noise_.base_vocab = std::min(noise_.base_vocab, id);
  if (noise_.kind == data::NoiseKind::kUnigram) noise_.unigram_cdf = data::unigram_cdf(train_, noise_.base_vocab);
  noise_.eos_id = tok.eos;
  SM_CHECK(noise_.kind != data::NoiseKind::kTask || !config_.noise_candidates.empty(),
           "config: noise.kind 'task' needs noise.candidates");
  if (!config_.noise_candidates.empty())
    noise_.alphabets = data::read_noise_alphabets(config_.noise_candidates);
  loss::parse_divergence(config_.divergence);  // fail early on a typo
  init_optimizer();
  if (group_->distributed()) {
    // V_abs first: it is unused before SequenceMatch starts, and the first parameters form the
    // last bucket (gradient_sync.h), so it does not hold back the overlap of the others.
    std::vector<torch::Tensor> params;
    if (v_absorb_.defined()) params.push_back(v_absorb_);
    if (lora_) {
      // The vocabulary matrices carry the token rows' gradient (model/token_rows.h).
      for (const auto& m : token_rows_.matrices()) params.push_back(m);
      for (const auto& p : model::lora_parameters(*model_)) params.push_back(p);
    } else {
      for (const auto& p : model_->parameters()) params.push_back(p);
    }
    grad_sync_ = std::make_unique<GradientSync>(*group_, params, int64_t(config_.dist_bucket_mb * 1024 * 1024));
  }
}

void Trainer::init_model() {
  if (config_.init == "scratch") {
    torch::manual_seed(config_.seed);
    model_config_ = model::parse_config(config_.scratch_model_json(), "config model");
    model_config_.tokens = {config_.bos_token_id, config_.eos_token_id, config_.pad_token_id,
                            config_.bkspc_token_id};
    model::validate_tokens(model_config_.tokens, config_.vocab_size);
    model_ = model::make_model(model_config_);
  } else {
    auto ckpt = model::load_checkpoint(config_.init, torch::kCPU);
    model_ = ckpt.model;
    model_config_ = ckpt.config;
  }
  if (model_config_.tokens.bkspc < 0) {  // e.g. a Hugging Face checkpoint: <bkspc> is added
    model_config_.tokens.bkspc = model_->vocab_size();
    model_->add_tokens(1);
    model::sync_config(model_, model_config_);
  }
  if (!config_.tokenizer.is_null()) model_config_.seqmatch["tokenizer"] = config_.tokenizer;
  model_->to(device_);
  model::set_weight_dtype(model_, model::parse_dtype(config_.dtype, "config model.dtype"));
  if (!config_.lora.is_null()) {
    // Attached after the move, so A and B are created on the device (model/lora.h); the base is
    // frozen, only the branches and the <bkspc> rows train.
    lora_ = model::parse_lora_block(config_.lora, "config");
    if (config_.init == "scratch") {
      std::fprintf(stderr, "warning: lora with model.init scratch: the base stays random and frozen, only the "
                           "adapters train. LoRA is meant for fine-tuning: set model.init to a pretrained checkpoint\n");
    }
    torch::manual_seed(config_.seed ^ 0x10EAull);  // A's init: the same for the same seed
    model::attach_lora(*model_, *lora_, "config: lora");
    if (model_config_.tokens.bkspc >= 0) token_rows_ = model::TrainableTokenRows(*model_, {model_config_.tokens.bkspc});
  }
  model_->train();
  if (config_.objective == "emo") {
    if (config_.init == "scratch") {
      // EMO's transport cost is the geometry of a trained LM head; a random one makes DEMD noise.
      std::fprintf(stderr,
                   "warning: objective emo from scratch: its cost matrix (the LM head at the start, "
                   "frozen) is random, so DEMD carries no token similarity. EMO is meant for fine-tuning: "
                   "set model.init to a pretrained checkpoint\n");
    }
    torch::NoGradGuard no_grad;
    auto w = model_->head_weight().detach().to(torch::kFloat);
    e_hat_ = (w / w.norm(2, 1, true).clamp_min(1e-12)).clone();  // (V, C)
  }
}

void Trainer::init_optimizer() {
  std::vector<torch::Tensor> decay, no_decay;  // biases and LayerNorm gains are not decayed
  if (lora_) {
    trainable_ = model::lora_parameters(*model_);
    for (const auto& v : token_rows_.parameters()) trainable_.push_back(v);
  } else {
    trainable_ = model_->parameters();
  }
  for (auto& p : trainable_) (p.dim() >= 2 ? decay : no_decay).push_back(p);
  auto opts = torch::optim::AdamWOptions(config_.lr)
                  .betas({config_.beta1, config_.beta2})
                  .eps(config_.eps)
                  .weight_decay(config_.weight_decay);
  auto no_decay_opts = opts;
  no_decay_opts.weight_decay(0.0);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(opts));
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(no_decay_opts));
  if (config_.terminal_value == "learned") {
    v_absorb_ = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat).device(device_)).requires_grad_(true);
    groups.emplace_back(std::vector<torch::Tensor>{v_absorb_},
                        std::make_unique<torch::optim::AdamWOptions>(no_decay_opts));
  }
  optimizer_ = std::make_unique<FusedAdamW>(std::move(groups), opts);  // fused kernels on CUDA
}

bool Trainer::sequence_match_active() const {
  return config_.objective == "sequence_match" && config_.lambda > 0 &&
         step_ >= config_.warmup_bc_steps;
}

std::vector<std::vector<data::ActionTrace>> Trainer::next_batch(int64_t micro) {
  const uint64_t batch_key = uint64_t(step_ * config_.grad_accum + micro);
  const int64_t n_model = sequence_match_active() && replay_.size() > 0 ? config_.model_rows : 0;
  std::vector<data::ActionTrace> data_traces;
  // Every rank walks the whole global batch and keeps the rows it owns (trainer.h): data rows are global
  // rows 0..batch_size-1, replay trajectories the rows after them.
  for (int64_t i = 0; i < config_.batch_size; ++i) {
    const auto& e = train_[size_t(loader_->next())];
    if (!owns_row(i)) continue;
    data_traces.push_back(data::augment(e, noise_, model_config_.tokens.bkspc, config_.seed,
                                        batch_key * uint64_t(config_.batch_size) + uint64_t(i)));
  }
  // Replay trajectories come on top of the data rows: E_D and E_M are normalised apart (over the global
  // batch), so the data side keeps its full batch.
  auto replayed = replay_.sample(n_model, config_.seed, batch_key);
  std::vector<data::ActionTrace> mine;
  for (size_t j = 0; j < replayed.size(); ++j)
    if (owns_row(config_.batch_size + int64_t(j))) mine.push_back(std::move(replayed[j]));
  return data::batch_rows(std::move(data_traces), std::move(mine), model_config_.tokens.bkspc);
}

void Trainer::rollout(StepMetrics& m) {
  auto t0 = Clock::now();
  torch::NoGradGuard no_grad;
  model_->eval();
  // Rollout i is generated by the rank that owns row i, with row i's seed (trainer.h).
  std::vector<std::vector<int64_t>> prompts;
  std::vector<int64_t> rows;
  sample::SamplingOptions o;
  o.max_new_tokens = config_.rollout_max_new_tokens;
  o.max_actions = 2 * config_.rollout_max_new_tokens;
  o.seed = config_.seed * 7919 + uint64_t(step_) * 1000003ull;
  for (int64_t i = 0; i < config_.rollouts; ++i) {
    const double u = sample::counter_uniform(config_.seed ^ 0x5EC0DEull, uint64_t(step_ * config_.rollouts + i));
    const auto& e = train_[std::min(train_.size() - 1, size_t(u * double(train_.size())))];
    if (!owns_row(i)) continue;
    prompts.emplace_back(e.tokens.begin(), e.tokens.begin() + e.prompt_length);
    rows.push_back(i);
    o.row_seeds.push_back(o.seed + uint64_t(i));
  }
  std::vector<data::ActionTrace> generated;
  if (!prompts.empty()) {
    for (const auto& t : sample::generate(model_, model_config_.tokens, prompts, o)) {
      data::ActionTrace tr;
      tr.prompt_length = t.prompt_length;
      tr.actions.assign(t.tokens.begin(), t.tokens.begin() + t.prompt_length);
      tr.actions.insert(tr.actions.end(), t.actions.begin(), t.actions.end());
      generated.push_back(std::move(tr));
    }
  }
  if (group_->distributed()) generated = gather_rollouts(*group_, rows, generated, config_.rollouts);
  for (auto& tr : generated) replay_.push(std::move(tr));
  model_->train();
  m.t_rollout += seconds_since(t0, device_);
}

StepMetrics Trainer::step() {
  StepMetrics m;
  const auto t_start = Clock::now();
  const int64_t bk = model_config_.tokens.bkspc, eos = model_config_.tokens.eos;
  if (sequence_match_active() && config_.model_rows > 0 &&  // model_rows 0: SM without replay
      (replay_.size() == 0 || (step_ - config_.warmup_bc_steps) % std::max<int64_t>(1, config_.sample_every) == 0)) {
    rollout(m);
  }
  const bool sm_active = sequence_match_active();
  auto sm_opts = loss::SequenceMatchOptions()
                     .divergence(loss::parse_divergence(config_.divergence))
                     .gamma(config_.gamma).alpha(config_.alpha)
                     .noise_as_expert(config_.noise_as_expert);
  optimizer_->zero_grad();
  const double accum = double(config_.grad_accum);
  // LoRA dropout draws from libtorch's generator: keyed by the step, so a resumed run draws the same.
  if (lora_ && lora_->dropout > 0) torch::manual_seed(config_.seed * 1000003ull + uint64_t(step_));
  for (int64_t micro = 0; micro < config_.grad_accum; ++micro) {
    if (gdc_) {  // distribution matching: samples from q, not data (train/gdc_objective.h)
      auto t0 = Clock::now();
      auto loss = gdc_->loss(model_, step_, m.extra);
      m.loss += loss.item<double>();
      m.t_forward += seconds_since(t0, device_);
      t0 = Clock::now();
      loss.backward();
      m.t_backward += seconds_since(t0, device_);
      continue;
    }
    auto rows = next_batch(micro);
    for (const auto& row : rows) {
      for (const auto& t : row) {
        (t.from_model ? m.model_rows : m.data_rows) += 1;
        if (t.from_model) continue;
        for (size_t i = size_t(t.prompt_length); i < t.actions.size(); ++i)
          m.tokens += t.actions[i] != bk && (t.noise.empty() || !t.noise[i]);
      }
    }
    auto p = data::pack_rows(rows, bk, eos, model_->vocab_size()).to(device_);
    // Denominators of the global batch: the losses below return this rank's share of its means.
    const auto totals = global_normalisers(p);
    m.actions += p.actions;
    m.packed_rows += p.ids.size(0);
    m.packed_positions += p.ids.numel();
    m.backspaces += p.backspaces;
    auto t0 = Clock::now();
    torch::Tensor loss;
    {
      util::AutocastGuard autocast(amp_);
      // Plain sequences need no packing mask: the causal fast path is exact for them.
      auto h = model_->hidden(p.ids, p.pos, p.causal ? torch::Tensor() : p.mask);  // (B, S, C) per state row
      // The LM head runs inside the losses, in chunks of rows: no (B, T, V) logits (loss/head.h).
      const bool emo = config_.objective == "emo";
      auto query = loss::policy_query(p, bk, emo ? e_hat_ : torch::Tensor());
      if (lora_ && !token_rows_.empty()) query.grad_rows = torch::tensor(token_rows_.ids(), torch::kLong);
      auto head = loss::lm_head_output(h, model_->head_weight_like(h), query, 0, config_.head_keep_mb << 20);
      if (emo) {
        auto t = loss::emo_loss(head, p, e_hat_, &totals);
        loss = t.loss;
        m.bc += t.mle.item<double>() / accum;
        m.demd += t.demd.item<double>() / accum;
      } else if (sm_active) {
        auto t = loss::sequence_match_loss(head, p, sm_opts, v_absorb_, &totals);
        if (v_absorb_.defined() && !v_absorb_calibrated_) {
          // First SM step: start V_abs where the mean terminal r is 0 (see trainer.h), recompute.
          auto q_share = t.terminal_q.to(torch::kCPU, torch::kDouble);
          group_->all_reduce_sum(q_share, "all-reduce of the terminal Q");
          const double q_end = q_share.item<double>();
          if (std::isfinite(q_end)) {
            {
              torch::NoGradGuard no_grad;
              v_absorb_.fill_(q_end / config_.gamma);
            }
            v_absorb_calibrated_ = true;
            t = loss::sequence_match_loss(head, p, sm_opts, v_absorb_, &totals);  // with grad again
          }
        }
        loss = (1.0 - config_.lambda) * t.bc + config_.lambda * t.sm;
        m.bc += t.bc.item<double>() / accum;
        m.sm += t.sm.item<double>() / accum;
        m.phi_term += t.phi_term.item<double>() / accum;
        m.v_term += t.v_term.item<double>() / accum;
        m.r2_term += t.r2_term.item<double>() / accum;
        m.mean_r += t.mean_r.item<double>() / accum;
        m.mean_v += t.mean_v.item<double>() / accum;
      } else {
        loss = loss::bc_loss(head, p, nullptr, &totals);
        m.bc += loss.item<double>() / accum;
      }
    }
    m.loss += loss.item<double>() / accum;
    m.t_forward += seconds_since(t0, device_);
    t0 = Clock::now();
    // Distributed: the last micro-batch's backward all-reduces the gradients (gradient_sync.h).
    if (grad_sync_) grad_sync_->prepare(micro == config_.grad_accum - 1);
    (loss / accum).backward();
    if (grad_sync_ && micro == config_.grad_accum - 1) grad_sync_->finish();
    m.t_backward += seconds_since(t0, device_);
  }
  if (group_->distributed()) {
    // Every rank's terms are shares of the global batch's (loss/normalisers.h): their sum is the
    // value one process would log. Timings stay this rank's.
    auto v = torch::tensor({m.loss, m.bc, m.sm, m.phi_term, m.v_term, m.r2_term, m.mean_r, m.mean_v, m.demd,
                            double(m.data_rows), double(m.model_rows), double(m.tokens), double(m.actions),
                            double(m.backspaces)}, torch::kDouble);
    group_->all_reduce_sum(v, "all-reduce of the step metrics");
    const double* x = v.data_ptr<double>();
    m.loss = x[0], m.bc = x[1], m.sm = x[2], m.phi_term = x[3], m.v_term = x[4], m.r2_term = x[5];
    m.mean_r = x[6], m.mean_v = x[7], m.demd = x[8];
    m.data_rows = int64_t(x[9]), m.model_rows = int64_t(x[10]), m.tokens = int64_t(x[11]);
    m.actions = int64_t(x[12]), m.backspaces = int64_t(x[13]);
  }
  auto t0 = Clock::now();
  // One global-norm clip over everything the optimizer updates, V_abs included: a large terminal
  // gradient must be scaled down with the model's, not step on its own.
  token_rows_.pull_gradients();  // LoRA: the <bkspc> rows' gradient, without the (V, C) rest
  auto clipped = trainable_;
  if (v_absorb_.defined()) clipped.push_back(v_absorb_);
  m.grad_norm = torch::nn::utils::clip_grad_norm_(
      clipped, config_.grad_clip > 0 ? config_.grad_clip : std::numeric_limits<double>::infinity());
  m.lr = learning_rate(step_, config_.lr, config_.min_lr, config_.warmup_steps, config_.max_steps);
  for (auto& group : optimizer_->param_groups())
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(m.lr);
  optimizer_->step();
  token_rows_.push_values();
  m.t_optim = seconds_since(t0, device_);
  if (v_absorb_.defined()) m.v_absorb = v_absorb_.item<double>();
  ++step_;
  m.step = step_;
  m.t_total = seconds_since(t_start, device_);
  return m;
}

loss::Normalisers Trainer::global_normalisers(const data::PackedBatch& p) {
  auto n = loss::normalisers(p, config_.gamma, config_.noise_as_expert);
  if (!group_->distributed()) return n;
  const auto a = n.as_array();
  auto t = torch::tensor(std::vector<double>(a.begin(), a.end()), torch::kDouble);
  group_->all_reduce_sum(t, "all-reduce of the loss denominators");
  return loss::Normalisers::from_array(t.data_ptr<double>());
}

double Trainer::evaluate() {
  if (validation_.empty()) return std::numeric_limits<double>::quiet_NaN();
  torch::NoGradGuard no_grad;
  model_->eval();
  const size_t n = std::min(validation_.size(), size_t(config_.eval_batches * config_.batch_size));
  const auto& tok = model_config_.tokens;
  loss::TokenNll total;
  data::NoiseOptions clean;
  for (size_t start = 0, batch = 0; start < n; start += size_t(config_.batch_size), ++batch) {
    if (!owns_row(int64_t(batch))) continue;  // distributed: validation batch k is rank k's
    std::vector<data::ActionTrace> traces;
    for (size_t i = start; i < std::min(n, start + size_t(config_.batch_size)); ++i)
      traces.push_back(data::augment(validation_[i], clean, -1, 0, 0));
    // Short documents share rows as in training; a batch of one chunk per row stays causal.
    auto p = data::pack_rows(data::batch_rows(std::move(traces), {}, tok.bkspc), tok.bkspc, tok.eos,
                             model_->vocab_size()).to(device_);
    util::AutocastGuard autocast(amp_);
    auto h = model_->hidden(p.ids, p.pos, p.causal ? torch::Tensor() : p.mask);  // (B, S, C) per state row
    auto t = loss::token_nll(loss::lm_head_output(h, model_->head_weight_like(h), loss::token_query(p, tok.bkspc)),
                             p, tok.bkspc);
    total.sum += t.sum;
    total.tokens += t.tokens;
  }
  model_->train();
  if (group_->distributed()) {
    auto t = torch::tensor({total.sum, double(total.tokens)}, torch::kDouble);
    group_->all_reduce_sum(t, "all-reduce of the validation loss");
    total.sum = t[0].item<double>();
    total.tokens = int64_t(t[1].item<double>());
  }
  return total.tokens ? total.sum / double(total.tokens) : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace train
}  // namespace seqmatch
