// Prepared token data (".smtok"), written by `seqmatch prepare` (Java) or any tool, read by
// both training front ends so they see byte-identical examples:
//   bytes 0..7   magic "SMTOK01\0"
//   u64 n_examples, u64 n_tokens
//   n_examples × (u32 prompt_length, u32 length)   index; examples are stored back to back
//   n_tokens × i32                                  token ids
// Everything little-endian; sizes are checked against the file before allocating.
// A text chunk is an example whose prompt is its first token (BOS or the chunk's first word);
// a prompt/completion row keeps its prompt out of the loss. Test: ctest -R test_train
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace seqmatch {
namespace data {

struct Example {
  std::vector<int64_t> tokens;  // prompt + completion (completion ends with <eos> if any)
  int64_t prompt_length = 1;
};

std::vector<Example> read_smtok(const std::string& path);

// One example per document. A text chunk joins documents as "doc1 <eos> doc2 ..."; <eos> ends an
// episode (DESIGN.md §3), so for SequenceMatch each document must be its own trajectory (V' = 0
// after <eos> and the γ^t weights restart; no context crosses the boundary). Every example is cut
// after each <eos> in its completion (an <eos> inside the prompt, e.g. GPT-2's start token, is
// context); each later piece starts from `start_id`, the state a document begins in at generation
// time (BOS, or <eos> without one, as Chunker does for prompts), with prompt_length 1. A piece
// with nothing to predict (the chunk ends right after an <eos>) is dropped. eos_id < 0: unchanged.
// Both the training and the validation data go through it, for every objective, so every
// method is trained and scored on the same trajectories (ModelPerplexity does the same in Java).
std::vector<Example> split_documents(const std::vector<Example>& examples, int64_t eos_id,
                                     int64_t start_id);
// Writes atomically (temp + rename).
void write_smtok(const std::string& path, const std::vector<Example>& examples);

// Deterministic epoch-wise shuffled order over n examples, resumable at (epoch, index).
class Loader {
 public:
  Loader(int64_t n_examples, uint64_t seed);
  // The next example index; moves to a fresh permutation at the end of an epoch.
  int64_t next();
  int64_t epoch() const { return epoch_; }
  int64_t index() const { return index_; }
  void restore(int64_t epoch, int64_t index);

 private:
  void shuffle();
  int64_t n_;
  uint64_t seed_;
  int64_t epoch_ = 0, index_ = 0;
  std::vector<int64_t> order_;
};

}  // namespace data
}  // namespace seqmatch
