"""Test helpers: forward kinematics through the third-party ``bvh`` package (an outside
reader) with scipy's rotations, and a real mocap sample mapped onto the app's joints."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from bvh import Bvh
from scipy.spatial.transform import Rotation

from mocap_app.core.bvh import read_bvh
from mocap_app.core.pose import PoseSequence
from mocap_app.core.skeleton import J, NUM_JOINTS


def fk_with_bvh_package(path: Path, frames: list[int]) -> tuple[list[str], np.ndarray]:
    """World joint positions (len(frames), N, 3) computed from the ``bvh`` package's view
    of the file. Euler "ZXY" channels are intrinsic rotations (scipy's upper-case)."""
    mocap = Bvh(Path(path).read_text())
    names = mocap.get_joints_names()
    out = np.zeros((len(frames), len(names), 3))
    for k, f in enumerate(frames):
        g_rot, g_pos = {}, {}
        for name in names:
            channels = mocap.joint_channels(name)
            values = [float(v) for v in mocap.frame_joint_channels(f, name, channels)]
            parent = mocap.joint_parent(name)
            rot_ch = [c for c in channels if c.endswith("rotation")]
            order = "".join(c[0] for c in rot_ch)
            angles = [values[channels.index(c)] for c in rot_ch]
            local = Rotation.from_euler(order, angles, degrees=True).as_matrix()
            if parent is None:
                pos = np.array([values[channels.index(a + "position")] for a in "XYZ"])
                g_rot[name], g_pos[name] = local, pos
            else:
                offset = np.array(mocap.joint_offset(name), float)
                g_pos[name] = g_pos[parent.name] + g_rot[parent.name] @ offset
                g_rot[name] = g_rot[parent.name] @ local
        out[k] = [g_pos[n] for n in names]
    return names, out


def cmu_sample_sequence(shared_data: Path, frames: slice = slice(0, 240, 2),
                        unit: float = 0.06) -> PoseSequence:
    """CMU 131_01 (cgspeed BVH, 120 fps, ~6 cm units) mapped by hand onto the app joints.
    Its bone lengths in the app's tree vary over time (the spine and collars bend), as a
    real take's do."""
    m = read_bvh(shared_data / "mocap" / "sample" / "cmu_131_01_cgspeed_max.bvh")
    g_rot, g_pos = m.world_transforms()
    g_rot, g_pos = g_rot[frames], g_pos[frames] * unit
    p = lambda n: g_pos[:, m.index(n)]  # noqa: E731
    r = lambda n: g_rot[:, m.index(n)]  # noqa: E731
    off = lambda n, v: p(n) + np.einsum("tij,j->ti", r(n), np.asarray(v) * unit)  # noqa: E731
    x = np.zeros((len(g_pos), NUM_JOINTS, 3))
    x[:, J["pelvis"]] = 0.5 * (p("LeftHip") + p("RightHip"))
    x[:, J["neck"]] = 0.5 * (p("LeftShoulder") + p("RightShoulder"))
    x[:, J["spine"]] = 0.5 * (x[:, J["pelvis"]] + x[:, J["neck"]])
    x[:, J["head"]] = off("Head", (0, 0.8, 0))
    x[:, J["left_ear"]] = off("Head", (1.1, 0.8, 0))
    x[:, J["right_ear"]] = off("Head", (-1.1, 0.8, 0))
    x[:, J["nose"]] = off("Head", (0, 0.5, 1.5))
    for side, cmu, c in (("left_", "Left", "L"), ("right_", "Right", "R")):
        x[:, J[side + "shoulder"]] = p(cmu + "Shoulder")
        x[:, J[side + "elbow"]] = p(cmu + "Elbow")
        x[:, J[side + "wrist"]] = p(cmu + "Wrist")
        x[:, J[side + "hand"]] = p(c + "Fingers")
        x[:, J[side + "hip"]] = p(cmu + "Hip")
        x[:, J[side + "knee"]] = p(cmu + "Knee")
        x[:, J[side + "ankle"]] = p(cmu + "Ankle")
        x[:, J[side + "toe"]] = p(cmu + "Toe")
        x[:, J[side + "heel"]] = off(cmu + "Ankle", (0, -0.5, -0.7))
    root = x[:, J["pelvis"]].copy()
    x = x - root[:, None]
    n = len(x)
    ts = np.arange(n) * m.frame_time * (frames.step or 1)
    return PoseSequence(ts, x, np.zeros((n, NUM_JOINTS, 2)), np.ones((n, NUM_JOINTS)),
                        np.ones(n, bool), 1.0 / (m.frame_time * (frames.step or 1)),
                        (640, 480), root)
