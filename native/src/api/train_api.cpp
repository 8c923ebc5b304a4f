// The training half of the facade behind include/seqmatch/api.h: a shell over train::Run so
// the Java front end drives exactly the loop the native binary drives.
#include "api/handles.h"
#include "score/constraint.h"
#include "train/launcher.h"
#include "train/resume_check.h"
#include "train/run.h"

namespace seqmatch {
namespace api {

class Trainer {
 public:
  std::unique_ptr<train::Run> run;
};

namespace {

train::Run& check_trainer(Trainer* t) {
  SM_CHECK(t != nullptr && t->run, "trainer: null or closed handle");
  return *t->run;
}

}  // namespace

Trainer* trainer_create(const std::string& config_json, const std::string& origin) {
  return guarded([&] {
    auto j = nlohmann::json::parse(config_json, nullptr, /*allow_exceptions=*/false);
    SM_CHECK(!j.is_discarded(), "config ", origin, ": not valid JSON");
    auto t = std::make_unique<Trainer>();
    t->run = std::make_unique<train::Run>(train::parse_train_config(j, origin));
    return t.release();
  });
}

void trainer_resume(Trainer* trainer, const std::string& from, const std::string& allow_changes) {
  guarded([&] { check_trainer(trainer).resume(from, train::split_field_list(allow_changes)); });
}

bool trainer_finished(Trainer* trainer) {
  return guarded([&] { return check_trainer(trainer).finished(); });
}

int64_t trainer_steps_done(Trainer* trainer) {
  return guarded([&] { return check_trainer(trainer).trainer().steps_done(); });
}

int64_t trainer_max_steps(Trainer* trainer) {
  return guarded([&] { return check_trainer(trainer).trainer().config().max_steps; });
}

std::string trainer_step(Trainer* trainer) {
  return guarded([&] { return check_trainer(trainer).step().dump(); });
}

std::string trainer_finish(Trainer* trainer) {
  return guarded([&] { return check_trainer(trainer).finish().dump(); });
}

double trainer_evaluate(Trainer* trainer) {
  return guarded([&] { return check_trainer(trainer).trainer().evaluate(); });
}

void trainer_free(Trainer* trainer) { delete trainer; }

int64_t trainer_rank(Trainer* trainer) {
  return guarded([&] { return check_trainer(trainer).trainer().rank(); });
}

int64_t trainer_world_size(Trainer* trainer) {
  return guarded([&] { return check_trainer(trainer).trainer().world_size(); });
}

namespace {

train::GdcObjective& check_gdc(Trainer* t) {
  auto* g = check_trainer(t).trainer().gdc();
  SM_CHECK(g != nullptr, "trainer: objective ", check_trainer(t).trainer().config().objective,
           " is not gdc++ or dpg");
  return *g;
}

const std::vector<int64_t>& gdc_sample(Trainer* t, int64_t i) {
  const auto& s = check_gdc(t).samples();
  SM_CHECK(i >= 0 && i < int64_t(s.size()), "trainer: sample ", i, " out of range (", s.size(), " drawn)");
  return s[size_t(i)];
}

}  // namespace

std::string trainer_gdc_constraints(Trainer* trainer) {
  return guarded([&] { return score::to_json(check_gdc(trainer).constraints()).dump(); });
}

int64_t trainer_gdc_draw(Trainer* trainer) {
  return guarded([&] { return check_gdc(trainer).draw(check_trainer(trainer).trainer().steps_done()); });
}

int64_t trainer_gdc_sample_size(Trainer* trainer, int64_t i) {
  return guarded([&] { return int64_t(gdc_sample(trainer, i).size()); });
}

void trainer_gdc_sample(Trainer* trainer, int64_t i, int64_t* out) {
  guarded([&] {
    const auto& s = gdc_sample(trainer, i);
    std::copy(s.begin(), s.end(), out);
  });
}

void trainer_gdc_set_scores(Trainer* trainer, const std::string& constraint, const double* scores, int64_t n) {
  guarded([&] { check_gdc(trainer).set_scores(constraint, std::vector<double>(scores, scores + n)); });
}

void trainer_gdc_set_texts(Trainer* trainer, const std::string& texts_json) {
  guarded([&] {
    auto j = nlohmann::json::parse(texts_json, nullptr, /*allow_exceptions=*/false);
    SM_CHECK(j.is_array(), "trainer: texts must be a JSON array of strings");
    std::vector<std::string> texts;
    for (const auto& t : j) {
      SM_CHECK(t.is_string(), "trainer: texts must be a JSON array of strings (got ", t.dump(), ")");
      texts.push_back(t.get<std::string>());
    }
    check_gdc(trainer).set_texts(std::move(texts));
  });
}

int train_launch_local(const std::string& argv_json, int nproc) {
  return guarded([&] {
    auto j = nlohmann::json::parse(argv_json, nullptr, /*allow_exceptions=*/false);
    SM_CHECK(j.is_array() && !j.empty(), "--nproc: the rank command must be a non-empty JSON array of strings");
    std::vector<std::string> argv;
    for (const auto& a : j) {
      SM_CHECK(a.is_string(), "--nproc: the rank command must be a JSON array of strings (got ", a.dump(), ")");
      argv.push_back(a.get<std::string>());
    }
    return train::launch_local(argv, nproc, "seqmatch train");
  });
}

}  // namespace api
}  // namespace seqmatch
