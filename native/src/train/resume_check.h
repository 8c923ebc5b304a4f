// What may differ between the config a checkpoint was trained with (trainer_state.json
// "config") and the config a resume is started with. Three kinds of field:
//  - bookkeeping, free to change: eval_every, eval_batches, log_every, checkpoint_every, out_dir,
//    model.tokenizer (metadata for config.json), distributed.* (timeouts and bucket sizes change no
//    value; the number of processes is checked apart, Trainer::resume);
//  - changeable when named in --allow-config-change (the run continues, but is no longer the
//    run the checkpoint started; kResumeChangeable lists them: max_steps, the lr schedule,
//    weight decay, grad clip, validation data, device, amp);
//  - everything else (seed, batch_size, objective, model, data.train, noise, replay, AdamW
//    betas/eps) is fixed: changing it silently would mix two experiments in one curve, and
//    no flag allows it (start a new run from the checkpoint with model.init instead).
// Test: ctest -R test_train (Resume*)
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "train/train_config.h"

namespace seqmatch {
namespace train {

extern const std::vector<std::string> kResumeChangeable;

// trainer_state.json of a training checkpoint directory, parsed and checked for its fields.
nlohmann::json read_trainer_state(const std::string& dir);

// Throws "resume: ..." listing every differing field (saved -> new) unless each is bookkeeping
// or named in `allowed` and changeable. A name in `allowed` that is not changeable is an error.
void check_resume_config(const nlohmann::json& saved, const TrainConfig& now,
                         const std::vector<std::string>& allowed, const std::string& dir);

// "a,b , c" -> {"a", "b", "c"}
std::vector<std::string> split_field_list(const std::string& list);

}  // namespace train
}  // namespace seqmatch
