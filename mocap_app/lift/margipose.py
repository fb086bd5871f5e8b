"""The MargiPose-style lifter: 2D keypoints + visibility -> three marginal heatmaps per
joint (xy, zy, xz) -> 3D coordinates by soft-argmax (seed 000, with a keypoint input
instead of RGB features).

Trunk: a fully connected residual network over all joints (measured on this CPU to train
far faster than convolutional stages over keypoint heatmaps, see ``models/LIFTER_CARD.md``),
then a per-joint embedding and a small decoder *shared by all joints* that draws each
plane's heatmap as the outer sum of a row profile and a column profile plus a low-rank
interaction (a rank-r bilinear map), so a map can be any smooth unimodal blob. Heatmaps
are softmax-normalised probability maps; decoding is pure (``heatmaps.py``).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import NamedTuple

import torch
from torch import nn

from mocap_app.core.skeleton import NUM_JOINTS

from .heatmaps import PLANES, marginals_to_xyz, normalise_logits


@dataclass
class MargiPoseConfig:
    joints: int = NUM_JOINTS       # number of joints in and out
    in_features: int = 3           # per joint input: x, y (keypoint box units), visibility;
                                   # 5: also x, y in the image (normalize.IMAGE_FEATURES)
    width: int = 512               # width of the residual trunk
    blocks: int = 2                # residual blocks (each: 2 x Linear-BN-ReLU-Dropout)
    dropout: float = 0.1           # dropout inside the trunk
    embed: int = 48                # per-joint embedding fed to the shared decoder
    heatmap_size: int = 24         # H = W of each marginal heatmap
    rank: int = 2                  # rank of the bilinear row x column interaction
    jsd_sigma: float = 1.0         # sigma (pixels) of the Gaussian JSD targets

    @classmethod
    def from_dict(cls, d: dict) -> "MargiPoseConfig":
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


class MargiPoseOutput(NamedTuple):
    coords: torch.Tensor   # (B, J, 3) cube coordinates in [-1, 1]
    xy: torch.Tensor       # (B, J, H, W) probability maps, rows y, cols x
    zy: torch.Tensor       # (B, J, H, W) rows y, cols z
    xz: torch.Tensor       # (B, J, H, W) rows z, cols x


class ResidualBlock(nn.Module):
    def __init__(self, width: int, dropout: float):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(width, width), nn.BatchNorm1d(width), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(width, width), nn.BatchNorm1d(width), nn.ReLU(), nn.Dropout(dropout))

    def forward(self, x):
        return x + self.net(x)


class PlaneDecoder(nn.Module):
    """Shared per-joint decoder of one plane: embedding (N, E) -> logits (N, H, W)."""

    def __init__(self, embed: int, size: int, rank: int):
        super().__init__()
        self.size, self.rank = size, rank
        self.proj = nn.Linear(embed, 2 * size * (1 + rank))

    def forward(self, e):
        n, s, r = e.shape[0], self.size, self.rank
        p = self.proj(e).view(n, 2, 1 + r, s)               # (N, row/col, 1 + r, S)
        rows, cols = p[:, 0], p[:, 1]                       # (N, 1 + r, S)
        logits = rows[:, 0, :, None] + cols[:, 0, None, :]  # (N, S, S) outer sum
        logits = logits + torch.einsum("nks,nkt->nst", rows[:, 1:], cols[:, 1:])
        return logits


class MargiPose(nn.Module):
    def __init__(self, config: MargiPoseConfig):
        super().__init__()
        c = self.config = config
        self.inp = nn.Sequential(nn.Linear(c.joints * c.in_features, c.width),
                                 nn.BatchNorm1d(c.width), nn.ReLU(), nn.Dropout(c.dropout))
        self.trunk = nn.Sequential(*[ResidualBlock(c.width, c.dropout) for _ in range(c.blocks)])
        self.embed = nn.Linear(c.width, c.joints * c.embed)
        self.joint_code = nn.Parameter(torch.zeros(c.joints, c.embed))
        self.decoders = nn.ModuleDict({p: PlaneDecoder(c.embed, c.heatmap_size, c.rank)
                                       for p in PLANES})

    def forward(self, keypoints: torch.Tensor) -> MargiPoseOutput:
        c = self.config
        b = keypoints.shape[0]
        keypoints = _own_features(keypoints, c)                        # (B, J, F)
        h = self.trunk(self.inp(keypoints.reshape(b, -1)))            # (B, width)
        e = self.embed(h).view(b, c.joints, c.embed) + self.joint_code  # (B, J, E)
        e = torch.relu(e).reshape(b * c.joints, c.embed)                # (B*J, E)
        maps = {p: normalise_logits(d(e)).view(b, c.joints, c.heatmap_size, c.heatmap_size)
                for p, d in self.decoders.items()}                      # (B, J, H, W)
        coords = marginals_to_xyz(maps["xy"], maps["zy"], maps["xz"])
        return MargiPoseOutput(coords, maps["xy"], maps["zy"], maps["xz"])


def fused_for_inference(model: "MargiPose") -> "InferenceMargiPose":
    """A copy of ``model`` for inference: each Linear + BatchNorm pair folded into one
    Linear (batch norm in eval mode is an affine map per feature) and the dropouts left
    out. Same answers to float rounding (tests/lift/test_inference.py); fewer and smaller
    steps, which the live path feels (docs/BENCHMARKS.md). Not for training."""
    import copy  # noqa: PLC0415

    from torch.nn.utils.fusion import fuse_linear_bn_eval  # noqa: PLC0415

    def fold(seq: nn.Sequential) -> nn.Sequential:
        mods, out, i = list(seq), [], 0
        while i < len(mods):
            m = mods[i]
            if (isinstance(m, nn.Linear) and i + 1 < len(mods)
                    and isinstance(mods[i + 1], nn.BatchNorm1d)):
                out.append(fuse_linear_bn_eval(m, mods[i + 1]))
                i += 2
                continue
            if not isinstance(m, nn.Dropout):
                out.append(m)
            i += 1
        return nn.Sequential(*out)

    fused = copy.deepcopy(model).eval()
    fused.inp = fold(fused.inp)
    for block in fused.trunk:
        block.net = fold(block.net)
    return InferenceMargiPose(fused)


class InferenceMargiPose(nn.Module):
    """The folded network of ``fused_for_inference`` with its three plane decoders run as
    one: their projections stacked into one Linear, the three planes' logits, softmax and
    soft-argmax computed together. The same function as ``MargiPose.forward`` (float
    rounding aside) in about half the steps: a one-frame live lift is mostly per-step
    overhead on a CPU (docs/BENCHMARKS.md). Not for training."""

    def __init__(self, folded: MargiPose):
        super().__init__()
        self.config = c = folded.config
        self.inp, self.trunk, self.embed = folded.inp, folded.trunk, folded.embed
        self.joint_code = folded.joint_code
        decs = [folded.decoders[p] for p in PLANES]
        self.proj = nn.Linear(c.embed, len(PLANES) * decs[0].proj.out_features)
        with torch.no_grad():
            self.proj.weight.copy_(torch.cat([d.proj.weight for d in decs]))
            self.proj.bias.copy_(torch.cat([d.proj.bias for d in decs]))
        s = c.heatmap_size
        self.register_buffer("centres", (2 * torch.arange(s, dtype=torch.float64) + 1) / s - 1,
                             persistent=False)
        # where the network lives (CUDA when the lifter was loaded there), its dtype too
        self.to(device=folded.joint_code.device, dtype=folded.joint_code.dtype)

    #: frames decoded at once: the three planes' maps of a piece stay within the CPU's
    #: caches (a batch of 512 at once ran at half the speed of the three planes apart)
    PIECE = 32

    def forward(self, keypoints: torch.Tensor) -> MargiPoseOutput:
        if keypoints.shape[0] <= self.PIECE:
            return self._decode(keypoints)
        pieces = [self._decode(k) for k in keypoints.split(self.PIECE)]
        return MargiPoseOutput(*(torch.cat(parts) for parts in zip(*pieces)))

    def _decode(self, keypoints: torch.Tensor) -> MargiPoseOutput:
        c = self.config
        b, j, s, r = keypoints.shape[0], c.joints, c.heatmap_size, c.rank
        h = self.trunk(self.inp(_own_features(keypoints, c).reshape(b, -1)))
        e = torch.relu(self.embed(h).view(b, j, c.embed) + self.joint_code)
        # plane-major rows, one per (plane, frame, joint): (3 * B * J, row/col, 1 + r, S),
        # so that each plane's maps come out contiguous, as the plain network's do
        n = len(PLANES)
        p = self.proj(e.reshape(b * j, c.embed)).view(b * j, n, 2, 1 + r, s)
        p = p.transpose(0, 1).reshape(n * b * j, 2, 1 + r, s)
        rows, cols = p[:, 0], p[:, 1]
        logits = (rows[:, 0, :, None] + cols[:, 0, None, :]
                  + torch.einsum("nks,nkt->nst", rows[:, 1:], cols[:, 1:]))
        maps = torch.softmax(logits.view(n, b, j, s * s), -1).view(n, b, j, s, s)
        across = (maps.sum(-2) * self.centres).sum(-1)          # (3, B, J): column axis
        down = (maps.sum(-1) * self.centres).sum(-1)            # (3, B, J): row axis
        # xy: x = its column, y = its row; zy: z its column; xz: z its row (PLANES order)
        coords = torch.stack([across[0], down[0], 0.5 * (across[1] + down[2])], -1)
        return MargiPoseOutput(coords, maps[0], maps[1], maps[2])


@dataclass
class BaselineConfig:
    joints: int = NUM_JOINTS       # number of joints in and out
    in_features: int = 3           # per joint input: x, y, visibility[, image x, y]
    width: int = 512               # Martinez et al. used 1024; same width as the lifter
    blocks: int = 2                # Martinez et al.: 2 residual blocks
    dropout: float = 0.1           # Martinez et al. used 0.5 with far longer training

    @classmethod
    def from_dict(cls, d: dict) -> "BaselineConfig":
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


class MartinezBaseline(nn.Module):
    """Martinez et al. (2017) residual MLP regressing coordinates directly (seeds 001, 003)."""

    def __init__(self, config: BaselineConfig):
        super().__init__()
        c = self.config = config
        self.inp = nn.Sequential(nn.Linear(c.joints * c.in_features, c.width),
                                 nn.BatchNorm1d(c.width), nn.ReLU(), nn.Dropout(c.dropout))
        self.trunk = nn.Sequential(*[ResidualBlock(c.width, c.dropout) for _ in range(c.blocks)])
        self.out = nn.Linear(c.width, c.joints * 3)

    def forward(self, keypoints: torch.Tensor) -> torch.Tensor:
        b = keypoints.shape[0]
        keypoints = _own_features(keypoints, self.config)              # (B, J, F)
        h = self.trunk(self.inp(keypoints.reshape(b, -1)))
        return self.out(h).view(b, self.config.joints, 3)        # (B, J, 3) cube units


def config_dict(model: nn.Module) -> dict:
    return asdict(model.config)


def _own_features(keypoints: torch.Tensor, config) -> torch.Tensor:
    """The first ``config.in_features`` input features of (B, J, F >= in_features): a
    network trained on the box coordinates alone takes the same input as a newer one and
    ignores the image placement after them."""
    assert keypoints.dim() == 3 and keypoints.shape[1] == config.joints \
        and keypoints.shape[2] >= config.in_features, keypoints.shape
    return keypoints[..., :config.in_features]


def widen_input(model: nn.Module, in_features: int) -> nn.Module:
    """A copy of ``model`` (lifter or baseline) taking ``in_features`` per joint: the first
    layer's weights for the new features start at zero, so the copy computes exactly what
    the original does until training teaches it to use them."""
    c = model.config
    if in_features < c.in_features:
        raise ValueError(f"cannot narrow {c.in_features} input features to {in_features}")
    new = type(model)(type(c)(**{**asdict(c), "in_features": in_features}))
    state = model.state_dict()
    w = state["inp.0.weight"]                                        # (width, J * F_old)
    wide = torch.zeros(w.shape[0], c.joints, in_features, dtype=w.dtype)
    wide[..., :c.in_features] = w.view(w.shape[0], c.joints, c.in_features)
    state = {**state, "inp.0.weight": wide.reshape(w.shape[0], -1)}   # (width, J * F_new)
    new.load_state_dict(state)
    return new
