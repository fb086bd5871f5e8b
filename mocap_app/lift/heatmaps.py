"""Pure decoding of marginal heatmaps (MargiPose): soft-argmax, marginals -> xyz, and the
Jensen-Shannon regulariser towards Gaussian targets. No learnable state.

Heatmaps cover the normalised cube [-1, 1]^3; a (H, W) map's column index is the
horizontal axis and its row index the vertical one. Planes (as in the paper):
``xy`` rows = y, cols = x; ``zy`` rows = y, cols = z; ``xz`` rows = z, cols = x.
Pixel centres sit at -1 + (2 i + 1) / n, so a map's expected value spans (-1, 1).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

PLANES = ("xy", "zy", "xz")


def pixel_centres(n: int, device=None, dtype=torch.float32) -> torch.Tensor:
    """(n,) coordinates of the pixel centres in [-1, 1]."""
    return (2 * torch.arange(n, device=device, dtype=dtype) + 1) / n - 1


def soft_argmax(heatmap: torch.Tensor) -> torch.Tensor:
    """Expected (col, row) coordinate of probability maps (..., H, W) -> (..., 2) in [-1, 1]."""
    h, w = heatmap.shape[-2:]
    cols = pixel_centres(w, heatmap.device, heatmap.dtype)
    rows = pixel_centres(h, heatmap.device, heatmap.dtype)
    return torch.stack([(heatmap.sum(-2) * cols).sum(-1), (heatmap.sum(-1) * rows).sum(-1)], -1)


def normalise_logits(logits: torch.Tensor) -> torch.Tensor:
    """Softmax over each map (..., H, W): a probability map summing to one."""
    shape = logits.shape
    return F.softmax(logits.flatten(-2), dim=-1).view(shape)


def marginals_to_xyz(xy: torch.Tensor, zy: torch.Tensor, xz: torch.Tensor) -> torch.Tensor:
    """(B, J, H, W) probability maps of the three planes -> (B, J, 3) coordinates:
    x, y from xy; z the mean of zy's and xz's z (MargiPose)."""
    x, y = soft_argmax(xy).unbind(-1)
    z1, _ = soft_argmax(zy).unbind(-1)
    _, z2 = soft_argmax(xz).unbind(-1)
    return torch.stack([x, y, 0.5 * (z1 + z2)], -1)


def volume_marginals(volume: torch.Tensor) -> dict[str, torch.Tensor]:
    """Marginal maps of a probability volume (..., D, H, W) indexed [z, y, x]."""
    return {"xy": volume.sum(-3),                       # (..., H=y, W=x)
            "zy": volume.sum(-1).transpose(-1, -2),     # (..., y, z)
            "xz": volume.sum(-2)}                       # (..., z, x)


def gaussian_heatmaps(coords: torch.Tensor, size: int, sigma: float) -> dict[str, torch.Tensor]:
    """Normalised Gaussian target maps (B, J, size, size) per plane for coords (B, J, 3)
    in [-1, 1]; sigma in pixels."""
    c = pixel_centres(size, coords.device, coords.dtype)
    s = 2.0 * sigma / size                                   # sigma in cube units

    def g(v):                                                # (B, J) -> (B, J, size)
        return torch.exp(-0.5 * ((c - v.unsqueeze(-1)) / s) ** 2)

    x, y, z = coords.unbind(-1)
    gx, gy, gz = g(x), g(y), g(z)
    out = {"xy": gy.unsqueeze(-1) * gx.unsqueeze(-2),   # rows y, cols x
           "zy": gy.unsqueeze(-1) * gz.unsqueeze(-2),   # rows y, cols z
           "xz": gz.unsqueeze(-1) * gx.unsqueeze(-2)}   # rows z, cols x
    return {k: v / v.sum((-2, -1), keepdim=True).clamp_min(1e-12) for k, v in out.items()}


def js_divergence(p: torch.Tensor, q: torch.Tensor, eps: float = 1e-10) -> torch.Tensor:
    """Jensen-Shannon divergence between probability maps (..., H, W) -> (...), nats."""
    p = p.flatten(-2)
    q = q.flatten(-2)
    m = 0.5 * (p + q)
    kl_pm = (p * (torch.log(p + eps) - torch.log(m + eps))).sum(-1)
    kl_qm = (q * (torch.log(q + eps) - torch.log(m + eps))).sum(-1)
    return 0.5 * (kl_pm + kl_qm)
