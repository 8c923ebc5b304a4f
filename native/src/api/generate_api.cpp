// The generation half of the facade behind include/seqmatch/api.h: a thin shell over
// sample::BatchDecoder that copies prompts in and results out through plain arrays.
#include <algorithm>
#include <cmath>

#include "api/handles.h"

namespace seqmatch {
namespace api {

namespace {

Generation* check_generation(Generation* g) {
  SM_CHECK(g != nullptr && g->decoder, "generation: null or closed handle");
  return g;
}

const sample::Trajectory& trajectory(Generation* g, int64_t row) {
  const auto& all = check_generation(g)->decoder->trajectories();
  SM_CHECK(row >= 0 && row < int64_t(all.size()), "generation: row ", row, " out of range 0..",
           int64_t(all.size()) - 1);
  return all[size_t(row)];
}

}  // namespace

Generation* generation_start(Model* model, const int64_t* prompt_ids, const int64_t* prompt_lengths,
                             int64_t B, const int64_t* stop_ids, int64_t n_stop,
                             const int64_t* row_seeds, const SamplingParams& params) {
  return guarded([&] {
    check_model(model);
    SM_CHECK(B > 0 && prompt_ids != nullptr && prompt_lengths != nullptr,
             "generate: need at least one prompt (got B=", B, ")");
    std::vector<std::vector<int64_t>> prompts(static_cast<size_t>(B));
    int64_t offset = 0;
    for (int64_t b = 0; b < B; ++b) {
      SM_CHECK(prompt_lengths[b] >= 0, "generate: prompt ", b, " has negative length");
      prompts[size_t(b)].assign(prompt_ids + offset, prompt_ids + offset + prompt_lengths[b]);
      offset += prompt_lengths[b];
    }
    sample::SamplingOptions o;
    o.max_new_tokens = params.max_new_tokens;
    o.max_actions = params.max_actions;
    o.temperature = params.temperature;
    o.top_k = params.top_k;
    o.top_p = params.top_p;
    o.greedy = params.greedy;
    o.allow_backspace = params.allow_backspace;
    o.no_retype = params.no_retype;
    o.seed = uint64_t(params.seed);
    o.logprobs = params.logprobs;
    if (stop_ids != nullptr) o.stop_token_ids.assign(stop_ids, stop_ids + std::max<int64_t>(n_stop, 0));
    if (row_seeds != nullptr) {
      for (int64_t b = 0; b < B; ++b) o.row_seeds.push_back(uint64_t(row_seeds[b]));
    }
    auto g = std::make_unique<Generation>();
    g->decoder = std::make_unique<sample::BatchDecoder>(model->lm, model->config.tokens, prompts, o);
    return g.release();
  });
}

int64_t generation_step(Generation* generation) {
  return guarded([&] {
    auto* g = check_generation(generation);
    g->events.clear();
    g->decoder->step(&g->events);
    return int64_t(g->events.size());
  });
}

float generation_event(Generation* generation, int64_t i, int64_t* out4) {
  return guarded([&] {
    auto* g = check_generation(generation);
    SM_CHECK(i >= 0 && i < int64_t(g->events.size()), "generation: event ", i, " out of range");
    const auto& e = g->events[size_t(i)];
    out4[0] = e.row;
    out4[1] = e.action;
    out4[2] = e.backspace ? 1 : 0;
    out4[3] = e.token;
    return e.logprob;
  });
}

void generation_run(Generation* generation) {
  guarded([&] {
    auto* g = check_generation(generation);
    while (g->decoder->step(nullptr)) {
    }
  });
}

bool generation_done(Generation* generation) {
  return guarded([&] { return check_generation(generation)->decoder->done(); });
}

void generation_cancel(Generation* generation, int64_t row) {
  guarded([&] { check_generation(generation)->decoder->cancel(row); });
}

void generation_free(Generation* generation) { delete generation; }

int64_t generation_rows(Generation* generation) {
  return guarded([&] { return int64_t(check_generation(generation)->decoder->trajectories().size()); });
}

int64_t generation_prompt_length(Generation* g, int64_t row) {
  return guarded([&] { return trajectory(g, row).prompt_length; });
}

int64_t generation_tokens_size(Generation* g, int64_t row) {
  return guarded([&] { return int64_t(trajectory(g, row).tokens.size()); });
}

int64_t generation_actions_size(Generation* g, int64_t row) {
  return guarded([&] { return int64_t(trajectory(g, row).actions.size()); });
}

void generation_tokens(Generation* g, int64_t row, int64_t* out) {
  guarded([&] {
    const auto& t = trajectory(g, row).tokens;
    std::copy(t.begin(), t.end(), out);
  });
}

void generation_actions(Generation* g, int64_t row, int64_t* out) {
  guarded([&] {
    const auto& a = trajectory(g, row).actions;
    std::copy(a.begin(), a.end(), out);
  });
}

void generation_logprobs(Generation* g, int64_t row, float* out) {
  guarded([&] {
    const auto& t = trajectory(g, row);
    for (size_t i = 0; i < t.actions.size(); ++i) {
      out[i] = i < t.logprobs.size() ? t.logprobs[i] : std::nanf("");
    }
  });
}

int64_t generation_backspaces(Generation* g, int64_t row) {
  return guarded([&] { return trajectory(g, row).backspaces; });
}

std::string generation_finish_reason(Generation* g, int64_t row) {
  return guarded([&] { return std::string(sample::finish_reason_name(trajectory(g, row).finish)); });
}

}  // namespace api
}  // namespace seqmatch
