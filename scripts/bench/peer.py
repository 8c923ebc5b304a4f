"""The Python peer of SeqMatch's native benchmarks: the same GPT-2 (pre-LayerNorm, tanh-GELU, tied
LM head, HF Conv1D layout), the same shapes and batches, written the way a PyTorch user would,
on Debian's python3-torch (the same libtorch 1.13 as the native core). Run by scripts/bench/peer.sh;
prints one JSON line per bench, like the native bench_loss / bench_decode with --json (wall and
process CPU seconds per iteration).

  python3 peer.py train --batches FILE --bench mle|sm|bc [--layers 4 --embd 128 --heads 4 --iters 3]
                        [--device cpu|cuda] [--bf16] [--adamw none|fused|foreach] [--phases]
  python3 peer.py decode --vocab 50259 --new-tokens 64 --batch 1 8 64 [--layers 4 --embd 128 ...]

train: forward + loss + backward per iteration (iteration 0 is a warm-up), on the batches that
bench_loss --dump-batches wrote (mle: clean causal rows, F.cross_entropy with ignore_index; sm and
bc: the packed batch with its explicit mask, SequenceMatch-chi2 as in DESIGN.md section 3 with
one logsumexp for Q, V and BC). decode: greedy over a preallocated KV cache, 16-token prompts.
On CUDA (torch 2.x) it is written as a PyTorch user would write it there: attention through
F.scaled_dot_product_attention (is_causal for MLE, the boolean packing mask for SequenceMatch),
--bf16 = torch.autocast("cuda", torch.bfloat16), --adamw fused = torch.optim.AdamW(fused=True); each
timed step ends with torch.cuda.synchronize(), and the JSON line adds peak_cuda_mb. --phases adds
phases_s as bench_loss does: median seconds of [model forward, LM head + loss, backward, optimizer].
"""
import argparse
import json
import math
import resource
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    dtypes = {"I64": torch.int64, "F32": torch.float32, "U8": torch.uint8, "F64": torch.float64,
              "I32": torch.int32, "BOOL": torch.bool}
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[begin:end]), dtype=dtypes[info["dtype"]])
        out[name] = t.reshape(info["shape"])
    return out, header.get("__metadata__", {})


class Conv1D(nn.Module):  # HF's: y = x W + b with W stored [in, out]
    def __init__(self, nx, nf):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(nx, nf).normal_(0, 0.02))
        self.bias = nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        return torch.addmm(self.bias, x.reshape(-1, x.size(-1)), self.weight).view(*x.shape[:-1], -1)


SDPA = False  # set by main(): attention through F.scaled_dot_product_attention (torch 2.x, CUDA runs)


class Block(nn.Module):
    def __init__(self, C, H):
        super().__init__()
        self.H = H
        self.ln_1, self.ln_2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.c_attn, self.attn_proj = Conv1D(C, 3 * C), Conv1D(C, C)
        self.c_fc, self.mlp_proj = Conv1D(C, 4 * C), Conv1D(4 * C, C)

    def attn(self, x, bias, cache=None, at=None):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, -1)
        q, k, v = (t.view(B, T, self.H, C // self.H).transpose(1, 2) for t in (q, k, v))
        if cache is not None:  # write the new entries at slot `at`, attend over the live prefix
            ck, cv = cache
            ck[:, :, at:at + T] = k
            cv[:, :, at:at + T] = v
            k, v = ck[:, :, :at + T], cv[:, :, :at + T]
        if SDPA:  # bias: None = causal, else a (B, 1, T, S) boolean mask (True = may attend)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=bias, is_causal=bias is None)
            return self.attn_proj(y.transpose(1, 2).reshape(B, T, C))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = torch.softmax(att + bias, -1)
        return self.attn_proj((att @ v).transpose(1, 2).reshape(B, T, C))

    def forward(self, x, bias, cache=None, at=None):
        x = x + self.attn(self.ln_1(x), bias, cache, at)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT2(nn.Module):
    def __init__(self, V, P, C, L, H):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(V, C), nn.Embedding(P, C)
        nn.init.normal_(self.wte.weight, 0, 0.02)
        nn.init.normal_(self.wpe.weight, 0, 0.02)
        self.h = nn.ModuleList(Block(C, H) for _ in range(L))
        self.ln_f = nn.LayerNorm(C)

    def head(self, h):  # h: after ln_f, as the native hidden() returns it
        return h @ self.wte.weight.t()

    def forward(self, ids, pos, mask=None, caches=None, at=None, last_only=False, hidden_only=False):
        """mask: (B, T, S) bool, True = may attend; None = causal. Returns logits (B, T, V), or
        (B, V) for the last position only (decoding needs no more); hidden_only: the hidden states
        after ln_f, before the tied head (head() finishes them)."""
        T = ids.size(1)
        if SDPA:
            bias = None if mask is None and caches is None else mask
            if bias is None and caches is not None:
                bias = torch.ones(T, at + T, dtype=torch.bool, device=ids.device).tril(at)[None]
            bias = None if bias is None else bias[:, None]
        else:
            if mask is None:
                S = T if caches is None else at + T
                mask = torch.ones(T, S, dtype=torch.bool, device=ids.device).tril(S - T)[None]
            bias = torch.zeros(mask.shape, dtype=torch.float32, device=ids.device).masked_fill_(
                ~mask, torch.finfo(torch.float32).min)[:, None]
        x = self.wte(ids) + self.wpe(pos)
        for i, block in enumerate(self.h):
            x = block(x, bias, None if caches is None else caches[i], at)
        if last_only:
            x = x[:, -1]
        x = self.ln_f(x)
        return x if hidden_only else self.head(x)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def sequence_match_loss(logits, b, bk, gamma=0.998, alpha=0.5, lam=0.5):
    """0.5 BC + 0.5 SequenceMatch-chi2-mixture (DESIGN.md section 3), one logsumexp for Q, V and BC."""
    x = logits.clone()
    x[..., bk] = torch.where(b["bk_allowed"], logits[..., bk], torch.tensor(float("-inf"), device=logits.device,
                                                                             dtype=logits.dtype))
    q = x.gather(2, b["target"][..., None]).squeeze(2)
    v = torch.logsumexp(x, -1)
    v_succ = torch.cat([v[:, 1:], torch.zeros_like(v[:, :1])], 1)
    v_next = torch.where(b["terminal"], torch.zeros_like(v_succ), gamma * v_succ)
    r = q - v_next
    w = gamma ** b["step"] * b["loss_row"].float()
    data = b["loss_row"] & ~b["from_model"][:, None]
    model = b["loss_row"] & b["from_model"][:, None]
    expert = data & b["expert"]

    def wmean(t, rows):
        wr = w * rows.float()
        return (wr * t).sum() / wr.sum().clamp_min(1e-12)

    phi = -(w * expert.float() * r).sum() / (w * data.float()).sum().clamp_min(1e-12)
    dv = v - v_next
    sm = phi + 0.5 * (wmean(dv, data) + wmean(dv, model)) + 0.5 / (4 * alpha) * (wmean(r * r, data) + wmean(r * r, model))
    bc = -((q - v) * expert.float()).sum() / expert.float().sum().clamp_min(1)
    return (1 - lam) * bc + lam * sm, bc


def train(a):
    tensors, meta = read_safetensors(a.batches)
    V, bk = int(meta["vocab"]), int(meta["bkspc"])
    prefix = "mle." if a.bench == "mle" else "sm."
    b = {k[len(prefix):]: t for k, t in tensors.items() if k.startswith(prefix)}
    for k in ("mask", "loss_row", "expert", "terminal", "bk_allowed", "from_model"):
        b[k] = b[k].bool()
    dev = torch.device(a.device)
    b = {k: t.to(dev) for k, t in b.items()}
    T = b["ids"].size(1)
    torch.manual_seed(0)
    model = GPT2(V, 2 * T, a.embd, a.layers, a.heads).to(dev)
    model.train()
    opt = None
    if a.adamw != "none":
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4, **{a.adamw: True})
    cuda = dev.type == "cuda"
    amp = torch.autocast("cuda", dtype=torch.bfloat16, enabled=a.bf16) if cuda else None
    times, cpu = [], []
    phases = [[], [], [], []]  # forward, head + loss, backward, optimizer
    for i in range(a.iters + 1):
        model.zero_grad(set_to_none=True)
        if cuda:
            torch.cuda.synchronize()
        t0, c0 = time.perf_counter(), time.process_time()
        mark = [t0]

        def lap(k):
            if not a.phases:
                return
            if cuda:
                torch.cuda.synchronize()
            now = time.perf_counter()
            if i > 0:
                phases[k].append(now - mark[0])
            mark[0] = now

        if amp is not None:
            amp.__enter__()
        if a.bench == "mle":
            h = model(b["ids"], b["pos"], hidden_only=True)
            lap(0)
            logits = model.head(h)
            target = b["target"].masked_fill(~(b["loss_row"] & b["expert"]), -100)
            loss = F.cross_entropy(logits.view(-1, V), target.view(-1), ignore_index=-100)
        else:
            h = model(b["ids"], b["pos"], b["mask"], hidden_only=True)
            lap(0)
            logits = model.head(h)  # per state row (B, S, V)
            logits = logits.gather(1, b["state"][..., None].expand(-1, -1, V))  # per action row (B, T, V)
            sm_loss, bc = sequence_match_loss(logits, b, bk)
            loss = sm_loss if a.bench == "sm" else bc
        lap(1)
        if amp is not None:
            amp.__exit__(None, None, None)
        loss.backward()
        lap(2)
        if opt is not None:
            opt.step()
        lap(3)
        if cuda:
            torch.cuda.synchronize()
        if i > 0:
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        del logits, loss
    line = {"impl": "python", "bench": a.bench, "times_s": sorted(round(t, 4) for t in times),
            "cpu_s": sorted(round(t, 4) for t in cpu), "peak_rss_mb": round(peak_rss_mb(), 1)}
    if a.phases:
        line["phases_s"] = [round(sorted(p)[len(p) // 2], 4) if p else 0.0 for p in phases]
    if cuda:
        line.update(device="cuda", bf16=a.bf16, adamw=a.adamw, sdpa=SDPA,
                    peak_cuda_mb=round(torch.cuda.max_memory_allocated() / 2**20, 1))
    print(json.dumps(line), flush=True)


@torch.no_grad()
def greedy(model, prompts, new_tokens, H, C):
    B, P = prompts.shape
    cap = P + new_tokens
    caches = [(torch.zeros(B, H, cap, C // H), torch.zeros(B, H, cap, C // H)) for _ in model.h]
    pos = torch.arange(P)[None].expand(B, P)
    logits = model(prompts, pos, caches=caches, at=0, last_only=True)
    out = []
    for t in range(new_tokens):
        nxt = logits.argmax(-1)
        out.append(nxt)
        if t + 1 == new_tokens:
            break
        logits = model(nxt[:, None], torch.full((B, 1), P + t), caches=caches, at=P + t, last_only=True)
    return torch.stack(out, 1)


def decode(a):
    torch.manual_seed(0)
    model = GPT2(a.vocab, 1024, a.embd, a.layers, a.heads)
    model.eval()
    for B in a.batch:
        prompts = torch.tensor([[(b * 31 + t * 7) % a.vocab for t in range(16)] for b in range(B)])
        greedy(model, prompts, a.new_tokens, a.heads, a.embd)  # warm-up
        times, cpu = [], []
        for _ in range(a.repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            greedy(model, prompts, a.new_tokens, a.heads, a.embd)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        print(json.dumps({"impl": "python", "bench": f"decode-{B}", "times_s": sorted(round(t, 4) for t in times),
                          "cpu_s": sorted(round(t, 4) for t in cpu)}), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("train", "decode"):
        s = sub.add_parser(name)
        s.add_argument("--layers", type=int, default=4)
        s.add_argument("--embd", type=int, default=128)
        s.add_argument("--heads", type=int, default=4)
    t = sub.choices["train"]
    t.add_argument("--batches", required=True)
    t.add_argument("--bench", choices=("mle", "sm", "bc"), required=True)
    t.add_argument("--iters", type=int, default=3)
    t.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    t.add_argument("--bf16", action="store_true", help="bf16 autocast (CUDA only)")
    t.add_argument("--adamw", default="none", choices=("none", "fused", "foreach"),
                   help="add a torch.optim.AdamW step to each timed step")
    t.add_argument("--phases", action="store_true", help="also time forward, head + loss, backward, optimizer")
    d = sub.choices["decode"]
    d.add_argument("--vocab", type=int, default=50259)
    d.add_argument("--new-tokens", type=int, default=64)
    d.add_argument("--batch", type=int, nargs="+", default=[1, 8, 64])
    d.add_argument("--repeats", type=int, default=1)
    a = p.parse_args()
    global SDPA
    SDPA = a.cmd == "train" and a.device == "cuda" and hasattr(F, "scaled_dot_product_attention")
    if a.cmd == "train" and a.bf16 and a.device != "cuda":
        p.error("--bf16 is autocast on CUDA; it needs --device cuda")
    train(a) if a.cmd == "train" else decode(a)


if __name__ == "__main__":
    sys.exit(main())
