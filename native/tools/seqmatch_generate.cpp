// seqmatch-generate: batched generation from a checkpoint without a JVM, over the same
// backspace-aware sampler as `seqmatch generate` (sample/sampler.h). It exists so that a machine
// with libtorch but no Java (a GPU node) can train with seqmatch-train and then produce the
// generations that `seqmatch eval --generations` scores with the same task checkers.
//   seqmatch-generate --checkpoint DIR --prompts FILE --out FILE [options]
// Input, one JSON object per line:  {"id": ..., "prompt_ids": [ids, prompt encoded as in training]}
// Output, one line per (prompt, seed): {"id": ..., "seed": null|s, "tokens": [generated ids, final
// state], "finish_reason": "...", "backspaces": n, "actions": n}  (docs/TRAINING.md "Generations").
// Exit codes: 0 ok, 1 runtime failure, 2 bad input.
#include <c10/util/Exception.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "model/checkpoint.h"
#include "sample/sampler.h"
#include "util/hugepage_malloc.h"
#include <unistd.h>

#include <filesystem>

namespace {

const char* kUsage =
    "usage: seqmatch-generate --checkpoint DIR --prompts FILE --out FILE [options]\n"
    "  --checkpoint DIR      model directory (config.json + model.safetensors)\n"
    "  --prompts FILE        JSONL, one {\"id\": ..., \"prompt_ids\": [...]} per line\n"
    "  --out FILE            JSONL generations, written atomically\n"
    "  --greedy              argmax decoding (the no-retype rule is always on for greedy)\n"
    "  --seeds S1,S2,...     sampling seeds: one generation per prompt and seed (default 0)\n"
    "  --temperature T       sampling temperature (default 1)\n"
    "  --top-k K / --top-p P  sampling filters (default off)\n"
    "  --no-retype           also apply the no-retype rule when sampling (DESIGN.md §3)\n"
    "  --no-backspace        never take <bkspc>\n"
    "  --max-new-tokens N    generated tokens in the final state (default 64)\n"
    "  --max-actions N       actions incl. <bkspc> per row (default 4 x max-new-tokens)\n"
    "  --batch N             rows decoded together (default 256)\n"
    "  --device D            cpu (default) or cuda[:i]\n";

[[noreturn]] void bad_input(const std::string& message) {
  std::cerr << "seqmatch-generate: " << message << "\n";
  std::exit(2);
}

struct Prompt {
  nlohmann::json id;
  std::vector<int64_t> ids;
};

std::vector<Prompt> read_prompts(const std::string& path) {
  std::ifstream in(path);
  if (!in) bad_input("cannot read --prompts " + path);
  std::vector<Prompt> out;
  std::string line;
  int64_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(lineno) + ": ";
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      bad_input(where + "not a JSON object");
    }
    if (!j.is_object() || !j.contains("prompt_ids") || !j["prompt_ids"].is_array())
      bad_input(where + "needs \"prompt_ids\": an array of token ids");
    Prompt p;
    p.id = j.contains("id") ? j["id"] : nlohmann::json(out.size());
    for (const auto& v : j["prompt_ids"]) {
      if (!v.is_number_integer()) bad_input(where + "prompt_ids holds a non-integer value");
      p.ids.push_back(v.get<int64_t>());
    }
    if (p.ids.empty()) bad_input(where + "prompt_ids is empty");
    out.push_back(std::move(p));
  }
  if (out.empty()) bad_input("--prompts " + path + " holds no prompts");
  return out;
}

std::vector<uint64_t> parse_seeds(const std::string& text) {
  std::vector<uint64_t> seeds;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      size_t used = 0;
      const long long v = std::stoll(item, &used);
      if (used != item.size() || v < 0) throw std::invalid_argument(item);
      seeds.push_back(uint64_t(v));
    } catch (const std::exception&) {
      bad_input("--seeds: '" + item + "' is not a non-negative integer");
    }
  }
  if (seeds.empty()) bad_input("--seeds is empty");
  return seeds;
}

}  // namespace

int main(int argc, char** argv) {
  seqmatch::util::ensure_hugepage_malloc(argv);  // huge-page malloc: see util/hugepage_malloc.h
  std::string checkpoint, prompts_path, out_path, device = "cpu", seeds_text = "0";
  seqmatch::sample::SamplingOptions o;
  int64_t batch = 256;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* flag) -> std::string {
      if (i + 1 >= argc) bad_input(std::string(flag) + " needs a value");
      return argv[++i];
    };
    auto number = [&](const char* flag) -> double {
      const std::string v = value(flag);
      try {
        size_t used = 0;
        const double d = std::stod(v, &used);
        if (used == v.size()) return d;
      } catch (const std::exception&) {
      }
      bad_input(std::string(flag) + ": '" + v + "' is not a number");
    };
    if (a == "--checkpoint") checkpoint = value("--checkpoint");
    else if (a == "--prompts") prompts_path = value("--prompts");
    else if (a == "--out") out_path = value("--out");
    else if (a == "--device") device = value("--device");
    else if (a == "--seeds") seeds_text = value("--seeds");
    else if (a == "--greedy") o.greedy = true;
    else if (a == "--no-retype") o.no_retype = true;
    else if (a == "--no-backspace") o.allow_backspace = false;
    else if (a == "--temperature") o.temperature = number("--temperature");
    else if (a == "--top-k") o.top_k = int64_t(number("--top-k"));
    else if (a == "--top-p") o.top_p = number("--top-p");
    else if (a == "--max-new-tokens") o.max_new_tokens = int64_t(number("--max-new-tokens"));
    else if (a == "--max-actions") o.max_actions = int64_t(number("--max-actions"));
    else if (a == "--batch") batch = int64_t(number("--batch"));
    else if (a == "--help" || a == "-h") { std::cout << kUsage; return 0; }
    else bad_input("unknown option '" + a + "'\n" + kUsage);
  }
  if (checkpoint.empty() || prompts_path.empty() || out_path.empty())
    bad_input(std::string("--checkpoint, --prompts and --out are required\n") + kUsage);
  if (batch < 1) bad_input("--batch must be >= 1");
  const auto prompts = read_prompts(prompts_path);
  // Greedy decoding ignores seeds: one generation per prompt, written with "seed": null.
  const std::vector<uint64_t> seeds = o.greedy ? std::vector<uint64_t>{0} : parse_seeds(seeds_text);
  try {
    seqmatch::sample::validate(o);
    const torch::Device dev(device);
    auto ck = seqmatch::model::load_checkpoint(checkpoint, dev);
    ck.model->eval();
    std::ostringstream text;
    const auto t0 = std::chrono::steady_clock::now();
    int64_t done = 0, total = int64_t(prompts.size() * seeds.size()), actions = 0;
    for (uint64_t seed : seeds) {
      for (size_t start = 0; start < prompts.size(); start += size_t(batch)) {
        const size_t end = std::min(prompts.size(), start + size_t(batch));
        std::vector<std::vector<int64_t>> ids;
        for (size_t p = start; p < end; ++p) ids.push_back(prompts[p].ids);
        // Row seeds keyed by (seed, prompt index), so a prompt's sample does not depend on
        // the batch it was decoded in.
        auto opts = o;
        opts.row_seeds.clear();
        for (size_t p = start; p < end; ++p) opts.row_seeds.push_back(seed * 1000003ull + uint64_t(p));
        const auto trajectories =
            seqmatch::sample::generate(ck.model, ck.config.tokens, ids, opts);
        for (size_t r = 0; r < trajectories.size(); ++r) {
          const auto& t = trajectories[r];
          nlohmann::json line;
          line["id"] = prompts[start + r].id;
          line["seed"] = o.greedy ? nlohmann::json(nullptr) : nlohmann::json(seed);
          line["tokens"] = std::vector<int64_t>(t.tokens.begin() + t.prompt_length, t.tokens.end());
          line["finish_reason"] = seqmatch::sample::finish_reason_name(t.finish);
          line["backspaces"] = t.backspaces;
          line["actions"] = int64_t(t.actions.size());
          text << line.dump() << "\n";
          actions += int64_t(t.actions.size());
        }
        done += int64_t(end - start);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::fprintf(stderr, "\rseqmatch-generate: %lld/%lld rows | %.0f actions/s | ETA %.0fs   ",
                     (long long)done, (long long)total, double(actions) / std::max(s, 1e-9),
                     s / double(done) * double(total - done));
      }
    }
    std::fprintf(stderr, "\n");
    // temp + rename: a reader never sees a half-written file, a crash leaves the old one.
    const std::string tmp = out_path + ".tmp-" + std::to_string(::getpid());
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << text.str();
      out.flush();
      if (!out) throw std::runtime_error("cannot write " + tmp);
    }
    std::filesystem::rename(tmp, out_path);
  } catch (const c10::Error& e) {
    std::cerr << "seqmatch-generate: " << e.what_without_backtrace() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "seqmatch-generate: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
