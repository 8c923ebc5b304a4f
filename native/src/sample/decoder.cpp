// Backspace-aware batched decoder: see decoder.h.
#include "sample/decoder.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "util/check.h"

namespace seqmatch {
namespace sample {

const char* finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::kEos: return "eos";
    case FinishReason::kStop: return "stop";
    case FinishReason::kMaxNewTokens: return "max_new_tokens";
    case FinishReason::kMaxActions: return "max_actions";
    case FinishReason::kLength: return "length";
    case FinishReason::kCancelled: return "cancelled";
    default: return "";
  }
}

BatchDecoder::BatchDecoder(model::DecoderLM model, const model::SpecialTokens& tokens,
                           const std::vector<std::vector<int64_t>>& prompts,
                           const SamplingOptions& options)
    : model_(std::move(model)), tokens_(tokens), options_(options) {
  validate(options_);
  const int64_t n_positions = model_->max_positions(), vocab_size = model_->vocab_size();
  const int64_t B = static_cast<int64_t>(prompts.size());
  SM_CHECK(B > 0, "generate: no prompts");
  SM_CHECK(options_.row_seeds.empty() || int64_t(options_.row_seeds.size()) == B,
           "generate: row_seeds has ", options_.row_seeds.size(), " entries for ", B, " prompts");
  // Saturating: a huge max_new_tokens (the context ends the row first) must not overflow into a
  // negative cap or cache size.
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (options_.max_actions == 0)
    options_.max_actions = options_.max_new_tokens > kMax / 4 ? kMax : 4 * options_.max_new_tokens;
  int64_t longest = 0;
  for (int64_t b = 0; b < B; ++b) {
    const auto& p = prompts[b];
    SM_CHECK(!p.empty(), "generate: prompt ", b, " is empty. Hint: start it with a BOS token");
    SM_CHECK(int64_t(p.size()) < n_positions, "generate: prompt ", b, " has ", p.size(),
             " tokens; the model's context is ", n_positions);
    for (int64_t id : p) {
      SM_CHECK(id >= 0 && id < vocab_size, "generate: prompt ", b, " has token id ", id,
               " outside the vocabulary (size ", vocab_size, ")");
    }
    longest = std::max<int64_t>(longest, p.size());
  }
  max_length_ = n_positions;
  const int64_t capacity = std::min(n_positions, longest + std::min(options_.max_new_tokens, n_positions));

  out_.resize(B);
  banned_.resize(B);
  for (int64_t b = 0; b < B; ++b) {
    out_[b].tokens = prompts[b];
    out_[b].prompt_length = int64_t(prompts[b].size());
    active_.push_back(b);
  }
  auto dev = model_->device();
  cache_ = model_->make_cache(B, capacity);

  // Prefill all prompts at once (right-padded), then take each row's last real position.
  auto ids = torch::zeros({B, longest}, torch::kLong);  // (B, P)
  auto pos = torch::arange(longest, torch::kLong).unsqueeze(0).expand({B, longest}).contiguous();
  std::vector<int64_t> n_valid(B);
  for (int64_t b = 0; b < B; ++b) {
    n_valid[b] = int64_t(prompts[b].size());
    ids[b].narrow(0, 0, n_valid[b]).copy_(torch::tensor(prompts[b], torch::kLong));
  }
  torch::NoGradGuard no_grad;
  auto h = model_->hidden_cached(ids.to(dev), pos.to(dev), *cache_, n_valid);  // (B, P, C)
  auto last = torch::tensor(n_valid, torch::kLong).to(dev) - 1;                // (B)
  auto h_last = h.index({torch::arange(B, last.options()), last});              // (B, C)
  head(h_last);                                                                 // (B, V)
}

void BatchDecoder::head(const torch::Tensor& h) {
  const auto w = model_->head_weight();  // (V, C)
  if (h.scalar_type() != w.scalar_type()) {  // a caller's autocast: let the matmul pick the dtype
    logits_ = model_->lm_head(h);
    return;
  }
  // The previous step's logits are dead by now (the actions are taken): overwrite them in place.
  if (!logits_buf_.defined()) logits_buf_ = torch::empty({h.size(0), w.size(0)}, w.options());
  logits_ = logits_buf_.narrow(0, 0, h.size(0));  // rows only leave, so the prefill's B is the max
  at::mm_out(logits_, h, w.t());
}

torch::Tensor& BatchDecoder::masked_logits() {
  const int64_t bk = tokens_.bkspc;
  if (bk < 0) return logits_;
  const float neg_inf = -std::numeric_limits<float>::infinity();
  if (!options_.allow_backspace) {
    logits_.select(1, bk).fill_(neg_inf);
  } else {
    mask_prompt_backspace(logits_);
  }
  if (no_retype(options_)) mask_banned(logits_);
  return logits_;
}

void BatchDecoder::mask_banned(torch::Tensor& x) {
  const float neg_inf = -std::numeric_limits<float>::infinity();
  for (size_t i = 0; i < active_.size(); ++i) {
    const auto& t = out_[active_[i]];
    const auto& sets = banned_[active_[i]];
    const size_t depth = t.tokens.size() - size_t(t.prompt_length);
    if (depth >= sets.size() || sets[depth].empty()) continue;
    auto row = x[int64_t(i)].to(torch::kCPU, torch::kFloat).contiguous();  // (V)
    const float* r = row.data_ptr<float>();
    int64_t allowed = 0;
    for (int64_t v = 0; v < row.numel(); ++v) {
      allowed += r[v] > neg_inf && std::find(sets[depth].begin(), sets[depth].end(), v) == sets[depth].end();
    }
    if (allowed == 0) continue;  // the rule yields rather than leave the row without an action
    auto ids = torch::tensor(sets[depth], torch::kLong).to(x.device());
    x[int64_t(i)].index_fill_(0, ids, neg_inf);
  }
}

void BatchDecoder::mask_prompt_backspace(torch::Tensor& x) {
  const int64_t bk = tokens_.bkspc;
  const float neg_inf = -std::numeric_limits<float>::infinity();
  // Nothing generated yet -> <bkspc> would delete the prompt: not allowed.
  std::vector<uint8_t> block(active_.size());
  bool any = false;
  for (size_t i = 0; i < active_.size(); ++i) {
    const auto& t = out_[active_[i]];
    block[i] = int64_t(t.tokens.size()) <= t.prompt_length;
    any = any || block[i];
  }
  if (any) {
    auto m = torch::tensor(std::vector<int64_t>(block.begin(), block.end()), torch::kLong)
                 .to(x.device()).to(torch::kBool);  // (B_active)
    x.select(1, bk).masked_fill_(m, neg_inf);
  }
}

void BatchDecoder::finish(size_t slot, FinishReason reason) {
  out_[active_[slot]].finish = reason;
  finished_slot_[slot] = true;
}

void BatchDecoder::cancel(int64_t row) {
  SM_CHECK(row >= 0 && row < int64_t(out_.size()), "generate: cancel of unknown row ", row);
  auto it = std::find(active_.begin(), active_.end(), row);
  if (it == active_.end()) return;  // already finished
  const size_t slot = size_t(it - active_.begin());
  finished_slot_.assign(active_.size(), false);
  finish(slot, FinishReason::kCancelled);
  std::vector<int64_t> keep;
  for (size_t i = 0; i < active_.size(); ++i)
    if (i != slot) keep.push_back(int64_t(i));
  active_.erase(it);
  if (keep.empty()) return;
  cache_->keep_rows(keep);
  logits_ = logits_.index_select(0, torch::tensor(keep, torch::kLong).to(logits_.device()));
}

bool BatchDecoder::step(std::vector<ActionEvent>* events) {
  if (done()) return false;
  torch::NoGradGuard no_grad;
  const size_t n = active_.size();
  std::vector<double> u(n);  // the rows' uniforms: greedy decoding draws none
  for (size_t i = 0; i < n && !options_.greedy; ++i) {
    const int64_t b = active_[i];
    const uint64_t seed = options_.row_seeds.empty() ? options_.seed + uint64_t(b)
                                                     : options_.row_seeds[b];
    u[i] = counter_uniform(seed, uint64_t(out_[b].actions.size()));
  }
  torch::Tensor logp;
  auto actions_t = choose_actions(masked_logits(), options_, u,
                                  options_.logprobs ? &logp : nullptr, active_).to(torch::kCPU);
  std::vector<float> lp(n, std::nanf(""));
  if (options_.logprobs) {
    auto l = logp.to(torch::kCPU, torch::kFloat).contiguous();
    std::copy(l.data_ptr<float>(), l.data_ptr<float>() + n, lp.begin());
  }
  auto actions = actions_t.accessor<int64_t, 1>();

  finished_slot_.assign(n, false);
  std::vector<int64_t> feed_ids(n, 0), feed_pos(n, 0);
  for (size_t i = 0; i < n; ++i) {
    Trajectory& t = out_[active_[i]];
    const int64_t a = actions[i];
    t.actions.push_back(a);
    if (options_.logprobs) t.logprobs.push_back(lp[i]);
    const bool over_actions = int64_t(t.actions.size()) >= options_.max_actions;
    auto& sets = banned_[active_[i]];
    const size_t depth = t.tokens.size() - size_t(t.prompt_length);  // of the state acted on
    if (a == tokens_.bkspc) {
      // choose_actions never picks a masked action; this guards the cache against a future bug.
      SM_CHECK(depth > 0, "generate: row ", active_[i],
               ": <bkspc> chosen with nothing generated (internal error: it is masked there)");
      const int64_t removed = t.tokens.back();
      t.tokens.pop_back();
      ++t.backspaces;
      if (no_retype(options_)) {
        if (sets.size() < depth) sets.resize(depth);
        sets[depth - 1].push_back(removed);  // banned at the state it was typed in
      }
      if (events) events->push_back({active_[i], a, true, removed, lp[i]});
      const int64_t len = int64_t(t.tokens.size());
      cache_->truncate(int64_t(i), len - 1);  // roll back past the new last token...
      feed_ids[i] = t.tokens.back();          // ...and re-feed it for the shortened state
      feed_pos[i] = len - 1;
      if (over_actions) finish(i, FinishReason::kMaxActions);
      continue;
    }
    t.tokens.push_back(a);
    if (sets.size() > depth + 1) sets.resize(depth + 1);  // deeper sets belonged to another prefix
    if (events) events->push_back({active_[i], a, false, a, lp[i]});
    const int64_t len = int64_t(t.tokens.size());
    const bool is_stop = std::find(options_.stop_token_ids.begin(), options_.stop_token_ids.end(),
                                   a) != options_.stop_token_ids.end();
    if (a == tokens_.eos) finish(i, FinishReason::kEos);
    else if (is_stop) finish(i, FinishReason::kStop);
    else if (len - t.prompt_length >= options_.max_new_tokens) finish(i, FinishReason::kMaxNewTokens);
    else if (over_actions) finish(i, FinishReason::kMaxActions);
    else if (len >= max_length_) finish(i, FinishReason::kLength);
    feed_ids[i] = a;
    feed_pos[i] = len - 1;
  }

  // Finished rows leave the batch before the next forward.
  std::vector<int64_t> keep, next_active;
  for (size_t i = 0; i < n; ++i) {
    if (!finished_slot_[i]) {
      keep.push_back(int64_t(i));
      next_active.push_back(active_[i]);
    }
  }
  if (keep.empty()) {
    active_.clear();
    return false;
  }
  std::vector<int64_t> ids, pos;
  for (int64_t i : keep) {
    ids.push_back(feed_ids[i]);
    pos.push_back(feed_pos[i]);
  }
  if (keep.size() != n) cache_->keep_rows(keep);
  active_ = std::move(next_active);
  auto dev = logits_.device();
  const int64_t B = int64_t(keep.size());
  auto h = model_->hidden_cached(torch::tensor(ids, torch::kLong).view({B, 1}).to(dev),
                                 torch::tensor(pos, torch::kLong).view({B, 1}).to(dev), *cache_,
                                 std::vector<int64_t>(B, 1));  // (B, 1, C)
  head(h.squeeze(1));                                          // (B, V)
  return true;
}

}  // namespace sample
}  // namespace seqmatch
