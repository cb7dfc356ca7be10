#!/usr/bin/python3
"""An independent check of `zipscale quanta qdg RUN DATA` on a GPT (tests/test_quanta_qdg_gpt.c),
written from docs/quanta.md and docs/model.md: the checkpoint read as plain safetensors, the
GPT rebuilt in torch float64 (as tests/data/gpt/torch_gpt.py), every position of the scored
windows scored, the tokens below the threshold found and the subsample's spacing checked, and
each chosen token's own loss gradient (its window's prefix, the last position) over every
parameter but the embeddings, the output projection and the norm gains, L2-normalised, whose
angular affinity 1 - arccos(cos)/pi must match the affinity the command dumped.
Usage: qdg_gpt_ref.py checkpoint.safetensors data.npy OUT_DIR affinity.f32"""
import json
import struct
import sys

import numpy as np
import torch

ckpt, data_path, out, aff_path = sys.argv[1:5]
raw = open(ckpt, "rb").read()
hlen = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + hlen])
cfg = json.loads(header["__metadata__"]["model"])
V, T, C, L, H, F = (cfg[k] for k in ("vocab", "context", "d_model", "layers", "heads", "mlp_hidden"))
hd = C // H


def tensor(name):
    e = header[name]
    a, b = e["data_offsets"]
    x = np.frombuffer(raw[8 + hlen + a:8 + hlen + b], dtype="<f4").reshape(e["shape"])
    return torch.tensor(x.astype(np.float64), requires_grad=True)


names = ["tok_embedding"]
for l in range(L):
    names += [f"blocks.{l}.{s}" for s in ("attn_norm", "attn_qkv", "attn_out", "mlp_norm",
                                          "mlp_gate_up", "mlp_down")]
names += ["final_norm", "lm_head"]
P = {n: tensor(n) for n in names}
grad_names = [n for n in names if n.startswith("blocks.") and not n.endswith("_norm")]

inv = 1.0 / (10000.0 ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
angles = torch.outer(torch.arange(T, dtype=torch.float64), inv)
COS, SIN = angles.cos(), angles.sin()


def rms(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * w


def rope(x, t):
    c, s = COS[:t], SIN[:t]
    x1, x2 = x[..., ::2], x[..., 1::2]
    return torch.stack((x1 * c - x2 * s, x1 * s + x2 * c), -1).flatten(-2)


def logits(inp):
    B, t = inp.shape
    x = P["tok_embedding"][inp]
    mask = torch.ones(t, t, dtype=torch.bool).tril()
    for l in range(L):
        p = lambda s: P[f"blocks.{l}.{s}"]
        q, k, v = (rms(x, p("attn_norm")) @ p("attn_qkv").T).view(B, t, 3, H, hd).permute(
            2, 0, 3, 1, 4)
        q, k = rope(q, t), rope(k, t)
        s = (q @ k.transpose(-1, -2)) / hd ** 0.5
        a = torch.softmax(s.masked_fill(~mask, float("-inf")), -1) @ v
        x = x + a.transpose(1, 2).reshape(B, t, C) @ p("attn_out").T
        gu = rms(x, p("mlp_norm")) @ p("mlp_gate_up").T
        x = x + (torch.nn.functional.silu(gu[..., :F]) * gu[..., F:]) @ p("mlp_down").T
    return rms(x, P["final_norm"]) @ P["lm_head"].T


doc = json.load(open(out + "/qdg.json"))
sel, opt = doc["selection"], doc["options"]
data = np.load(data_path).reshape(-1).astype(np.int64)
W = sel["windows"]
if W != min((len(data) - 1) // T, -(-opt["pool"] // T)):
    raise SystemExit(f"windows {W}")
win = torch.tensor(np.stack([data[w * T:w * T + T + 1] for w in range(W)]))
with torch.no_grad():
    lg = logits(win[:, :T])
    loss = torch.nn.functional.cross_entropy(lg.reshape(-1, V), win[:, 1:].reshape(-1),
                                             reduction="none").numpy()
thr = opt["max_loss_nats"]
below = np.flatnonzero(loss < thr)
near = np.abs(loss - thr) < 1e-4  # float32 against float64: ties at the threshold may differ
if abs(len(below) - sel["below_threshold"]) > near.sum():
    raise SystemExit(f"below the threshold: torch {len(below)}, zipscale {sel['below_threshold']}")
tokens = np.load(out + "/tokens.npy")
pos = tokens - 1
if not (loss[pos] < thr + 1e-4).all():
    raise SystemExit("a chosen token is above the threshold")
n = len(tokens)
if len(below) == sel["below_threshold"]:
    rank = np.searchsorted(below, pos)
    if not (below[rank] == pos).all():
        raise SystemExit("a chosen token is not among those below the threshold")
    stride = len(below) / n
    i = np.arange(n)
    lo = (rank / stride - i).max()
    hi = ((rank + 1) / stride - i).min()
    if not (lo < hi + 1e-9 and lo < 1 and hi > 0):
        raise SystemExit(f"the subsample is not evenly spaced: u in [{lo}, {hi})")

rows = []
for p_ in pos:
    w, t = divmod(int(p_), T)
    x = torch.tensor(data[w * T:w * T + t + 2])
    for nme in grad_names:
        P[nme].grad = None
    lg = logits(x[None, :t + 1])
    torch.nn.functional.cross_entropy(lg[0, t:t + 1], x[t + 1:t + 2]).backward()
    g = torch.cat([P[nme].grad.reshape(-1) for nme in grad_names])
    rows.append(g / g.norm())
G = torch.stack(rows)
if G.shape[1] != sel["gradient_dim"]:
    raise SystemExit(f"gradient dim {G.shape[1]} vs {sel['gradient_dim']}")
cosm = (G @ G.T).clamp(-1, 1).numpy()
ref = 1 - np.arccos(cosm) / np.pi
aff = np.fromfile(aff_path, dtype="<f4").reshape(n, n)
err = np.abs(aff - ref)
np.fill_diagonal(err, 0)  # the diagonal is ignored by the embedding
if err.max() > 2e-3:
    i, j = np.unravel_index(err.argmax(), err.shape)
    raise SystemExit(f"affinity ({i}, {j}): zipscale {aff[i, j]} torch {ref[i, j]}")
print(f"ok: {len(below)} below, max affinity error {err.max():.2e}")
