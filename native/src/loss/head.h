// What every loss reads from the LM head, per packed row t (DESIGN.md §3):
//   Q_t = ℓ_t[a_{t+1}]                   the logit of the next action (Q(s_t, a_{t+1}))
//   V_t = logsumexp of the allowed ℓ_t   (V(s_t); <bkspc> allowed only where something is generated)
//   qe_t = Σ_a π(a|s_t)·ê_a              EMO only: the policy's mean frozen embedding (emo.h)
// BC/MLE (−(Q − V)), SequenceMatch (Q, V, V', r, the χ² terms) and EMO all derive from these, so
// they share one logsumexp and never need the logits themselves.
//
// lm_head_output() computes them from the final hidden states h (B, T, C) and the head weight
// W (V, C) in chunks of rows, and never materialises more than one logits-sized tensor. Two
// regimes, by size:
// - π kept (the needed states' π = softmax of the allowed logits fits `keep_bytes`, 512 MiB by
//   default: 206 MB at vocab 50,259 and batch 8×128): the forward writes the logits chunk by chunk
//   into one (M, V) tensor and turns them into π in place; the backward reads π and runs two
//   full-width products, ∂h = g_V ⊙ (π·W) + g_Q·W[a] and ∂W = πᵀ·(g_V ⊙ h) + Σ g_Q·h at row a, the
//   work of a fused cross-entropy's backward with no ∂ℓ tensor. (EMO and LoRA's row-restricted
//   ∂W form ∂ℓ per chunk from the kept π instead.)
// - recomputed (larger batches or vocabularies, and under autocast): ℓ exists for one chunk at a
//   time, in one reused buffer, and the backward recomputes each chunk's logits (one extra h·Wᵀ
//   matmul) and pushes the usual per-row gradient
//     ∂L/∂ℓ_t = g_V·π_t + g_Q·onehot(a_{t+1}) + π_t ⊙ (ê·g_qe − qe_t·g_qe)
//   through the head chunk by chunk (∂h = ∂ℓ·W, ∂W += ∂ℓᵀ·h).
// Only the rows a loss reads are computed (`rows`: loss rows and their successors), so padding
// costs nothing in the head, and each distinct state once: the action rows taken in the same
// state (a state revisited after <bkspc>, data/pack.h) share its logits, V and qe, and only Q
// (one logit per action) is read per action row.
// head_output() is the same from full logits (B, S, V): the plain-autograd reference that tests
// compare the chunked path with, and the entry point for callers that already hold logits.
// Test: ctest -R test_loss (chunked == full logits in float64, values and gradients)
// Legend: B packed rows, S state rows, T action rows (data/pack.h), V vocabulary, C embedding width.
#pragma once

#include <torch/torch.h>

#include "data/pack.h"

namespace seqmatch {
namespace loss {

// Which action set the softmax is over, and which rows are needed.
struct HeadQuery {
  torch::Tensor state;       // (B, T) int64: the state row of action row t; undefined: S = T, row t
  torch::Tensor target;      // (B, T) int64: a_{t+1}
  torch::Tensor bk_allowed;  // (B, T) bool: <bkspc> is a legal action at s_t
  torch::Tensor rows;        // (B, T) bool: action rows whose outputs a loss reads
  int64_t bkspc_id = -1;     // -1: no <bkspc> in the vocabulary
  torch::Tensor e_hat;       // (V, C) frozen, row-normalised embeddings, or undefined (no qe)
  // (k) int64 or undefined: the only rows of W whose gradient is wanted (LoRA trains only the
  // <bkspc> row, model/token_rows.h); ∂W is then k·C per chunk instead of V·C, other rows stay 0.
  torch::Tensor grad_rows;
};

// The policy over vocab ∪ {<bkspc>} on every loss row and the row after it (V' = γ·V_{t+1}).
HeadQuery policy_query(const data::PackedBatch& p, int64_t bkspc_id, const torch::Tensor& e_hat = {});
// The vocabulary alone (<bkspc> never allowed) on expert data rows: the token-only NLL (mle.h).
HeadQuery token_query(const data::PackedBatch& p, int64_t bkspc_id);

// Per action row, whatever the input's state rows.
struct HeadOutput {
  torch::Tensor q;   // (B, T) Q_t; unspecified on rows not in the query
  torch::Tensor v;   // (B, T) V_t; unspecified on rows not in the query
  torch::Tensor qe;  // (B, T, C) fp32 when the query has e_hat, else undefined
};

// From full logits (B, S, V) per state row (a forward of the packed ids): float32 at least
// (float64 stays float64).
HeadOutput head_output(const torch::Tensor& logits, const HeadQuery& query);

// From hidden states (B, S, C) and the LM head weight (V, C), in chunks of `chunk_rows` state rows
// (0: as many as fit kChunkBytes of float32 logits on CPU, kCudaChunkBytes on CUDA). Under autocast
// ℓ is computed in the autocast dtype, as the model's own head would be, and everything after it in
// float32. keep_bytes: the largest π (M × V float32) the forward keeps for the backward (0: never).
// Why two sizes: on CPU a chunk is sized for memory (RSS; docs/PERFORMANCE.md "Memory"). On a GPU
// 16 MiB is 83 rows at GPT-2's vocabulary: every chunk's products are skinny GEMMs far from the
// tensor cores' rate and a 124M step launches ~100 chunks × ~25 kernels each way, the likely cause
// of the 2.35× against PyTorch eager measured on an H200 (docs/PERFORMANCE.md "GPU"). 256 MiB is
// 1,335 rows (7 chunks for 8,192 rows) and a few hundred MiB of buffers beside 100+ GiB; chosen from
// that arithmetic, to be confirmed by the chunk sweep in scripts/gpu/check_cuda.sh.
constexpr int64_t kChunkBytes = 16 << 20;
constexpr int64_t kCudaChunkBytes = int64_t(256) << 20;
constexpr int64_t kKeepBytes = int64_t(512) << 20;
HeadOutput lm_head_output(const torch::Tensor& hidden, const torch::Tensor& weight,
                          const HeadQuery& query, int64_t chunk_rows = 0, int64_t keep_bytes = kKeepBytes);

}  // namespace loss
}  // namespace seqmatch
