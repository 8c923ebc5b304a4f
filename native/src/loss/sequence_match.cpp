// The SequenceMatch loss: see sequence_match.h.
#include "loss/sequence_match.h"

#include <algorithm>
#include <cmath>

#include "util/check.h"

namespace seqmatch {
namespace loss {

Divergence parse_divergence(const std::string& name) {
  if (name == "chi2-mixture") return Divergence::kChi2Mixture;
  if (name == "chi2") return Divergence::kChi2;
  if (name == "kl") return Divergence::kKL;
  if (name == "js") return Divergence::kJS;
  if (name == "hellinger") return Divergence::kHellinger;
  SM_CHECK(false, "divergence: unknown '", name,
           "' (expected chi2-mixture, chi2, kl, js or hellinger)");
  return Divergence::kChi2Mixture;
}

const char* divergence_name(Divergence d) {
  switch (d) {
    case Divergence::kChi2Mixture: return "chi2-mixture";
    case Divergence::kChi2: return "chi2";
    case Divergence::kKL: return "kl";
    case Divergence::kJS: return "js";
    case Divergence::kHellinger: return "hellinger";
  }
  return "?";
}

torch::Tensor phi(Divergence d, const torch::Tensor& r) {
  switch (d) {
    case Divergence::kChi2Mixture: return r;
    case Divergence::kChi2: return r - r * r / 4.0;
    case Divergence::kKL: return -torch::exp(-r - 1.0);
    // js and hellinger are finite only for r > −ln 2 and r > −1: r is clamped just inside the
    // domain so a badly initialised model gives a large but finite loss, not NaN.
    case Divergence::kJS: return torch::log(2.0 - torch::exp(-r.clamp_min(-std::log(2.0) + 1e-4)));
    case Divergence::kHellinger: {
      auto rc = r.clamp_min(-1.0 + 1e-4);
      return rc / (1.0 + rc);
    }
  }
  return r;
}

double r2_coefficient(Divergence d, double alpha) {
  return d == Divergence::kChi2Mixture ? 1.0 / (4.0 * alpha) : 0.0;
}

LossTerms sequence_match_loss(const torch::Tensor& logits, const data::PackedBatch& p,
                              int64_t bkspc_id, const SequenceMatchOptions& o,
                              const torch::Tensor& v_absorb, const Normalisers* totals) {
  return sequence_match_loss(head_output(logits, policy_query(p, bkspc_id)), p, o, v_absorb, totals);
}

LossTerms sequence_match_loss(const HeadOutput& head, const data::PackedBatch& p,
                              const SequenceMatchOptions& o, const torch::Tensor& v_absorb,
                              const Normalisers* totals) {
  SM_CHECK(o.gamma() > 0 && o.gamma() <= 1, "sequence_match: gamma must be in (0, 1] (got ", o.gamma(), ")");
  SM_CHECK(o.alpha() > 0, "sequence_match: alpha must be > 0 (got ", o.alpha(), ")");
  const Normalisers n = totals ? *totals : normalisers(p, o.gamma(), o.noise_as_expert());
  auto val = values(head, p, o.gamma(), v_absorb);
  auto data_rows = p.loss_row & p.from_model.logical_not().unsqueeze(1);  // (B, T)
  auto model_rows = p.loss_row & p.from_model.unsqueeze(1);               // (B, T)
  auto expert_rows = o.noise_as_expert() ? data_rows : data_rows & p.expert;
  // Σ w·x over `rows` / total: a weighted mean whose denominator is given (0 when it is 0).
  auto weighted_share = [&](const torch::Tensor& v, const torch::Tensor& rows, double total) {
    return (val.w * rows.to(val.w.dtype()) * v).sum() / std::max(total, 1e-12);
  };

  LossTerms out;
  // −E_D[w·φ(r)]: normalised by all data weight; noise rows contribute 0.
  out.phi_term = -weighted_share(phi(o.divergence(), val.r), expert_rows, n.data_weight);
  auto dv = val.v - val.v_next;  // (B, T)
  out.v_term = 0.5 * (weighted_share(dv, data_rows, n.data_weight) + weighted_share(dv, model_rows, n.model_weight));
  const double c = r2_coefficient(o.divergence(), o.alpha());
  auto r2 = val.r * val.r;
  out.r2_term = c * 0.5 * (weighted_share(r2, data_rows, n.data_weight) + weighted_share(r2, model_rows, n.model_weight));
  out.sm = out.phi_term + out.v_term + out.r2_term;

  auto log_pi = val.q - val.v;  // (B, T)
  out.bc = -(log_pi * expert_rows.to(log_pi.dtype())).sum() / std::max(n.expert_rows, 1.0);
  {
    torch::NoGradGuard no_grad;
    auto d = data_rows.to(val.r.dtype());
    out.mean_r = (val.r * d).sum() / std::max(n.data_rows, 1.0);
    out.mean_v = (val.v * d).sum() / std::max(n.data_rows, 1.0);
    auto term = (p.terminal & p.loss_row).to(val.q.dtype());
    out.terminal_q = (val.q * term).sum() / n.terminal_rows;  // 0/0 = NaN when no row ends
  }
  return out;
}

}  // namespace loss
}  // namespace seqmatch
