"""How much of the lifter's error on rendered frames comes from the detector's input, and
how much from the network: the same frames lifted from the detector's output, from the
exact 2D, and from the exact 2D with the exact 3D given as the "detector's 3D".

    .venv/bin/python bench/lifter_input_budget.py --data .cache/rendered_v2 .cache/rendered_takelike

For each folder's split (default: test), every frame where the detector found the subject,
one pass of the network (no flip averaging, fusion or refiner: the network alone). Rows:

- BlazePose's world landmarks alone;
- the lifter on what the detector gave (2D, visibility, its 3D), as the app runs it;
- the same without the detector's 3D;
- the exact 2D (the rendered joints' pixels) with the detector's visibility and 3D;
- the exact 2D without any 3D;
- the exact 2D with the exact 3D given in the detector's place (the network's floor: what
  is left is its own).

PA-MPJPE and MPJPE (pelvis-aligned, true scale) in mm against the exact joints.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mocap_app.lift.normalize import IMAGE_FEATURES, cube_to_metres, normalize_keypoints  # noqa: E402


def rows(model, data) -> dict[str, tuple[float, float]]:
    """Row name -> (PA-MPJPE, MPJPE) in mm on the pairs of ``data`` (RenderedPairs)."""
    from mocap_train.metrics import joint_errors, pa_joint_errors
    from mocap_train.train import predict_cube
    gt = cube_to_metres(data.target, data.scale)

    def lifted(inputs):
        pred = cube_to_metres(predict_cube(model, inputs), data.scale)
        return pa_joint_errors(pred, gt).mean(), joint_errors(pred, gt).mean()

    def no_3d(inputs):
        out = inputs.copy()
        out[..., IMAGE_FEATURES:] = 0.0
        return out

    size, vis = data.image_size, data.visibility
    exact_2d = normalize_keypoints(data.truth_px.astype(np.float64), vis, size, data.world,
                                   detector_3d=True)
    exact_3d = normalize_keypoints(data.truth_px.astype(np.float64), vis, size,
                                   gt - gt[:, :1], detector_3d=True)
    world = data.world - data.world[:, :1]
    return {
        "BlazePose world landmarks": (pa_joint_errors(world, gt).mean(),
                                      joint_errors(world, gt).mean()),
        "lifter: the detector's 2D and 3D (as the app)": lifted(data.inputs),
        "lifter: the detector's 2D, no 3D": lifted(no_3d(data.inputs)),
        "lifter: exact 2D, the detector's 3D": lifted(exact_2d),
        "lifter: exact 2D, no 3D": lifted(no_3d(exact_2d)),
        "lifter: exact 2D, exact 3D as the detector's": lifted(exact_3d),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", nargs="+", required=True, help="folders of rendered shards")
    p.add_argument("--split", default="test", choices=("train", "val", "test"))
    p.add_argument("--lifter", type=Path, default=None, help="default models/lifter.pt")
    args = p.parse_args(argv)
    import torch
    torch.set_num_threads(1)
    from mocap_app.core.paths import models_dir
    from mocap_app.lift.checkpoint import load_checkpoint
    from mocap_train.rendered_data import load_rendered
    model, _ = load_checkpoint(args.lifter or models_dir() / "lifter.pt", kind="margipose")
    if model.config.in_features <= IMAGE_FEATURES:
        p.error("this lifter takes no detector 3D (a stage-6 or later checkpoint is needed)")
    for folder in args.data:
        data = load_rendered(folder, args.split)
        if not len(data.inputs):
            p.error(f"no {args.split} pairs in {folder}")
        print(f"\n{folder} ({args.split}): {len(data.inputs)} frames with the subject found\n")
        print("| input | PA-MPJPE mm | MPJPE mm |")
        print("|---|---|---|")
        for name, (pa, mp) in rows(model, data).items():
            print(f"| {name} | {pa:.1f} | {mp:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
