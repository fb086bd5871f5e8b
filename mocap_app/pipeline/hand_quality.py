"""How well the hands were tracked: the motion report's hand section.

- ``detection_rate``: share of the frames with a person where the hand was seen;
- ``tip_jitter_mm``: the five finger tips in the palm's own frame (so the wrist's and the
  forearm's motion do not count), mean |x[t+1] - 2 x[t] + x[t-1]| over triplets of frames
  where the hand is seen in all three, in mm/frame² (BASELINE.md's jitter, on finger tips);
  raw (the hand model's landmarks) and after the finger stage (forward kinematics of the
  smoothed, limited angles on the take's own hand layout);
- ``at_limit_frames_pct``: share of the seen frames where at least one raw angle was past
  an anatomical limit (and clamped); ``at_limit_angles_pct``: share of all angle values;
- ``angle_error_deg`` (when the true angles are known, e.g. a rendered or synthetic take):
  mean absolute finger-angle error over the seen frames, degrees.
"""
from __future__ import annotations

import numpy as np

from ..core.hand import SIDES, TIPS, finger_angles, hand_from_angles, hand_layout, palm_frame
from ..core.pose import PoseSequence
from .fingers import FingerOptions, clamp_to_limits, finger_track


def _jitter_mm(x: np.ndarray, seen: np.ndarray) -> float:
    """(T, K, 3) metres; mean second difference over fully seen triplets, mm/frame²."""
    ok = seen[:-2] & seen[1:-1] & seen[2:]
    if not ok.any():
        return float("nan")
    acc = x[2:] - 2 * x[1:-1] + x[:-2]
    return float(1000 * np.linalg.norm(acc[ok], axis=-1).mean())


def hand_report(seq: PoseSequence, options: FingerOptions = FingerOptions(),
                true_angles: np.ndarray | None = None) -> dict | None:
    """The hand section for a take with hands (None without). ``true_angles`` (T, 2, 5, 4)
    radians, NaN where unknown: adds the angle error."""
    if seq.hands_3d is None:
        return None
    hands = np.array(seq.hands_3d, float)
    if seq.hands_held is not None:          # held from an earlier frame: not seen here
        hands[np.asarray(seq.hands_held, bool)] = np.nan
    person = np.asarray(seq.valid, bool)
    smooth, at_limit = finger_track(hands, seq.timestamps, options)
    out = {}
    for k, side in enumerate(SIDES):
        x = hands[:, k]
        seen = np.all(np.isfinite(x), axis=(-1, -2)) & person
        row = {"detection_rate": float(seen[person].mean()) if person.any() else 0.0,
               "frames_seen": int(seen.sum())}
        if seen.sum() >= 3:
            h = np.full((len(x), 3, 3), np.nan)
            with np.errstate(invalid="ignore", divide="ignore"):
                h[seen] = palm_frame(x[seen], side)
            local = np.einsum("tji,tkj->tki", np.nan_to_num(h), x - x[:, :1])   # palm frame
            row["tip_jitter_raw_mm"] = _jitter_mm(local[:, list(TIPS)], seen)
            bases, lengths = hand_layout(x[seen], side)
            fk = hand_from_angles(smooth[:, k], side, bases, lengths)
            row["tip_jitter_fingers_mm"] = _jitter_mm(fk[:, list(TIPS)], seen)
            lim = at_limit[seen, k]
            row["at_limit_frames_pct"] = float(100 * lim.any(axis=(-1, -2)).mean())
            row["at_limit_angles_pct"] = float(100 * lim.mean())
            if true_angles is not None:
                truth = np.asarray(true_angles, float)[:, k]
                ok = seen & np.all(np.isfinite(truth), axis=(-1, -2))
                with np.errstate(invalid="ignore", divide="ignore"):
                    raw = finger_angles(x[ok], side)
                raw, _ = clamp_to_limits(raw)
                row["angle_error_raw_deg"] = float(np.degrees(np.abs(raw - truth[ok]).mean()))
                row["angle_error_fingers_deg"] = float(np.degrees(
                    np.abs(smooth[ok, k] - truth[ok]).mean()))
        out[side] = row
    return out


def format_hand_table(section: dict) -> str:
    keys = (("detection_rate", "seen", 100.0, "%"), ("tip_jitter_raw_mm", "tip jitter raw", 1, ""),
            ("tip_jitter_fingers_mm", "tip jitter fingers", 1, ""),
            ("at_limit_frames_pct", "frames at a limit", 1, "%"),
            ("angle_error_fingers_deg", "angle error", 1, "°"))
    lines = ["| hand | seen | tip jitter raw (mm/f²) | tip jitter after fingers stage | "
             "frames at a limit | angle error (°) |", "|---|---|---|---|---|---|"]
    for side, row in section.items():
        cells = []
        for key, _, scale, unit in keys:
            v = row.get(key)
            cells.append("n/a" if v is None or not np.isfinite(v) else f"{v * scale:.1f}{unit}")
        lines.append(f"| {side} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
