"""The lifter's error by how far off the camera's optical axis the person stands: held-out
test split, the evaluation's cameras and noise draws (``mocap_train/evaluate``), frames grouped
by the angle between the optical axis and the ray to the pelvis.

    .venv/bin/python bench/lifter_off_axis.py LIFTER.pt [LIFTER.pt ...] [--stride 10]

A lifter that sees only the keypoints framed by their own box cannot tell a person 25
degrees off the axis from one turned by 25 degrees at the centre, so its root-relative
error (camera axes) grows with the angle; one that also reads where the joints are in the
picture (``normalize.IMAGE_FEATURES``) need not. Every model flip-averaged, as the app
runs it; MPJPE at the true body scale and PA-MPJPE, mm.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mocap_app.core.skeleton import J  # noqa: E402
from mocap_train import camera_sim, metrics  # noqa: E402
from mocap_app.lift.checkpoint import load_checkpoint  # noqa: E402
from mocap_app.lift.inference import FlipAveraged  # noqa: E402
from mocap_train.mocap_data import load_split  # noqa: E402
from mocap_app.lift.normalize import cube_to_metres  # noqa: E402
from mocap_train.train import frames_of, predict_cube  # noqa: E402

BANDS = ((0, 5), (5, 10), (10, 20), (20, 90))


def pairs_with_angles(frames: np.ndarray, noise: float, seed: int):
    """The evaluation's pairs and each one's off-axis angle of the pelvis, degrees."""
    seen = {}

    def spy(kp, cam, sizes, rng, noise_scale=1.0, noise_model="lsp"):
        seen["cam"] = cam.copy()
        return camera_sim.detector_errors(kp, cam, sizes, rng, noise_scale, noise_model)

    pairs = camera_sim.make_pairs(frames, np.random.default_rng(seed), noise_scale=noise,
                                  errors=spy)
    ray = seen["cam"][:, J["pelvis"]]                      # OpenCV camera: z = optical axis
    angle = np.degrees(np.arccos(ray[:, 2] / np.linalg.norm(ray, axis=1)))
    return pairs, angle


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("lifters", type=Path, nargs="+")
    p.add_argument("--stride", type=int, default=10)
    p.add_argument("--seed", type=int, default=1234)
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    models = {str(path): FlipAveraged(load_checkpoint(path, kind="margipose")[0])
              for path in a.lifters}
    frames = frames_of(load_split("test"), stride=a.stride)
    print(f"held-out test split, {len(frames)} frames; MPJPE / PA-MPJPE, mm")
    for noise, label in ((0.0, "exact 2D"), (1.0, "LSP x1")):
        pairs, angle = pairs_with_angles(frames, noise, a.seed)
        gt = cube_to_metres(pairs.target, pairs.scale)
        heads = [f"{lo}-{hi} deg ({100 * np.mean((angle >= lo) & (angle < hi)):.0f} %)"
                 for lo, hi in BANDS]
        print(f"\n{label}: off-axis angle mean {angle.mean():.1f} deg\n")
        print("| lifter | all | " + " | ".join(heads) + " |")
        print("|---|---|" + "---|" * len(BANDS))
        for name, model in models.items():
            pred = cube_to_metres(predict_cube(model, pairs.inputs), pairs.scale)
            e = metrics.joint_errors(pred, gt).mean(1)
            pa = metrics.pa_joint_errors(pred, gt).mean(1)
            cells = [f"{e.mean():.1f} / {pa.mean():.1f}"]
            for lo, hi in BANDS:
                m = (angle >= lo) & (angle < hi)
                cells.append(f"{e[m].mean():.1f} / {pa[m].mean():.1f}")
            print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
