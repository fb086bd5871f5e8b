"""Finger bones in real Blender (bpy, child processes): our BVH and FBX with fingers,
imported, put every finger tip within a millimetre of where forward kinematics of the
take's finger angles puts it. Cost: two Blender starts (FBX export, one batch of two
imports), about 5 s."""
import numpy as np
import pytest

from mocap_app.core.hand import SIDES
from mocap_app.export import ExportOptions, export_sequence
from mocap_app.export import blender
from mocap_app.export.blender import inspect_task, run_blender_tasks
from mocap_app.export.retarget import retarget

from .hands import puppet_with_hands
from .test_blender import _blender_axes
from .test_finger_export import FINGER_TIPS, _expected_tips

if not blender.blender_available():
    pytest.fail("bpy is not installed: run scripts/setup.sh (pip install bpy==4.5.15)",
                pytrace=False)

FRAMES = [1, 17, 40]
TOL_M = 0.001


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("blender_fingers")
    seq, angles = puppet_with_hands(40, fps=30.0)
    bvh = export_sequence(seq, tmp / "hands.bvh")
    fbx = export_sequence(seq, tmp / "hands.fbx", ExportOptions(format="fbx"))
    results = run_blender_tasks([inspect_task(bvh, FRAMES, update_scene_fps=True),
                                 inspect_task(fbx, FRAMES, fps=30.0)])
    return seq, angles, dict(zip(("bvh", "fbx"), results))


@pytest.mark.parametrize("kind", ["bvh", "fbx"])
def test_finger_tips_in_blender_land_where_the_angles_put_them(imported, kind):
    seq, angles, results = imported
    got = results[kind]
    r = retarget(seq)
    assert sorted(got["bones"]) == sorted(r.names)
    for side in SIDES:
        want = _blender_axes(_expected_tips(r, angles, side))     # (T, 5, 3) metres
        idx = [got["bones"].index(n) for n in FINGER_TIPS[side]]
        for frame in FRAMES:
            heads = np.array(got["heads"][str(frame)])[idx]
            err = np.linalg.norm(heads - want[frame - 1], axis=-1).max()
            assert err <= TOL_M, f"{kind} {side} frame {frame}: {err * 1000:.3f} mm"
