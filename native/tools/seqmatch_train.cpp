// seqmatch-train: the native training binary. Same config format and same core (train/run.h)
// as `seqmatch train`, without a JVM:
//   seqmatch-train --config FILE [--set key=value ...] [--resume DIR|latest]
//                  [--allow-config-change a,b] [--nproc N] [--quiet]
// --nproc N starts N local ranks of this same command (train/launcher.h); under torchrun, srun or a
// PyTorchJob the ranks come from RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT instead (process_group.h).
// Only rank 0 prints progress and writes out_dir.
// Prints a progress line (step, loss terms, tokens/s, phase split, ETA) every log_every steps;
// metrics go to <out_dir>/metrics.jsonl. Exit codes: 0 ok, 1 runtime failure, 2 bad input:
// everything that fails before the first step (config, overrides, data, init checkpoint,
// out_dir lock, resume) is the user's to fix and exits 2, with the line `seqmatch train` prints.
#include <c10/util/Exception.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "train/launcher.h"
#include "train/process_group.h"
#include "train/resume_check.h"
#include "train/run.h"
#include "train/train_config.h"
#include "util/check.h"
#include "util/hugepage_malloc.h"

namespace {

const char* kUsage =
    "usage: seqmatch-train --config FILE [--set key=value ...] [--resume DIR|latest]\n"
    "                      [--allow-config-change FIELD,...] [--nproc N] [--quiet]\n"
    "  --config FILE     training configuration (JSON; docs/TRAINING.md)\n"
    "  --set key=value   override a field, e.g. --set optim.lr=1e-3 --set max_steps=200\n"
    "  --resume DIR      continue from a checkpoint directory, or 'latest' in out_dir\n"
    "  --allow-config-change FIELD,...\n"
    "                    with --resume: fields that may differ from the checkpoint's config\n"
    "                    (max_steps, optim.lr, ...; docs/TRAINING.md \"Resuming\")\n"
    "  --nproc N         data parallel: start N local processes (batch_size is the global batch;\n"
    "                    multi-node: launch with torchrun instead; docs/TRAINING.md \"Data parallel\")\n"
    "  --quiet           no progress lines\n";

std::string eta(double seconds) {
  char buf[32];
  const long s = long(std::max(0.0, seconds));
  std::snprintf(buf, sizeof(buf), "%ldm%02lds", s / 60, s % 60);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  // Huge-page malloc (util/hugepage_malloc.h), before anything allocates. --nproc ranks inherit
  // the environment, GLIBC_TUNABLES included, so they start with the tunable and do not re-execute.
  seqmatch::util::ensure_hugepage_malloc(argv);
  std::string config_path, resume, allow_changes;
  seqmatch::train::TrainConfig config;
  std::vector<std::string> overrides;
  bool quiet = false;
  int nproc = 0;
  std::vector<std::string> rank_argv = {"/proc/self/exe"};  // the command line of each --nproc rank
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const int at = i;
    auto value = [&](const char* flag) -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "seqmatch-train: " << flag << " needs a value\n" << kUsage;
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--nproc") {
      const std::string v = value("--nproc");
      char* end = nullptr;
      const long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < 1 || n > 1024) {
        std::cerr << "seqmatch-train: --nproc must be an integer in [1, 1024] (got '" << v << "')\n";
        return 2;
      }
      nproc = int(n);
      continue;
    }
    rank_argv.push_back(a);
    if (a == "--config") config_path = value("--config");
    else if (a == "--set") overrides.push_back(value("--set"));
    else if (a == "--resume") resume = value("--resume");
    else if (a == "--allow-config-change") allow_changes = value("--allow-config-change");
    else if (a == "--quiet") quiet = true;
    else if (a == "--help" || a == "-h") { std::cout << kUsage; return 0; }
    else {
      std::cerr << "seqmatch-train: unknown option '" << a << "'\n" << kUsage;
      return 2;
    }
    if (i != at) rank_argv.push_back(argv[i]);  // the option's value
  }
  if (config_path.empty()) {
    std::cerr << "seqmatch-train: --config is required\n" << kUsage;
    return 2;
  }
  if (!allow_changes.empty() && resume.empty()) {
    std::cerr << "seqmatch-train: --allow-config-change needs --resume\n" << kUsage;
    return 2;
  }
  if (nproc > 0 && std::getenv("WORLD_SIZE") != nullptr) {
    std::cerr << "seqmatch-train: --nproc starts the ranks itself, but WORLD_SIZE is already set (torchrun?): "
                 "drop one of the two\n";
    return 2;
  }
  // Set-up: any failure here is bad input (exit 2). nlohmann and std errors are caught too,
  // so no input can end in std::terminate.
  std::unique_ptr<seqmatch::train::Run> setup;
  try {
    config = seqmatch::train::load_train_config(config_path, overrides);
    if (nproc > 1) {
      // The launcher checks the config once, so a typo is one message and exit 2, not N.
      SM_CHECK(config.batch_size % nproc == 0, "config ", config_path, ": field 'batch_size' (", config.batch_size,
               ") must be divisible by --nproc ", nproc, ": batch_size is the global batch, split evenly across the ranks");
      return seqmatch::train::launch_local(rank_argv, nproc, "seqmatch-train");
    }
    setup = std::make_unique<seqmatch::train::Run>(config);
    if (auto* gdc = setup->trainer().gdc()) gdc->check_native_scoring();  // no JVM to score the rest
    setup->resume(resume, seqmatch::train::split_field_list(allow_changes));
    quiet = quiet || setup->trainer().rank() != 0;  // one progress log per job
  } catch (const c10::Error& e) {
    std::cerr << "seqmatch-train: " << e.what_without_backtrace() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "seqmatch-train: " << e.what() << "\n";
    return 2;
  }
  try {
    seqmatch::train::Run& run = *setup;
    const auto t0 = std::chrono::steady_clock::now();
    const int64_t first = run.trainer().steps_done();
    double fwd = 0, bwd = 0, roll = 0, total = 0;
    while (!run.finished()) {
      auto out = run.step();
      const auto& m = out["train"];
      fwd += m["t_forward"].get<double>(), bwd += m["t_backward"].get<double>();
      roll += m["t_rollout"].get<double>(), total += m["t_total"].get<double>();
      const int64_t s = m["step"].get<int64_t>();
      if (!quiet && (s % std::max<int64_t>(1, config.log_every) == 0 || s == config.max_steps)) {
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double per_step = elapsed / double(s - first);
        std::string gdc;  // distribution matching: the paper's curves (docs/TRAINING.md)
        if (m.contains("gdc_kl_pi_a")) {
          char buf[96];
          std::snprintf(buf, sizeof buf, " | KL(p||pi) %.3f KL(pi||a) %.3f", m["gdc_kl_p_pi"].is_number() ?
                        m["gdc_kl_p_pi"].get<double>() : NAN, m["gdc_kl_pi_a"].get<double>());
          gdc = buf;
        }
        std::printf("step %lld/%lld | loss %.4f (bc %.4f sm %.4f)%s | %.0f tok/s | fwd %.0f%% bwd %.0f%% roll %.0f%% | ETA %s\n",
                    (long long)s, (long long)config.max_steps, m["loss"].get<double>(),
                    m["bc"].get<double>(), m["sm"].get<double>(), gdc.c_str(), m["tokens_per_s"].get<double>(),
                    100 * fwd / total, 100 * bwd / total, 100 * roll / total,
                    eta(per_step * double(config.max_steps - s)).c_str());
        std::fflush(stdout);
      }
      if (out.contains("eval") && !quiet) {
        std::printf("eval step %lld | val_loss %.4f\n", (long long)s, out["eval"]["val_loss"].get<double>());
      }
    }
    auto fin = run.finish();
    if (!quiet) {
      std::printf("done | val_loss %.4f | checkpoint %s | final %s %s\n",
                  fin["eval"]["val_loss"].is_number() ? fin["eval"]["val_loss"].get<double>() : NAN,
                  fin["checkpoint"].get<std::string>().c_str(), run.trainer().lora() ? "adapter" : "model",
                  fin["final"].get<std::string>().c_str());
    }
  } catch (const c10::Error& e) {
    std::cerr << "seqmatch-train: " << e.what_without_backtrace() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "seqmatch-train: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
