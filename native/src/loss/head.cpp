// Q, V (and EMO's qe) from the LM head, chunked: see head.h.
#include "loss/head.h"

#include <algorithm>
#include <limits>

#include "util/autocast.h"
#include "util/check.h"

namespace seqmatch {
namespace loss {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// The dtype the statistics are kept in: float64 stays (reference tests), anything else is float32.
torch::ScalarType stat_dtype(torch::ScalarType logits) {
  return logits == torch::kDouble ? torch::kDouble : torch::kFloat;
}

// Allowed logits of one chunk of rows, in the statistics dtype: ℓ = h·Wᵀ with <bkspc> set to −inf
// where it is not legal. On CPU the product is written into `buf`, so every chunk (and the
// backward's recomputation) reuses the same pages instead of faulting in fresh ones; on CUDA the
// caching allocator reuses memory by itself, and the plain matmul lets autocast pick its dtype.
// logits_dtype (optional) receives the dtype of the product itself.
torch::Tensor allowed_chunk(const torch::Tensor& h, const torch::Tensor& w, const torch::Tensor& bk_ok,
                            int64_t bkspc_id, torch::Tensor& buf, at::ScalarType* logits_dtype = nullptr) {
  torch::Tensor x;
  if (!h.is_cuda() && h.scalar_type() == w.scalar_type() && stat_dtype(h.scalar_type()) == h.scalar_type()) {
    if (!buf.defined() || buf.size(0) < h.size(0))
      buf = torch::empty({h.size(0), w.size(0)}, h.options());
    x = buf.narrow(0, 0, h.size(0));  // (n, V), contiguous
    at::mm_out(x, h, w.t());
  } else {
    x = torch::matmul(h, w.t());  // (n, V); bf16 under CUDA autocast, like the model's own head
    if (logits_dtype) *logits_dtype = x.scalar_type();
    x = x.to(stat_dtype(x.scalar_type()));
  }
  if (bkspc_id >= 0) x.select(1, bkspc_id).masked_fill_(bk_ok.logical_not(), kNegInf);
  return x;
}

// Inputs: h (M, C) the needed states' hidden states, w (V, C) the head, e (V, C) or an empty
// tensor for none (a custom Function takes no undefined inputs), bk_ok (M); the N actions read
// from them: owner (N) their state in [0, M), ascending, and target (N); bounds (CPU, one per
// chunk of states plus one) the first action of each chunk.
// Outputs: Q (N) per action; V (M) and, with e, qe (M, C) per state.
// keep: the forward keeps π (M, V) (the one logits-sized tensor: ℓ written as one product into it,
// then turned into π in place) and the backward reads it instead of recomputing h·Wᵀ. Without EMO and with
// all of W trained, the backward then never forms ∂L/∂ℓ = g_V·π + g_Q·onehot either:
//   ∂h = g_V ⊙ (π·W) + g_Q·W[a]          ∂W = πᵀ·(g_V ⊙ h) + Σ g_Q·h at row a
// two full-width products (as a fused cross-entropy's backward runs) instead of one per chunk.
struct ChunkedHead : public torch::autograd::Function<ChunkedHead> {
  // The flat index of (owner − first, target) in a chunk's (n, V) logits, for the actions [lo, hi).
  static torch::Tensor flat_index(const torch::Tensor& owner, const torch::Tensor& target, int64_t first,
                                  int64_t lo, int64_t hi, int64_t vocab) {
    return (owner.narrow(0, lo, hi - lo) - first) * vocab + target.narrow(0, lo, hi - lo);
  }

  static variable_list forward(AutogradContext* ctx, torch::Tensor h, torch::Tensor w, torch::Tensor e,
                               torch::Tensor owner, torch::Tensor target, torch::Tensor bk_ok,
                               torch::Tensor bounds, int64_t bkspc_id, int64_t chunk, torch::Tensor grad_rows,
                               bool keep) {
    const int64_t M = h.size(0), N = owner.size(0), V = w.size(0);
    const bool has_e = e.dim() == 2;
    const auto* bound = bounds.data_ptr<int64_t>();
    torch::Tensor buf, q, v, qe, probs;
    // Each state's first action: its logit ℓ[a] (read before the softmax) and log π(a) give V.
    const auto first = torch::searchsorted(owner, torch::arange(M, owner.options()));  // (M)
    const auto ref_col = target.index_select(0, first);                                 // (M)
    // π is kept only where the product lands in our buffer (no autocast, one dtype): see lm_head_output.
    keep = keep && M > 0 && !h.is_cuda() && h.scalar_type() == w.scalar_type() &&
           stat_dtype(h.scalar_type()) == h.scalar_type();
    if (keep) probs = torch::empty({M, V}, h.options());
    at::ScalarType logits_dtype = h.scalar_type();
    // Kept: one chunk, ℓ = h·Wᵀ as one product straight into π's tensor (BLAS runs best on it whole).
    const int64_t step = keep ? M : chunk;
    for (int64_t s = 0, c = 0; s < M; s += step, ++c) {
      const int64_t n = std::min(step, M - s), lo = keep ? 0 : bound[c], hi = keep ? N : bound[c + 1];
      if (keep) buf = probs;  // the logits, then π, in place
      // The product runs under the caller's autocast (the logits dtype a forward() would give);
      // everything after it in the statistics dtype.
      auto x = allowed_chunk(h.narrow(0, s, n), w, bk_ok.narrow(0, s, n), bkspc_id, buf, &logits_dtype);
      util::AutocastOff fp32;
      if (!q.defined()) {
        q = torch::empty({N}, x.options());
        v = torch::empty({M}, x.options());
        if (has_e) qe = torch::empty({M, e.size(1)}, x.options());
      }
      if (hi > lo) q.narrow(0, lo, hi - lo).copy_(x.view(-1).index_select(0, flat_index(owner, target, s, lo, hi, V)));
      // V = ℓ[a] − log π(a) for the state's first action a, from ATen's fused row-wise log-softmax
      // (in place: one pass over the chunk, not max, subtract, exp, sum, divide).
      auto cols = ref_col.narrow(0, s, n).unsqueeze(1);
      auto ref_logit = x.gather(1, cols).squeeze(1);
      at::_log_softmax_out(x, x, 1, /*half_to_float=*/false);  // x = log π
      v.narrow(0, s, n).copy_(ref_logit - x.gather(1, cols).squeeze(1));
      if (has_e || keep) x.exp_();  // π
      if (has_e) {
        auto qe_c = qe.narrow(0, s, n);
        at::mm_out(qe_c, x, e.to(x.scalar_type()));
      }
    }
    if (!q.defined()) {  // no rows: empty outputs of the right dtype
      const auto sd = stat_dtype(torch::promote_types(h.scalar_type(), w.scalar_type()));
      q = torch::empty({0}, h.options().dtype(sd));
      v = torch::empty({0}, h.options().dtype(sd));
      if (has_e) qe = torch::empty({0, e.size(1)}, h.options().dtype(sd));
    }
    ctx->save_for_backward({h, w, e, owner, target, bk_ok, bounds, v, has_e ? qe : e, grad_rows,
                            keep ? probs : torch::empty({0}, h.options())});
    ctx->saved_data["bkspc_id"] = bkspc_id;
    ctx->saved_data["chunk"] = chunk;
    ctx->saved_data["logits_dtype"] = int64_t(logits_dtype);
    if (has_e) return {q, v, qe};
    return {q, v};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    auto h = saved[0], w = saved[1], e = saved[2], owner = saved[3], target = saved[4], bk_ok = saved[5];
    auto bounds = saved[6], v = saved[7], qe = saved[8], rows = saved[9];  // rows: empty = all of W
    auto probs = saved[10];  // π (M, V) when the forward kept it, else empty
    const int64_t bkspc_id = ctx->saved_data["bkspc_id"].toInt();
    const int64_t chunk = ctx->saved_data["chunk"].toInt();
    const auto ld = static_cast<at::ScalarType>(ctx->saved_data["logits_dtype"].toInt());
    auto g_q = grads[0], g_v = grads[1];  // (N), (M): materialised (zeros when unused)
    const bool has_e = e.dim() == 2;
    torch::Tensor g_qe = has_e ? grads[2] : torch::Tensor();
    const bool need_h = ctx->needs_input_grad(0), need_w = ctx->needs_input_grad(1);
    auto h_ld = h.to(ld), w_ld = w.to(ld);
    torch::Tensor grad_h = need_h ? torch::empty_like(h) : torch::Tensor();
    torch::Tensor grad_w = need_w ? torch::zeros_like(w) : torch::Tensor();
    torch::Tensor buf, buf2;
    const int64_t M = h.size(0), V = w.size(0);
    const bool kept = probs.dim() == 2;
    const auto* bound = bounds.data_ptr<int64_t>();
    if (kept && !has_e && rows.numel() == 0) {
      // The factorised form (see above): π is read, never written, so a retained graph can run
      // this backward again. <bkspc> where it is illegal has π = 0 and is never a target: ∂ℓ = 0.
      auto gq = g_q.to(h.scalar_type()).unsqueeze(1);  // (N, 1)
      auto gv = g_v.to(h.scalar_type()).unsqueeze(1);  // (M, 1)
      if (need_h) {
        grad_h = torch::mm(probs, w).mul_(gv);
        grad_h.index_add_(0, owner, w.index_select(0, target).mul_(gq));
      }
      if (need_w) {
        grad_w = torch::mm(probs.t(), h * gv);
        grad_w.index_add_(0, target, h.index_select(0, owner).mul_(gq));
      }
      return {grad_h, grad_w, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor(),
              torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
    }
    for (int64_t s = 0, c = 0; s < M; s += chunk, ++c) {
      const int64_t n = std::min(chunk, M - s), lo = bound[c], hi = bound[c + 1];
      auto h_c = h_ld.narrow(0, s, n);
      torch::Tensor x;  // (n, V) π
      if (kept) {
        if (!buf.defined() || buf.size(0) < n) buf = torch::empty({n, V}, probs.options());
        x = buf.narrow(0, 0, n).copy_(probs.narrow(0, s, n));  // a copy: the kept π stays intact
      } else {
        x = allowed_chunk(h_c, w_ld, bk_ok.narrow(0, s, n), bkspc_id, buf);  // (n, V) ℓ again
        at::_softmax_out(x, x, 1, /*half_to_float=*/false);                 // π, in place
      }
      torch::Tensor g;                                                          // ∂L/∂ℓ (n, V)
      if (has_e) {
        // ∂qe/∂ℓ_a = π_a (ê_a − qe): the g_qe part is π ⊙ (ê·g_qe − qe·g_qe).
        auto gqe_c = g_qe.narrow(0, s, n).to(x.scalar_type());                           // (n, C)
        if (!buf2.defined() || buf2.size(0) < n) buf2 = torch::empty({n, x.size(1)}, x.options());
        g = buf2.narrow(0, 0, n);
        at::mm_out(g, gqe_c, e.to(x.scalar_type()).t());                                 // ê·g_qe
        auto dot = (qe.narrow(0, s, n) * gqe_c).sum(1);                                  // qe·g_qe
        g.add_((g_v.narrow(0, s, n) - dot).unsqueeze(1)).mul_(x);
      } else {
        g = x.mul_(g_v.narrow(0, s, n).unsqueeze(1));
      }
      // Every action taken in these states adds its g_Q at its own logit (a state may have several).
      if (hi > lo)
        g.view(-1).index_add_(0, flat_index(owner, target, s, lo, hi, V), g_q.narrow(0, lo, hi - lo).to(g.scalar_type()));
      if (bkspc_id >= 0) g.select(1, bkspc_id).masked_fill_(bk_ok.narrow(0, s, n).logical_not(), 0.0);
      auto g_ld = g.to(ld);  // the gradient enters the head in the dtype ℓ was computed in
      if (need_h) {
        auto out = grad_h.narrow(0, s, n);
        if (out.scalar_type() == ld) at::mm_out(out, g_ld, w_ld);
        else out.copy_(torch::mm(g_ld, w_ld));
      }
      if (need_w && rows.numel() > 0) {
        grad_w.index_add_(0, rows, torch::mm(g_ld.index_select(1, rows).t(), h_c).to(grad_w.scalar_type()));
      } else if (need_w) {
        if (grad_w.scalar_type() == ld) grad_w.addmm_(g_ld.t(), h_c);
        else grad_w.add_(torch::mm(g_ld.t(), h_c));
      }
    }
    return {grad_h, grad_w, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor(),
            torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

// Logits with <bkspc> set to −inf where it is not legal: a copy (not x itself) so autograd sees
// the mask.
torch::Tensor allowed_logits(const torch::Tensor& logits, const HeadQuery& query) {
  auto x = logits.to(stat_dtype(logits.scalar_type()));  // (B, T, V)
  if (query.bkspc_id < 0) return x;
  auto col = x.select(2, query.bkspc_id);  // (B, T)
  auto masked = torch::where(query.bk_allowed, col, torch::full_like(col, kNegInf));
  auto y = x.clone();  // (B, T, V)
  y.index_put_({torch::indexing::Ellipsis, query.bkspc_id}, masked);
  return y;
}

void check_query(const torch::Tensor& x, const HeadQuery& query) {
  SM_CHECK(x.dim() == 3, "loss: expected (B, S, ·) input, got ", x.dim(), " dimensions");
  if (query.state.defined()) {
    SM_CHECK(query.state.sizes() == query.target.sizes() && x.size(0) == query.target.size(0),
             "loss: state ", query.state.sizes(), " and target ", query.target.sizes(),
             " do not match the input's rows ", x.sizes().slice(0, 2));
  } else {
    SM_CHECK(query.target.sizes() == x.sizes().slice(0, 2), "loss: target is ", query.target.sizes(),
             " but the input's rows are ", x.sizes().slice(0, 2));
  }
}

// x (B, S, ...) per state row -> (B, T, ...) per action row (data::PackedBatch::per_action).
torch::Tensor per_action(const torch::Tensor& x, const HeadQuery& query) {
  if (!query.state.defined()) return x;
  auto shape = x.sizes().vec();
  shape[1] = query.state.size(1);
  return x.gather(1, query.state.unsqueeze(2).expand(shape));
}

}  // namespace

HeadQuery policy_query(const data::PackedBatch& p, int64_t bkspc_id, const torch::Tensor& e_hat) {
  HeadQuery o;
  if (!p.causal) o.state = p.state;
  o.target = p.target;
  o.bk_allowed = p.bk_allowed;
  const int64_t T = p.loss_row.size(1);
  // V' = γ·V_{t+1}: the row after each loss row is read too.
  auto next = torch::cat({torch::zeros_like(p.loss_row.narrow(1, 0, 1)), p.loss_row.narrow(1, 0, T - 1)}, 1);
  o.rows = p.loss_row | next;
  o.bkspc_id = bkspc_id;
  o.e_hat = e_hat;
  return o;
}

HeadQuery token_query(const data::PackedBatch& p, int64_t bkspc_id) {
  HeadQuery o;
  if (!p.causal) o.state = p.state;
  o.target = p.target;
  o.bk_allowed = torch::zeros_like(p.bk_allowed);
  o.rows = p.loss_row & p.expert & p.from_model.logical_not().unsqueeze(1);
  if (bkspc_id >= 0) o.rows = o.rows & (p.target != bkspc_id);
  o.bkspc_id = bkspc_id;
  return o;
}

HeadOutput head_output(const torch::Tensor& logits, const HeadQuery& query) {
  check_query(logits, query);
  util::AutocastOff fp32;  // the logits' dtype as given; float32 at least
  auto x = allowed_logits(per_action(logits, query), query);  // (B, T, V)
  HeadOutput o;
  o.q = x.gather(2, query.target.unsqueeze(2)).squeeze(2);  // (B, T)
  o.v = torch::logsumexp(x, -1);                            // (B, T)
  if (query.e_hat.defined()) o.qe = torch::matmul(torch::softmax(x, -1), query.e_hat.to(x.scalar_type()));
  return o;
}

HeadOutput lm_head_output(const torch::Tensor& hidden, const torch::Tensor& weight,
                          const HeadQuery& query, int64_t chunk_rows, int64_t keep_bytes) {
  check_query(hidden, query);
  SM_CHECK(weight.dim() == 2 && weight.size(1) == hidden.size(2), "loss: head weight ", weight.sizes(),
           " does not match hidden states ", hidden.sizes());
  const int64_t B = query.target.size(0), T = query.target.size(1), S = hidden.size(1), C = hidden.size(2);
  if (chunk_rows <= 0)
    chunk_rows = std::max<int64_t>(1, (hidden.is_cuda() ? kCudaChunkBytes : kChunkBytes) / (4 * weight.size(0)));
  auto idx = query.rows.reshape({-1}).nonzero().squeeze(1);  // (N) needed action rows
  auto pick = [&](const torch::Tensor& t) { return t.reshape({B * T}).index_select(0, idx); };
  // The states they are taken in, each once (ascending), and each action's owner among them.
  auto row_of = torch::arange(B, idx.options()).unsqueeze(1) * S;  // (B, 1) first state row of b
  auto flat_state = query.state.defined() ? pick(query.state + row_of)
                                          : pick(torch::arange(T, idx.options()).unsqueeze(0) + row_of);
  torch::Tensor states, owner;
  std::tie(states, owner, std::ignore) = at::_unique2(flat_state, /*sorted=*/true, /*return_inverse=*/true);
  torch::Tensor order;  // actions grouped by their state, so each chunk of states reads a range
  std::tie(owner, order) = owner.sort(c10::optional<bool>(true), /*dim=*/0);  // stable
  const int64_t M = states.size(0);
  auto starts = torch::arange(0, M + chunk_rows, chunk_rows, owner.options()).clamp_max(M);
  auto bounds = torch::searchsorted(owner, starts).to(torch::kCPU, torch::kLong).contiguous();
  auto bk_state = torch::zeros({M}, query.bk_allowed.options()).index_put_({owner}, pick(query.bk_allowed).index_select(0, order));
  auto e = query.e_hat.defined() ? query.e_hat : torch::empty({0}, weight.options());
  auto grad_rows = query.grad_rows.defined() ? query.grad_rows.to(weight.device(), torch::kLong)
                                             : torch::empty({0}, weight.options().dtype(torch::kLong));
  auto per_state = ChunkedHead::apply(hidden.reshape({B * S, C}).index_select(0, states), weight, e, owner,
                                      pick(query.target).index_select(0, order), bk_state, bounds,
                                      query.bkspc_id, chunk_rows, grad_rows,
                                      /*keep=*/torch::GradMode::is_enabled() &&
                                          (hidden.requires_grad() || weight.requires_grad()) &&
                                          M * weight.size(0) * 4 <= keep_bytes);
  // Per needed action again, in idx order: Q came out grouped by state, V and qe per state.
  auto unorder = torch::empty_like(order).index_put_({order}, torch::arange(order.size(0), order.options()));
  auto by_action = owner.index_select(0, unorder);  // (N) each action's state among `states`
  std::vector<torch::Tensor> outs = {per_state[0].index_select(0, unorder), per_state[1].index_select(0, by_action)};
  if (query.e_hat.defined()) outs.push_back(per_state[2].index_select(0, by_action));
  // Back to (B, T): rows nobody reads are 0.
  auto spread = [&](const torch::Tensor& x) {
    auto shape = x.sizes().vec();
    shape[0] = B * T;
    auto full = torch::zeros(shape, x.options()).index_copy(0, idx, x);
    shape[0] = T;
    shape.insert(shape.begin(), B);
    return full.view(shape);
  };
  HeadOutput o;
  o.q = spread(outs[0]);
  o.v = spread(outs[1]);
  if (query.e_hat.defined()) o.qe = spread(outs[2]);
  return o;
}

}  // namespace loss
}  // namespace seqmatch
