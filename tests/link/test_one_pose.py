"""The live link's one-pose rotations are the BVH export's: ``OnePoseRig`` against
``export.retarget.world_rotations`` on walking, turning and degenerate poses."""
from __future__ import annotations

import numpy as np

from mocap_app.core.skeleton import J
from mocap_app.export.retarget import build_rig, world_rotations
from mocap_app.link.one_pose import OnePoseRig

from ..export.puppet import puppet_sequence


def test_one_pose_rotations_equal_the_exports():
    take = puppet_sequence(90, fps=30.0, turns=1.0)
    x = take.joints_3d
    rig = build_rig(x)
    want = world_rotations(rig, x)
    one = OnePoseRig(rig)
    rng = np.random.default_rng(3)
    noisy = x + rng.normal(0, 0.03, x.shape)            # bent, twisted, asymmetric poses
    want_noisy = world_rotations(rig, noisy)
    for k in range(len(x)):
        np.testing.assert_allclose(one.world_rotations(x[k]), want[k], atol=1e-12)
        np.testing.assert_allclose(one.world_rotations(noisy[k]), want_noisy[k], atol=1e-12)


def test_degenerate_poses_fall_back_as_the_export_does():
    take = puppet_sequence(10, fps=30.0)
    rig = build_rig(take.joints_3d)
    x = take.joints_3d[3].copy()
    x[J["left_elbow"]] = x[J["left_shoulder"]]          # zero-length upper arm
    x[J["right_wrist"]] = x[J["right_elbow"]] + (x[J["right_elbow"]] - x[J["right_shoulder"]])
    x[J["left_ear"]] = x[J["right_ear"]]                 # no ear line
    want = world_rotations(rig, x[None])[0]
    np.testing.assert_allclose(OnePoseRig(rig).world_rotations(x), want, atol=1e-12)
