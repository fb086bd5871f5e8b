"""TemporalRefiner (TP-Net, Dabral et al. 2018, sect. 4.4): a small fully connected
network over a sliding window of per-frame 3D poses that outputs the refined pose of the
current frame.

One code path, two variants:
- ``causal=True``: the window is the current frame and the ``window - 1`` before it
  (live capture, zero frames of latency);
- ``causal=False`` (Bi-TP-Net): ``window // 2`` frames either side of the current one
  (imported video and re-processing a take; ``window // 2`` frames of latency).

Poses are pelvis-relative, metres, app axes. The network sees the window relative to the
current frame's pose and predicts a correction to it, so an untrained net is the identity
and a clean, still sequence stays put. Checkpoints store the config and a version and are
rebuilt from the file alone (``torch.load(..., weights_only=True)``).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..core.skeleton import NUM_JOINTS

CHECKPOINT_VERSION = 1
CHECKPOINT_KIND = "mocap_app.TemporalRefiner"
#: Frame rate of the motion the refiners are trained on (``train_refiner.FPS``): a window
#: of W frames spans W / 30 s. Takes at other rates are sampled at that spacing.
TRAINED_FPS = 30.0


@dataclass(frozen=True)
class RefinerConfig:
    window: int = 21             # frames seen per output frame (the receptive field)
    causal: bool = False         # True: past frames only; False: centred window
    hidden: int = 512            # width of each hidden layer
    layers: int = 2              # number of hidden layers
    dropout: float = 0.1         # dropout after each hidden layer (training only)
    joints: int = NUM_JOINTS     # joints per pose
    scale: float = 10.0          # metres -> network units (decimetres keep values ~1)

    def __post_init__(self):
        if self.window < 1:
            raise ValueError("window must be at least 1 frame")
        if not self.causal and self.window % 2 == 0:
            raise ValueError("a bidirectional window must be odd (centred on the frame)")


class TemporalRefiner(nn.Module):
    #: ``refine`` takes the take's frame rate (``pipeline.refine`` passes it).
    rate_aware = True

    def __init__(self, config: RefinerConfig):
        super().__init__()
        self.config = config
        d_in = config.window * config.joints * 3 + config.joints * 3
        blocks: list[nn.Module] = []
        width = d_in
        for _ in range(config.layers):
            blocks += [nn.Linear(width, config.hidden), nn.LeakyReLU(0.1),
                       nn.Dropout(config.dropout)]
            width = config.hidden
        self.body = nn.Sequential(*blocks)
        self.head = nn.Linear(width, config.joints * 3)
        nn.init.zeros_(self.head.weight)   # start as the identity: output = current pose
        nn.init.zeros_(self.head.bias)

    # -- the model's timing, in frames -------------------------------------------------
    @property
    def window(self) -> int:
        return self.config.window

    @property
    def receptive_field(self) -> int:
        """Input frames that influence one output frame."""
        return self.config.window

    @property
    def past_frames(self) -> int:
        return self.config.window - 1 if self.config.causal else self.config.window // 2

    @property
    def latency(self) -> int:
        """Future frames needed before a frame's refined pose is known."""
        return 0 if self.config.causal else self.config.window // 2

    @property
    def current_index(self) -> int:
        """Position of the refined frame inside the window."""
        return self.past_frames

    # -- network -----------------------------------------------------------------------
    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        """(B, W, J, 3) metres -> (B, J, 3) metres, the refined current frame."""
        b, w, j, _ = windows.shape
        assert w == self.config.window and j == self.config.joints, windows.shape
        current = windows[:, self.current_index]                             # (B, J, 3)
        rel = (windows - current[:, None]) * self.config.scale               # (B, W, J, 3)
        x = torch.cat([rel.reshape(b, w * j * 3),                            # (B, W*J*3)
                       current.reshape(b, j * 3) * self.config.scale], dim=1)
        delta = self.head(self.body(x)).reshape(b, j, 3)                     # (B, J, 3)
        return current + delta / self.config.scale

    # -- whole sequences ---------------------------------------------------------------
    def make_windows(self, poses: np.ndarray, valid: np.ndarray | None = None,
                     fps: float | None = None) -> np.ndarray:
        """(T, J, 3) -> (T, W, J, 3): each frame's window, edges and invalid frames filled
        with the nearest valid frame (so a gap never feeds NaN). ``fps``: the take's frame
        rate; the window's frames are then spaced 1 / ``TRAINED_FPS`` s apart as in
        training (every 2nd frame at 60 fps, in between frames interpolated linearly at 24
        or 25 fps), so a window covers the same time, and the same motion, at any rate."""
        filled = fill_invalid(poses, valid)
        t = len(filled)
        offsets = (np.arange(self.config.window) - self.past_frames).astype(np.float64)
        step = 1.0 if fps is None or fps <= 0 else float(fps) / TRAINED_FPS
        if abs(step - 1.0) < 0.02:
            step = 1.0
        pos = np.clip(np.arange(t)[:, None] + step * offsets[None, :], 0, t - 1)  # (T, W)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, t - 1)
        frac = (pos - lo)[..., None, None]                                        # (T, W, 1, 1)
        if not frac.any():
            return filled[lo]
        return (1.0 - frac) * filled[lo] + frac * filled[hi]

    @torch.no_grad()
    def refine(self, poses: np.ndarray, valid: np.ndarray | None = None,
               batch: int = 4096, fps: float | None = None) -> np.ndarray:
        """Refine a whole sequence: (T, J, 3) metres -> (T, J, 3). Invalid frames stay NaN.
        ``fps``: the sequence's frame rate (None: taken as ``TRAINED_FPS``)."""
        poses = np.asarray(poses, np.float64)
        ok = np.isfinite(poses).all(axis=(1, 2))
        if valid is not None:
            ok &= np.asarray(valid, bool)
        out = np.full_like(poses, np.nan)
        if not ok.any():
            return out
        was_training = self.training
        self.eval()
        windows = self.make_windows(poses, ok, fps)
        device = next(self.parameters()).device
        res = []
        for s in range(0, len(windows), batch):
            w = torch.as_tensor(windows[s:s + batch], dtype=torch.float32, device=device)
            res.append(self(w).double().cpu().numpy())
        self.train(was_training)
        refined = np.concatenate(res)
        out[ok] = refined[ok]
        return out

    @torch.no_grad()
    def refine_window(self, window: np.ndarray) -> np.ndarray:
        """One frame: (W, J, 3) metres, complete (no NaN) -> (J, 3), the refined pose of
        the window's current frame (the newest one for a causal model). For live use."""
        x = torch.as_tensor(np.asarray(window, np.float32)[None])             # (1, W, J, 3)
        if self.training:
            self.eval()
        return self(x)[0].double().numpy()

    # -- checkpoints -------------------------------------------------------------------
    def save(self, path: str | Path, **extra) -> None:
        torch.save({"kind": CHECKPOINT_KIND, "version": CHECKPOINT_VERSION,
                    "config": asdict(self.config),
                    "state_dict": {k: v.detach().cpu() for k, v in self.state_dict().items()},
                    "extra": extra}, str(path))

    @classmethod
    def load(cls, path: str | Path | None = None, causal: bool = False,
             device: str = "cpu") -> "TemporalRefiner":
        """Load a checkpoint; with no path, the shipped ``models/refiner_causal.pt`` or
        ``models/refiner_bidir.pt``."""
        if path is None:
            from ..core.paths import models_dir  # noqa: PLC0415
            path = models_dir() / ("refiner_causal.pt" if causal else "refiner_bidir.pt")
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no refiner checkpoint at {path}")
        from .checkpoint import load_weights_only  # noqa: PLC0415
        ckpt = load_weights_only(path, map_location=device)
        if not isinstance(ckpt, dict) or ckpt.get("kind") != CHECKPOINT_KIND:
            raise ValueError(f"{path.name} is not a TemporalRefiner checkpoint")
        if ckpt.get("version") != CHECKPOINT_VERSION:
            raise ValueError(f"{path.name}: checkpoint version {ckpt.get('version')}, "
                             f"this code reads version {CHECKPOINT_VERSION}")
        try:
            model = cls(RefinerConfig(**ckpt["config"]))
            model.load_state_dict(ckpt["state_dict"])
        except (KeyError, TypeError, RuntimeError) as exc:
            raise ValueError(f"{path.name}: weights do not match its config ({exc})") from None
        model.extra = ckpt.get("extra", {})
        return model.to(device).eval()


def fill_invalid(poses: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """Copy of (T, J, 3) with each invalid frame replaced by the nearest valid frame
    (the earlier one on ties). All-invalid input raises."""
    poses = np.asarray(poses, np.float64)
    ok = np.isfinite(poses).all(axis=(1, 2))
    if valid is not None:
        ok &= np.asarray(valid, bool)
    if ok.all():
        return poses.copy()
    if not ok.any():
        raise ValueError("no valid frame")
    good = np.flatnonzero(ok)
    pos = np.searchsorted(good, np.arange(len(poses)))
    left = good[np.clip(pos - 1, 0, len(good) - 1)]
    right = good[np.clip(pos, 0, len(good) - 1)]
    t = np.arange(len(poses))
    nearest = np.where(np.abs(t - left) <= np.abs(right - t), left, right)
    return poses[nearest]
