// Trainable rows of the vocabulary matrices (the added <bkspc> row) while the rest stays frozen,
// as PEFT's trainable_token_indices does. The matrices are found by their Hugging Face parameter
// names: "wte.weight" (GPT-2, tied head), "…embed_tokens.weight" and an untied "…lm_head.weight"
// (Llama/Qwen); a head tied to the embedding (the same tensor) counts once.
// How the rows train without a (V, C) optimizer state: each matrix keeps requires_grad so that
// autograd still reaches it through the embedding lookup and the LM head, but it is in no
// optimizer group. The optimizer holds one (n, C) float32 tensor per matrix, `values`. After the
// backward pass pull_gradients() copies the n rows of the matrix's gradient into values.grad and
// drops the (V, C) gradient; after the optimizer step push_values() writes values back into the
// matrix rows, so every forward (training, rollouts, validation) sees the current rows. The LM
// head computes only those rows of its ∂W (loss/head.h HeadQuery::grad_rows: k·C per chunk, not
// V·C), the embedding's backward scatters into a dense (V, C) buffer; that zero-filled (V, C)
// gradient lives only between backward and the step, and the AdamW moments are (n, C). Data
// parallel all-reduces it with the adapters' gradients (train/gradient_sync.h's hooks sit on the
// matrix). Test: ctest -R test_lora
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace seqmatch {
namespace model {

struct TokenRowsEntry {
  std::string module;    // the matrix's module ("wte", "model.embed_tokens", "lm_head")
  torch::Tensor matrix;  // (V, C) the model's parameter
  torch::Tensor values;  // (n, C) float32 leaf: the rows being trained
};

// The HF-named vocabulary matrices of `model` as (module name, parameter), tied ones once.
std::vector<std::pair<std::string, torch::Tensor>> vocabulary_matrices(torch::nn::Module& model);

class TrainableTokenRows {
 public:
  TrainableTokenRows() = default;
  // Rows `ids` of every vocabulary matrix of `model` (each id < V) become trainable.
  TrainableTokenRows(torch::nn::Module& model, std::vector<int64_t> ids);

  bool empty() const { return ids_.empty(); }
  const std::vector<int64_t>& ids() const { return ids_; }
  std::vector<TokenRowsEntry>& entries() { return entries_; }
  const std::vector<TokenRowsEntry>& entries() const { return entries_; }
  std::vector<torch::Tensor> parameters() const;  // the `values` tensors
  std::vector<torch::Tensor> matrices() const;    // what autograd (and gradient sync) reaches
  // After backward: values.grad ← matrix.grad[ids] (accumulated), matrix.grad dropped.
  void pull_gradients();
  // After an optimizer step (or a load into values): matrix[ids] ← values.
  void push_values();

 private:
  std::vector<int64_t> ids_;
  std::vector<TokenRowsEntry> entries_;
};

}  // namespace model
}  // namespace seqmatch
