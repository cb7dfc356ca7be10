#!/usr/bin/python3
"""The zipscale GPT (docs/model.md) rebuilt in torch float64, written from the document and
the torch Llama peer that bench_train uses (docs/PERFORMANCE.md; not needed here): RMSNorm,
interleaved-pair RoPE, causal softmax attention, SwiGLU, with zipscale's fused qkv and
gate_up tensors. Reads the flat float32 parameter buffer and the (inputs, targets) uint32
tokens; writes float64 [loss, gradient of the mean loss in the same flat layout].
Usage: torch_gpt.py V C L H F B T params.f32 tokens.u32 out.f64"""
import sys

import numpy as np
import torch

V, C, L, H, F, B, T = map(int, sys.argv[1:8])
flat = np.fromfile(sys.argv[8], dtype="<f4").astype(np.float64)
tokens = np.fromfile(sys.argv[9], dtype="<u4").astype(np.int64).reshape(2, B, T)
hd = C // H

shapes = [("tok_embedding", (V, C))]
for l in range(L):
    shapes += [(f"blocks.{l}.attn_norm", (C,)), (f"blocks.{l}.attn_qkv", (3 * C, C)),
               (f"blocks.{l}.attn_out", (C, C)), (f"blocks.{l}.mlp_norm", (C,)),
               (f"blocks.{l}.mlp_gate_up", (2 * F, C)), (f"blocks.{l}.mlp_down", (C, F))]
shapes += [("final_norm", (C,)), ("lm_head", (V, C))]
params, at = {}, 0
for name, shape in shapes:
    n = int(np.prod(shape))
    params[name] = torch.tensor(flat[at:at + n].reshape(shape), requires_grad=True)
    at += n
if at != flat.size:
    raise SystemExit(f"the layout covers {at} of {flat.size} parameters")


def rms(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * w


inv = 1.0 / (10000.0 ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
angles = torch.outer(torch.arange(T, dtype=torch.float64), inv)
cos, sin = angles.cos(), angles.sin()


def rope(x):
    x1, x2 = x[..., ::2], x[..., 1::2]
    return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), -1).flatten(-2)


x = params["tok_embedding"][torch.tensor(tokens[0])]
mask = torch.ones(T, T, dtype=torch.bool).tril()
for l in range(L):
    p = lambda s: params[f"blocks.{l}.{s}"]
    q, k, v = (rms(x, p("attn_norm")) @ p("attn_qkv").T).view(B, T, 3, H, hd).permute(2, 0, 3, 1, 4)
    q, k = rope(q), rope(k)
    s = (q @ k.transpose(-1, -2)) / hd ** 0.5
    a = torch.softmax(s.masked_fill(~mask, float("-inf")), -1) @ v
    x = x + a.transpose(1, 2).reshape(B, T, C) @ p("attn_out").T
    gu = rms(x, p("mlp_norm")) @ p("mlp_gate_up").T
    x = x + (torch.nn.functional.silu(gu[..., :F]) * gu[..., F:]) @ p("mlp_down").T
logits = rms(x, params["final_norm"]) @ params["lm_head"].T
loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), torch.tensor(tokens[1]).reshape(-1))
loss.backward()
out = [np.array([loss.item()])] + [params[name].grad.numpy().ravel() for name, _ in shapes]
np.concatenate(out).astype("<f8").tofile(sys.argv[10])
