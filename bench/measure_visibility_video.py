"""Measure how our BlazePose detector's visibility depends on whether a joint is hidden
behind the body, on real video, and write ``mocap_train/detector_visibility.json``:
the visibility model of the lifter's training pairs (``mocap_train/camera_sim.py``).

    .venv/bin/python bench/measure_visibility_video.py [--cache detections.npz]

Data and reference as ``eval_pose2sim.py`` (the Pose2Sim take, four calibrated views, the
app's detector in tracking mode; per view, the 25 app joints triangulated from the other
views). A joint is hidden in a view when its reference lies more than 8 cm farther from
that camera than the torso (the mean depth of pelvis and neck): ``camera_sim.hidden_joints``,
the rule the training pairs use. Per app joint, left and right pooled (the take turns one
side to most cameras), the mean and standard deviation of the detector's visibility when
the joint is visible and when it is hidden. Joints hidden fewer than ``MIN_HIDDEN`` times
(the face, neck and spine) get the visible figures for both.

The visibility model this replaced (before 2026-11-24) took every joint's mean visibility
from MediaPipe on LSP's photos (0.78-0.86 for limbs) and subtracted an assumed 0.25 for
hidden joints, torso and face included; on video the detector says 0.99-1.0 for the torso
and face whether hidden or not, 0.95-0.99 for visible limbs, and less, by 0.05-0.6, for
hidden ones. The lifter reads depth order from visibility, so the mismatch cost it on
real video (LIFTER_CARD, "Real video").
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mocap_app.core.skeleton import J, JOINT_NAMES, MIRROR_PERMUTATION  # noqa: E402
from mocap_train.camera_sim import hidden_joints  # noqa: E402
from mocap_train.multiview import read_qca  # noqa: E402

from eval_pose2sim import cached_detections, references, take_dir  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "mocap_train" / "detector_visibility.json"
MIN_HIDDEN = 30


def hidden_states(cams, loo: np.ndarray, kp: np.ndarray) -> np.ndarray:
    """(V, F, J) 1 hidden, 0 visible, -1 no reference or not detected."""
    out = np.full(kp.shape[:3], -1, dtype=np.int8)
    for v, c in enumerate(cams):
        ref = loo[v]
        cam = np.einsum("ij,fkj->fki", c.R, np.nan_to_num(ref)) + c.t.reshape(1, 1, 3)
        ok = np.isfinite(ref).all(-1) & np.isfinite(kp[v]).all(-1)
        # the torso's depth needs pelvis and neck: frames without them are not used
        ok &= ok[:, [J["pelvis"]]] & ok[:, [J["neck"]]]
        out[v] = np.where(ok, hidden_joints(cam).astype(np.int8), -1)
    return out


def visibility_model(state: np.ndarray, vis: np.ndarray) -> dict:
    """Per app joint {visible: [mean, sd, n], hidden: [mean, sd, n]}, left/right pooled."""
    state = state.reshape(-1, state.shape[-1])
    vis = vis.reshape(-1, vis.shape[-1])
    per_joint = {}
    for j, name in enumerate(JOINT_NAMES):
        pair = sorted({j, MIRROR_PERMUTATION[j]})
        s, v = state[:, pair].ravel(), vis[:, pair].ravel()
        row = {}
        for key, flag in (("visible", 0), ("hidden", 1)):
            x = v[s == flag]
            row[key] = [round(float(x.mean()), 3) if x.size else None,
                        round(float(x.std()), 3) if x.size else None, int(x.size)]
        if row["hidden"][2] < MIN_HIDDEN:
            row["hidden"] = row["visible"][:2] + [row["hidden"][2]]
        per_joint[name] = row
    return per_joint


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", type=Path, default=None,
                    help="npz of the detections (eval_pose2sim's): read if it exists, else written")
    args = ap.parse_args(argv)
    cams = read_qca(take_dir() / "Calib.qca.txt")
    data = cached_detections(cams, args.cache)
    loo, _ = references(cams, data["kp"])
    state = hidden_states(cams, loo, data["kp"])
    result = {
        "source": "our BlazePose detector (tracking mode) on the Pose2Sim take, "
                  f"{data['kp'].shape[0]} views x {data['kp'].shape[1]} frames; hidden = "
                  "leave-one-view-out reference > 8 cm behind the torso in that view; "
                  "left/right pooled; [mean, sd, samples]",
        "min_hidden": MIN_HIDDEN,
        "per_joint": visibility_model(state, data["vis"]),
    }
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    print(f"{'joint':16s}{'visible':>16s}{'hidden':>16s}")
    for name, row in result["per_joint"].items():
        a, b = row["visible"], row["hidden"]
        print(f"{name:16s}{a[0]:9.3f} +-{a[1]:.3f}{b[0]:9.3f} +-{b[1]:.3f}  (n {a[2]}, {b[2]})")
    return result


if __name__ == "__main__":
    main()
