"""Train and evaluate the TemporalRefiner (TP-Net).

    python -m mocap_train.train_refiner --causal --minutes 20 --out models/refiner_causal.pt
    python -m mocap_train.train_refiner --bidir  --minutes 20 --out models/refiner_bidir.pt
    python -m mocap_train.train_refiner --evaluate      # the comparison table of the card

Data: the lifter's motion-capture clips and split (``mocap_train/mocap_data.py``), cut into
5-second chunks, each seen by one fixed random virtual camera (``mocap_train/camera_sim.py``:
webcam fields of view, distances, heights, yaw anywhere) with MediaPipe-like 2D errors
measured on real detections. The refiner's input is the per-frame 3D of each chunk:

- ``--source lifter``: the real lifter (``lift/inference.py``, ``models/lifter.pt``) run on
  those noisy 2D keypoints -- what the issue asks for, used once the lifter exists;
- ``--source sim``: ground truth with simulated lifter-like errors (per-joint white noise,
  slowly drifting offsets, depth noisier than the image plane, per-frame scale jitter and
  short limb glitches), for developing before the lifter checkpoint exists.

Targets are the ground-truth pelvis-relative joints in the same camera-aligned app axes.
Metrics (Protocol 1 style: pelvis-relative, no alignment, millimetres): MPJPE over the 25
joints and acceleration error |a_pred - a_gt| (mm/frame^2, VideoPose3D's definition).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from mocap_app.core.paths import models_dir
from mocap_app.core.skeleton import J, NUM_JOINTS, PARENTS, mirror
from mocap_app.lift.refiner import RefinerConfig, TemporalRefiner, fill_invalid

from . import losses
from .metrics import mpjpe

CHUNK = 150          # frames per virtual-camera chunk (5 s at 30 fps)
FPS = 30.0
#: Training chunks whose per-frame input is the ground truth itself: a clean sequence
#: must come out (almost) unchanged.
CLEAN_FRACTION = 0.1

# --------------------------------------------------------------------------- data


def _clips(split: str) -> list[np.ndarray]:
    from .mocap_data import load_split  # noqa: PLC0415
    return [c.joints for c in load_split(split) if len(c) >= 8]


def _chunks(clips: list[np.ndarray], rng: np.random.Generator,
            max_frames: int | None = None) -> list[np.ndarray]:
    """World clips -> list of (T<=CHUNK, J, 3) chunks, random start phase, optionally capped
    to about ``max_frames`` frames in all (chunks drawn at random)."""
    out = []
    for c in clips:
        start = int(rng.integers(0, min(CHUNK, len(c)) // 2 + 1))
        for s in range(start, len(c) - 8, CHUNK):
            out.append(c[s:s + CHUNK])
    if max_frames is not None:
        order = rng.permutation(len(out))
        keep, n = [], 0
        for i in order:
            if n >= max_frames:
                break
            keep.append(out[i])
            n += len(out[i])
        out = keep
    return out


def view_chunk(chunk: np.ndarray, rng: np.random.Generator, noise_scale: float = 1.0):
    """One fixed random camera over a chunk: (camera-app pelvis-relative ground truth
    (T, J, 3), noisy 2D keypoints (T, J, 2), visibility (T, J), image size (w, h))."""
    from .camera_sim import _rot_y, detector_errors, random_cameras  # noqa: PLC0415
    x = chunk.astype(np.float64)
    if rng.random() < 0.5:
        x = mirror(x)
    centre = x[:, J["pelvis"]].mean(0)
    x = x - np.array([centre[0], 0.0, centre[2]])
    x = x @ _rot_y(rng.uniform(0, 2 * np.pi, 1))[0].T
    feet = x[:, [J["left_heel"], J["right_heel"], J["left_toe"], J["right_toe"]], 1].min()
    x[:, :, 1] -= feet                                        # floor at y = 0
    ph = float(np.clip(x[:, J["pelvis"], 1].mean(), 0.3, 1.3))
    rot, cpos, focal, sizes = random_cameras(rng, 1, np.array([ph]))
    cam = (x - cpos[0]) @ rot[0].T                             # (T, J, 3) OpenCV camera
    cam[:, :, 2] = np.maximum(cam[:, :, 2], 0.2)
    kp = focal[0] * cam[:, :, :2] / cam[:, :, 2:3] + 0.5 * sizes[0]
    size = np.repeat(sizes, len(x), axis=0)
    kp, vis = detector_errors(kp, cam, size, rng, noise_scale)
    gt = cam * np.array([1.0, -1.0, -1.0])                     # camera -> app axes
    gt = gt - gt[:, J["pelvis"]:J["pelvis"] + 1]
    return gt, kp, vis, (int(sizes[0, 0]), int(sizes[0, 1]))


_SIGMA_M = np.full(NUM_JOINTS, 0.018)
for _name, _s in (("elbow", 0.028), ("knee", 0.028), ("wrist", 0.040), ("ankle", 0.035),
                  ("hand", 0.045), ("heel", 0.035), ("toe", 0.040)):
    for _side in ("left", "right"):
        _SIGMA_M[J[f"{_side}_{_name}"]] = _s
_SIGMA_M[J["pelvis"]] = 0.0
_LIMBS = [[J[f"{s}_{p}"] for p in parts] for s in ("left", "right")
          for parts in (("elbow", "wrist", "hand"), ("knee", "ankle", "heel", "toe"))]


def simulate_lifter(gt: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Lifter-like per-frame errors on pelvis-relative ground truth (T, J, 3), camera-app
    axes (Z is depth). Used only until real lifter outputs exist (``--source sim``)."""
    from scipy.ndimage import gaussian_filter1d  # noqa: PLC0415
    t = len(gt)
    level = rng.uniform(0.3, 1.4)
    axis = np.array([1.0, 1.0, 1.8])                                # depth is the worst
    white = rng.normal(size=gt.shape) * _SIGMA_M[None, :, None] * axis * level
    slow = gaussian_filter1d(rng.normal(size=gt.shape), 8.0, axis=0, mode="nearest")
    slow *= 0.020 * level / max(slow.std(), 1e-9) * axis
    out = gt * rng.normal(1.0, 0.02, (t, 1, 1)) + white + slow
    for i in np.flatnonzero(rng.random(t) < 0.015):                # short limb glitches
        limb = _LIMBS[rng.integers(len(_LIMBS))]
        out[i:i + int(rng.integers(1, 4)), limb] += rng.normal(0, 0.08, 3)
    out[:, 0] = 0.0
    return out


class LifterAdapter:
    """Runs the real lifter (``lift/inference.py``) on one chunk's noisy 2D."""

    def __init__(self, path: Path | None = None):
        from mocap_app.lift.inference import Lifter  # noqa: PLC0415
        self.lifter = Lifter.load(path)

    def __call__(self, kp: np.ndarray, vis: np.ndarray, size: tuple[int, int],
                 world: np.ndarray | None = None) -> np.ndarray | None:
        """Per-frame 3D (T, J, 3); frames the lifter cannot lift hold the nearest lifted
        frame (as the pipeline's refiner does); None if no frame could be lifted.
        ``world``: the detector's own 3D (T, J, 3), for lifters that take it."""
        res = self.lifter.lift(kp, vis, size, world=world)
        j = np.asarray(res.joints_3d, dtype=np.float64)
        ok = np.isfinite(j).all(axis=(1, 2))
        if not ok.any():
            return None
        return fill_invalid(j - j[:, J["pelvis"]:J["pelvis"] + 1], ok)


def _pairs_cache(split: str, seed: int, max_frames, lifter_path: Path | None = None) -> Path:
    """Where lifted chunks are kept (lifting is the slow part; both models reuse it)."""
    import hashlib  # noqa: PLC0415

    from mocap_app.core.paths import cache_dir  # noqa: PLC0415

    from mocap_app.lift.inference import lifted_pose_stamp  # noqa: PLC0415
    stamp = hashlib.sha1(lifted_pose_stamp(lifter_path or models_dir() / "lifter.pt")
                         .encode()).hexdigest()
    folder = cache_dir() / "refiner"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"lifted_{split}_{seed}_{max_frames}_{stamp[:12]}.npz"


def make_pairs(split: str, source: str, seed: int, max_frames: int | None = None,
               lifter: LifterAdapter | None = None, lifter_path: Path | None = None):
    """List of (per-frame input (T, J, 3), ground truth (T, J, 3)) chunks of a split.
    Lifted chunks are cached on disk per (split, seed, size, lifter file)."""
    if source == "lifter":
        cached = _pairs_cache(split, seed, max_frames, lifter_path)
        if cached.exists():
            return _load_chunks(cached)
        pairs = _make_pairs(split, source, seed, max_frames, lifter or (
            LifterAdapter(lifter_path) if lifter_path else None))
        _save_chunks(cached, pairs)
        return pairs
    return _make_pairs(split, source, seed, max_frames, lifter)


def _make_pairs(split: str, source: str, seed: int, max_frames: int | None = None,
                lifter: LifterAdapter | None = None):
    rng = np.random.default_rng(seed)
    if source == "lifter" and lifter is None:
        lifter = LifterAdapter()
    out = []
    for chunk in _chunks(_clips(split), rng, max_frames):
        clean = split == "train" and rng.random() < CLEAN_FRACTION
        gt, kp, vis, size = view_chunk(chunk, rng)
        if clean:
            inp = gt.copy()
        elif source == "lifter":
            inp = lifter(kp, vis, size)
            if inp is None:
                continue
        else:
            inp = simulate_lifter(gt, rng)
        out.append((inp.astype(np.float32), gt.astype(np.float32)))
    return out


def rendered_pairs(folder: Path, split: str, lifter_path: Path | None = None):
    """(per-frame lifted input, truth) chunks of the rendered set's tracked sequences: the
    lifter on what our real detector returned (2D, visibility, its own 3D) frame by frame,
    with its real temporal errors (ROI lag, swaps, loss); frames where the subject was not
    found hold the nearest lifted frame, as in the pipeline. Cached like ``make_pairs``."""
    import hashlib  # noqa: PLC0415

    from mocap_app.core.paths import cache_dir  # noqa: PLC0415
    from mocap_app.lift.inference import lifted_pose_stamp  # noqa: PLC0415

    from .rendered_data import rendered_sequences, shard_paths  # noqa: PLC0415
    names = ",".join(p.name for p in shard_paths(folder, split))
    key = f"{Path(folder).resolve()}|{names}|" + lifted_pose_stamp(
        lifter_path or models_dir() / "lifter.pt")
    cached = cache_dir() / "refiner" / (
        f"rendered_{split}_{hashlib.sha1(key.encode()).hexdigest()[:12]}.npz")
    if cached.exists():
        return _load_chunks(cached)
    lifter = LifterAdapter(lifter_path)
    pairs = []
    for seq in rendered_sequences(folder, split):
        inp = lifter(seq.keypoints, seq.visibility, seq.image_size, world=seq.world)
        if inp is not None:
            pairs.append((inp.astype(np.float32), seq.truth.astype(np.float32)))
    cached.parent.mkdir(parents=True, exist_ok=True)
    _save_chunks(cached, pairs)
    return pairs


def _load_chunks(path: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """(input, truth) chunks from a cache file of ``_save_chunks``."""
    with np.load(path) as d:   # each d[key] reads the file again: read once
        inp, gt, off = d["inp"], d["gt"], d["offsets"]
    return [(inp[a:b], gt[a:b]) for a, b in zip(off[:-1], off[1:])]


def _save_chunks(path: Path, pairs) -> None:
    """Chunks concatenated with their offsets; written under a per-process name and moved
    into place (two trainings may fill the same cache at once)."""
    off = np.concatenate([[0], np.cumsum([len(p[0]) for p in pairs])])
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.part.npz")
    np.savez(tmp, inp=np.concatenate([p[0] for p in pairs]),
             gt=np.concatenate([p[1] for p in pairs]), offsets=off)
    tmp.replace(path)


# --------------------------------------------------------------------------- metrics

def accel_error_mm(pred: np.ndarray, gt: np.ndarray) -> float:
    """Mean |acceleration(pred) - acceleration(gt)| per joint, mm/frame^2."""
    def acc(x):
        return x[2:] - 2 * x[1:-1] + x[:-2]
    return float(np.linalg.norm(acc(pred) - acc(gt), axis=-1).mean() * 1000.0)


def evaluate(pairs, fn) -> dict:
    """Frame-weighted MPJPE and acceleration error of ``fn(input) -> refined`` over chunks."""
    e, a, n, na, s = 0.0, 0.0, 0, 0, 0.0
    for inp, gt in pairs:
        pred = fn(inp.astype(np.float64))
        e += mpjpe(pred, gt) * len(gt)       # mocap_train.metrics: root-relative, mm
        s += 1000.0 * float(losses.symmetry_loss(torch.from_numpy(np.asarray(pred)))) * len(gt)
        n += len(gt)
        if len(gt) >= 3:
            a += accel_error_mm(pred, gt) * (len(gt) - 2)
            na += len(gt) - 2
    return {"mpjpe_mm": e / n, "accel_mm": a / na, "asym_mm": s / n, "frames": n}


# --------------------------------------------------------------------------- training

def _descendants(joint: int) -> list[int]:
    """``joint`` and every joint below it in ``core.skeleton.PARENTS``."""
    out = [joint]
    for j in range(NUM_JOINTS):
        k = j
        while k >= 0 and k != joint:
            k = PARENTS[k]
        if k == joint and j != joint:
            out.append(j)
    return out


#: The 8 limb bones the report's left/right asymmetry measures, as (proximal joint, the
#: joints moved when the bone is lengthened).
LIMB_SEGMENTS = tuple((J[f"{s}_{a}"], _descendants(J[f"{s}_{b}"]))
                      for s in ("left", "right")
                      for a, b in (("shoulder", "elbow"), ("elbow", "wrist"),
                                   ("hip", "knee"), ("knee", "ankle")))


def scale_limbs(x: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Lengthen or shorten the 8 limb bones of poses ``x`` (B, ..., J, 3) by ``factors``
    (B, 8), the same factor in every frame of a sample: the distal joint and everything
    below it move along the bone. Models the lifter's failure on real video, where one
    forearm or shin comes out consistently too short or too long (a limb pointing at the
    camera), which the projected motion capture hardly shows."""
    x = x.copy()
    extra = (1,) * (x.ndim - 3)
    for k, (prox, moved) in enumerate(LIMB_SEGMENTS):
        f = factors[:, k].reshape(-1, *extra, 1) - 1.0               # (B, 1.., 1)
        delta = f * (x[..., moved[0], :] - x[..., prox, :])          # (B, .., 3)
        x[..., moved, :] += delta[..., None, :]
    return x


def _batches(pairs, window: int, past: int, batch: int, rng: np.random.Generator,
             limb_aug: float = 0.0, limb_aug_prob: float = 0.5, clean_extra: float = 0.0):
    """Endless (windows (B, 3, W, J, 3), targets (B, 3, J, 3)) float32 tensors for three
    consecutive frames each (for the acceleration loss); windows clamp at chunk edges
    like ``TemporalRefiner.make_windows``. With ``limb_aug`` > 0, a fraction
    ``limb_aug_prob`` of the input windows get one or two limb bones scaled by a factor in
    1 +- ``limb_aug`` over the whole window (``scale_limbs``); targets stay the truth.
    A fraction ``clean_extra`` of the windows get the ground truth itself as input (on top
    of the prepared chunks' ``CLEAN_FRACTION``): clean motion must come out unchanged."""
    inp = np.concatenate([p[0] for p in pairs])
    gt = np.concatenate([p[1] for p in pairs])
    lengths = np.array([len(p[0]) for p in pairs])
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    owner = np.repeat(np.arange(len(pairs)), lengths)
    offsets = np.arange(window) - past
    while True:
        idx = rng.integers(0, len(inp), batch)                                  # (B,)
        lo, hi = starts[owner[idx]], starts[owner[idx]] + lengths[owner[idx]] - 1
        mid = np.clip(idx, lo + 1, hi - 1)
        frames = mid[:, None] + np.array([-1, 0, 1])[None]                      # (B, 3)
        w = np.clip(frames[:, :, None] + offsets[None, None], lo[:, None, None],
                    hi[:, None, None])                                          # (B, 3, W)
        x = inp[w]                                                              # (B, 3, W, J, 3)
        y = gt[frames]                                                          # (B, 3, J, 3)
        if clean_extra > 0:
            clean = rng.random(batch) < clean_extra
            x[clean] = gt[w[clean]]
        if limb_aug > 0:
            factors = np.ones((batch, len(LIMB_SEGMENTS)))
            for b in np.flatnonzero(rng.random(batch) < limb_aug_prob):
                bones = rng.choice(len(LIMB_SEGMENTS), int(rng.integers(1, 3)), replace=False)
                factors[b, bones] = 1.0 + rng.uniform(-limb_aug, limb_aug, len(bones))
            x = scale_limbs(x, factors).astype(np.float32)
        # a random turn about the vertical axis: the refiner must not care where the
        # person faces
        ang = rng.uniform(0, 2 * np.pi, batch)
        c, s = np.cos(ang), np.sin(ang)
        rot = np.zeros((batch, 3, 3), np.float32)
        rot[:, 0, 0], rot[:, 0, 2], rot[:, 1, 1], rot[:, 2, 0], rot[:, 2, 2] = c, s, 1, -s, c
        x = np.einsum("bij,btwkj->btwki", rot, x)
        y = np.einsum("bij,btkj->btki", rot, y)
        yield torch.from_numpy(np.ascontiguousarray(x, np.float32)), \
            torch.from_numpy(np.ascontiguousarray(y, np.float32))


def train(config: RefinerConfig, source: str, minutes: float, out: Path, seed: int = 0,
          batch: int = 256, lr: float = 1e-3, train_frames: int | None = None,
          val_frames: int = 20000, accel_weight: float = 1.0,
          symmetry_weight: float = 5.0, limb_aug: float = 0.0,
          clean_extra: float = 0.0, lifter_path: Path | None = None,
          rendered: Path | None = None) -> TemporalRefiner:
    """``symmetry_weight``: Dabral et al.'s left/right bone-length symmetry loss on the
    refined poses (metres), so the refiner also evens out the lifter's asymmetric limbs.
    ``limb_aug``: relative range of the limb-length augmentation of the inputs
    (``_batches``; 0 = off). ``clean_extra``: fraction of extra windows whose input is
    the ground truth (``_batches``). ``lifter_path``: the lifter whose output is refined
    (default: the shipped one). ``rendered``: a rendered set whose train sequences join
    the mocap chunks, and whose val sequences (real detector output) are the validation."""
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    lifter = None   # made on first use (cached lifted chunks need none)
    t0 = time.time()
    train_pairs = make_pairs("train", source, seed + 1, train_frames, lifter, lifter_path) \
        if train_frames != 0 else []
    if rendered is not None:
        train_pairs = train_pairs + rendered_pairs(rendered, "train", lifter_path)
        val_pairs = rendered_pairs(rendered, "val", lifter_path)
    else:
        val_pairs = make_pairs("val", source, seed + 2, val_frames, lifter, lifter_path)
    print(f"data: {sum(len(p[0]) for p in train_pairs)} train frames, "
          f"{sum(len(p[0]) for p in val_pairs)} val frames ({time.time() - t0:.0f} s)",
          flush=True)
    model = TemporalRefiner(config).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    batches = _batches(train_pairs, config.window, model.past_frames, batch, rng,
                       limb_aug=limb_aug, clean_extra=clean_extra)
    budget = minutes * 60.0
    t_start = time.time()
    best, best_state, best_m, step = math.inf, None, None, 0
    next_eval = 60.0
    while True:
        frac = (time.time() - t_start) / budget
        if frac >= 1.0:
            break
        for g in opt.param_groups:   # cosine decay over the time budget
            g["lr"] = lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * frac)))
        x, y = next(batches)
        x, y = x.to(device), y.to(device)
        b, w = x.shape[0], x.shape[2]
        pred = model(x.reshape(b * 3, w, *x.shape[3:])).reshape(b, 3, *y.shape[2:])
        # MPJPE on the three frames, plus the error of their acceleration (metres): the
        # refined motion must be as smooth as the real one, not only close to it
        pos = torch.linalg.vector_norm(pred - y, dim=-1).mean()
        acc = lambda z: z[:, 2] - 2 * z[:, 1] + z[:, 0]                    # noqa: E731
        acc_err = torch.linalg.vector_norm(acc(pred) - acc(y), dim=-1).mean()
        sym = losses.symmetry_loss(pred)
        loss = pos + accel_weight * acc_err + symmetry_weight * sym
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if time.time() - t_start >= next_eval or time.time() - t_start >= budget - 1.0:
            next_eval += 60.0
            model.eval()
            m = evaluate(val_pairs, lambda p: model.refine(p))
            model.train()
            score = m["mpjpe_mm"] + accel_weight * m["accel_mm"]   # as the loss weighs them
            if score < best:
                best, best_m = score, m
                best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
            print(f"{time.time() - t_start:6.0f} s step {step:6d} MPJPE {pos.item() * 1000:6.1f} "
                  f"accel {acc_err.item() * 1000:5.2f} | "
                  f"val MPJPE {m['mpjpe_mm']:6.1f} accel {m['accel_mm']:5.2f} "
                  f"asym {m['asym_mm']:5.1f}", flush=True)
    if best_state is not None:
        model.load_state_dict(best_state)
    model = model.cpu().eval()
    model.save(out, source=source, steps=step, minutes=minutes,
               val_mpjpe_mm=best_m and best_m["mpjpe_mm"], val_accel_mm=best_m and best_m["accel_mm"],
               seed=seed, batch=batch, lr=lr, accel_weight=accel_weight,
               symmetry_weight=symmetry_weight, limb_aug=limb_aug, clean_extra=clean_extra,
               val_asym_mm=best_m and best_m["asym_mm"], lifter=str(lifter_path or ""),
               rendered=str(rendered or ""))
    print(f"saved {out} (val {best_m}, {step} steps)", flush=True)
    return model


# --------------------------------------------------------------------------- evaluation

def tune_one_euro(val_pairs) -> tuple[float, float, dict]:
    """Grid search of the One-Euro filter's (min_cutoff Hz, beta) on validation MPJPE."""
    from mocap_app.pipeline.one_euro import one_euro_sequence  # noqa: PLC0415
    best = (math.inf, None, None, None)
    for mc in (0.25, 0.5, 1.0, 1.5, 2.5, 4.0, 8.0):
        for beta in (0.0, 0.1, 0.3, 1.0, 3.0):
            m = evaluate(val_pairs, lambda p: one_euro_sequence(p, FPS, mc, beta))
            if m["mpjpe_mm"] < best[0]:
                best = (m["mpjpe_mm"], mc, beta, m)
    return best[1], best[2], best[3]


def run_evaluation(source: str, causal_path: Path, bidir_path: Path, seed: int = 123,
                   test_frames: int | None = None, val_frames: int = 15000) -> dict:
    """One run: per-frame, One-Euro (tuned on val), causal and bidirectional TP-Net on the
    held-out test split. Prints a table and returns it."""
    from mocap_app.pipeline.one_euro import one_euro_sequence  # noqa: PLC0415
    torch.set_num_threads(1)
    lifter = None   # made on first use (cached lifted chunks need none)
    val_pairs = make_pairs("val", source, seed + 1, val_frames, lifter)
    test_pairs = make_pairs("test", source, seed, test_frames, lifter)
    mc, beta, _ = tune_one_euro(val_pairs)
    causal = TemporalRefiner.load(causal_path)
    bidir = TemporalRefiner.load(bidir_path)
    rows = {
        "per-frame lifting": evaluate(test_pairs, lambda p: p),
        f"One-Euro (min_cutoff {mc} Hz, beta {beta}; tuned on val)":
            evaluate(test_pairs, lambda p: one_euro_sequence(p, FPS, mc, beta)),
        f"TP-Net causal (window {causal.window}, latency {causal.latency})":
            evaluate(test_pairs, causal.refine),
        f"TP-Net bidirectional (window {bidir.window}, latency {bidir.latency})":
            evaluate(test_pairs, bidir.refine),
    }
    base = rows["per-frame lifting"]
    print(f"\nheld-out test split, source={source}, {base['frames']} frames, "
          f"{len(test_pairs)} chunks of <= {CHUNK} frames")
    print(f"| method | MPJPE mm | vs per-frame | accel err mm/f^2 | vs per-frame "
          f"| L/R asym mm (10 bone pairs) |")
    print("|---|---|---|---|---|---|")
    for name, m in rows.items():
        m["mpjpe_change_pct"] = 100 * (m["mpjpe_mm"] / base["mpjpe_mm"] - 1)
        m["accel_change_pct"] = 100 * (m["accel_mm"] / base["accel_mm"] - 1)
        print(f"| {name} | {m['mpjpe_mm']:.1f} | {m['mpjpe_change_pct']:+.1f} % | "
              f"{m['accel_mm']:.2f} | {m['accel_change_pct']:+.1f} % | {m['asym_mm']:.1f} |")
    return {"source": source, "seed": seed, "rows": rows}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    kind = ap.add_mutually_exclusive_group()
    kind.add_argument("--causal", action="store_true", help="train the causal (live) model")
    kind.add_argument("--bidir", action="store_true", help="train the bidirectional model")
    kind.add_argument("--evaluate", action="store_true", help="print the comparison table")
    ap.add_argument("--window", type=int, default=None, help="frames (default 24 / 31)")
    ap.add_argument("--accel-weight", type=float, default=1.0,
                    help="weight of the acceleration-error loss next to MPJPE")
    ap.add_argument("--symmetry-weight", type=float, default=5.0,
                    help="weight of the left/right bone-length symmetry loss (Dabral et al.)")
    ap.add_argument("--limb-aug", type=float, default=0.0,
                    help="scale one or two limb bones of half the input windows by up to "
                         "+- this fraction (0 = off)")
    ap.add_argument("--clean-extra", type=float, default=0.0,
                    help="fraction of extra training windows whose input is the ground "
                         "truth (keeps clean motion unchanged)")
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--minutes", type=float, default=20.0, help="training time budget")
    ap.add_argument("--source", choices=("lifter", "sim", "auto"), default="auto",
                    help="per-frame 3D from the real lifter, or simulated (auto: lifter "
                         "when models/lifter.pt exists)")
    ap.add_argument("--train-frames", type=int, default=None)
    ap.add_argument("--test-frames", type=int, default=None)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--prepare", action="store_true",
                    help="only lift and cache the training/validation chunks, then exit")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--lifter", type=Path, default=None,
                    help="the lifter whose output is refined (default: the shipped one)")
    ap.add_argument("--rendered", type=Path, default=None,
                    help="rendered set (python -m mocap_train.render): its train sequences "
                         "join the training chunks, its val sequences validate")
    ap.add_argument("--json", type=Path, default=None, help="evaluation: write results here")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    source = args.source
    if source == "auto":
        source = "lifter" if (models_dir() / "lifter.pt").exists() else "sim"
    if args.prepare:
        make_pairs("train", source, args.seed + 1, args.train_frames)
        make_pairs("val", source, args.seed + 2, 20000)
        print("cached", flush=True)
        return 0
    if args.evaluate:
        res = run_evaluation(source, models_dir() / "refiner_causal.pt",
                             models_dir() / "refiner_bidir.pt", test_frames=args.test_frames)
        if args.json:
            args.json.write_text(json.dumps(res, indent=1))
        return 0
    causal = bool(args.causal)
    window = args.window or (24 if causal else 31)
    config = RefinerConfig(window=window, causal=causal, hidden=args.hidden)
    out = args.out or models_dir() / ("refiner_causal.pt" if causal else "refiner_bidir.pt")
    print(f"training {asdict(config)} on {source} for {args.minutes} min -> {out}", flush=True)
    train(config, source, args.minutes, out, seed=args.seed, train_frames=args.train_frames,
          accel_weight=args.accel_weight, symmetry_weight=args.symmetry_weight,
          limb_aug=args.limb_aug, clean_extra=args.clean_extra, lifter_path=args.lifter,
          rendered=args.rendered)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
