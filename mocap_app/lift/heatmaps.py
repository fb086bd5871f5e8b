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


def gaussian_profiles(coords: torch.Tensor, size: int, sigma: float) -> tuple:
    """Normalised 1D Gaussians (B, J, size) along x, y and z for coords (B, J, 3) in
    [-1, 1]; sigma in pixels. A plane's target map is the outer product of two of them."""
    c = pixel_centres(size, coords.device, coords.dtype)
    s = 2.0 * sigma / size                                   # sigma in cube units

    def g(v):                                                # (B, J) -> (B, J, size)
        e = torch.exp(-0.5 * ((c - v.unsqueeze(-1)) / s) ** 2)
        return e / e.sum(-1, keepdim=True).clamp_min(1e-12)

    x, y, z = coords.unbind(-1)
    return g(x), g(y), g(z)


#: plane -> (row axis, column axis) as indices into (x, y, z)
PLANE_AXES = {"xy": (1, 0), "zy": (1, 2), "xz": (2, 0)}


def gaussian_heatmaps(coords: torch.Tensor, size: int, sigma: float) -> dict[str, torch.Tensor]:
    """Normalised Gaussian target maps (B, J, size, size) per plane for coords (B, J, 3)
    in [-1, 1]; sigma in pixels. (A separable Gaussian: the outer product of normalised
    profiles sums to one.)"""
    g = gaussian_profiles(coords, size, sigma)
    return {k: g[r].unsqueeze(-1) * g[c].unsqueeze(-2) for k, (r, c) in PLANE_AXES.items()}


def jsd_to_gaussians(heatmaps: dict, coords: torch.Tensor, sigma: float,
                     eps: float = 1e-10) -> torch.Tensor:
    """JSD (B, J, 3 planes) of probability maps to Gaussian targets at ``coords``; the same
    value as ``js_divergence(p, gaussian_heatmaps(...)[plane])`` up to eps, but the
    target's own entropy term comes from its 1D profiles (sum q log q of an outer product
    is the sum of the profiles' terms), which saves a third of the work per training step."""
    size = heatmaps["xy"].shape[-1]
    with torch.no_grad():
        g = gaussian_profiles(coords, size, sigma)
        ent = [(v * torch.log(v + eps)).sum(-1) for v in g]             # (B, J) each
    return torch.stack([js_divergence(heatmaps[k], g[r].unsqueeze(-1) * g[c].unsqueeze(-2),
                                      eps, q_entropy=ent[r] + ent[c])
                        for k, (r, c) in PLANE_AXES.items()], -1)


def js_divergence(p: torch.Tensor, q: torch.Tensor, eps: float = 1e-10,
                  q_entropy: torch.Tensor | None = None) -> torch.Tensor:
    """Jensen-Shannon divergence between probability maps (..., H, W) -> (...), nats.
    ``q_entropy``: sum q log q when the caller has it cheaper (see ``jsd_to_gaussians``)."""
    # JSD = 0.5 KL(p||m) + 0.5 KL(q||m) = 0.5 (sum p log p + sum q log q) - sum m log m,
    # written with two logarithms of tracked tensors instead of four (the training step's
    # most expensive part).
    p = p.flatten(-2)
    q = q.flatten(-2)
    m = 0.5 * (p + q)
    if q_entropy is None:
        q_entropy = (q * torch.log(q + eps)).sum(-1)
    return (0.5 * ((p * torch.log(p + eps)).sum(-1) + q_entropy)
            - (m * torch.log(m + eps)).sum(-1)).clamp_min(0.0)
