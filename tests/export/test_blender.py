"""Real Blender (bpy 4.5, in child processes): our BVH imported with Blender's default
axes and global_scale=0.01 gives back our rig joints; FBX and GLB written by the app and
imported again give them back too; a workbench render shows the figure.

Cost: five Blender starts (FBX export, GLB export, one batch of three imports, the
preview render, one failing import), about 10 s on two cores.
"""
from __future__ import annotations


import cv2
import numpy as np
import pytest

from mocap_app.core.skeleton import J
from mocap_app.export import ExportOptions, export_sequence, rig_joint_positions
from mocap_app.export import blender
from mocap_app.export.blender import (BlenderError, BlenderNotInstalled, inspect_task,
                                      render_preview, run_blender_tasks)
from mocap_app.export.blender_child import scene_fps_settings

from .puppet import puppet_sequence

if not blender.blender_available():
    # scripts/setup.sh always installs bpy: its absence is a broken install, not a skip
    pytest.fail("bpy is not installed: run scripts/setup.sh (pip install bpy==4.5.15)",
                pytrace=False)

NTSC = 30000 / 1001
FRAMES = [1, 20, 45, 60]          # Blender frame numbers (the take's frame k is k + 1)
TOL_M = 0.001                     # 1 mm


def _blender_axes(positions_cm: np.ndarray) -> np.ndarray:
    """Our Y-up centimetres -> what Blender's importer makes of them with its defaults
    (axis_forward='-Z', axis_up='Y': x -> x, y -> z, z -> -y) and global_scale 0.01."""
    p = np.asarray(positions_cm)
    return np.stack([p[..., 0], -p[..., 2], p[..., 1]], axis=-1) * 0.01


@pytest.fixture(scope="module")
def blender_round_trip(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("blender")
    take_ntsc = puppet_sequence(60, fps=NTSC, turns=0.25)
    take_30 = puppet_sequence(60, fps=30.0, turns=0.25)
    bvh = export_sequence(take_ntsc, tmp / "take.bvh")
    # Blender's FBX importer reads keys at render.fps, ignoring fps_base, so an NTSC FBX
    # re-imports 0.1 % slow in Blender (its bug, not the file's): FBX is checked at 30 fps
    fbx = export_sequence(take_30, tmp / "take.fbx", ExportOptions(format="fbx"))
    glb = export_sequence(take_ntsc, tmp / "take.glb", ExportOptions(format="glb"))
    results = run_blender_tasks([
        inspect_task(bvh, FRAMES, update_scene_fps=True),
        inspect_task(fbx, FRAMES, fps=30.0),
        inspect_task(glb, FRAMES, fps=NTSC),
    ])
    return {"tmp": tmp, "bvh": bvh, "takes": {"bvh": take_ntsc, "fbx": take_30,
                                               "glb": take_ntsc},
            "results": dict(zip(("bvh", "fbx", "glb"), results))}


@pytest.mark.parametrize("kind", ["bvh", "fbx", "glb"])
def test_bone_world_positions_in_blender_equal_our_rig(blender_round_trip, kind):
    take = blender_round_trip["takes"][kind]
    got = blender_round_trip["results"][kind]
    rig, names = rig_joint_positions(take)
    want = _blender_axes(rig)
    assert sorted(got["bones"]) == sorted(names)      # no leaf bones added, none lost
    idx = [got["bones"].index(n) for n in names]
    for frame in FRAMES:
        heads = np.array(got["heads"][str(frame)])[idx]
        err = np.abs(heads - want[frame - 1]).max()
        assert err <= TOL_M, f"{kind} frame {frame}: {err * 1000:.3f} mm"
    assert got["frame_range"] == [1, 60]


@pytest.mark.parametrize("kind", ["bvh", "glb"])
def test_scene_plays_at_the_takes_frame_rate(blender_round_trip, kind):
    got = blender_round_trip["results"][kind]
    assert got["scene_fps"] == pytest.approx(NTSC, rel=1e-6)
    assert (got["render_fps"], got["render_fps_base"]) == (30, pytest.approx(1.001, rel=1e-6))
    assert blender_round_trip["results"]["fbx"]["scene_fps"] == 30.0


def test_nothing_lies_down_and_the_character_faces_the_front_view(blender_round_trip):
    got = blender_round_trip["results"]["bvh"]
    x = blender_round_trip["takes"]["bvh"].joints_3d
    b = {n: i for i, n in enumerate(got["bones"])}
    for frame in FRAMES:
        h = np.array(got["heads"][str(frame)])
        assert h[b["Head"], 2] > h[b["Hips"], 2] + 0.4          # Blender is Z up
        assert h[b["Hips"], 2] > h[b["LeftFoot"], 2] + 0.6
        left = h[b["LeftUpLeg"]] - h[b["RightUpLeg"]]
        up = h[b["Neck"]] - h[b["Hips"]]
        forward = np.cross(left, up)
        forward /= np.linalg.norm(forward)
        # the take's own heading (app axes: facing +Z), in Blender's axes
        app_forward = np.cross(x[frame - 1, J["left_hip"]] - x[frame - 1, J["right_hip"]],
                               x[frame - 1, J["neck"]] - x[frame - 1, J["pelvis"]])
        want = _blender_axes(app_forward / np.linalg.norm(app_forward)) * 100
        assert forward @ want > 0.999, (forward, want)
        if frame == 1:
            # the take starts facing the camera; front view (numpad 1) looks along +Y,
            # so a character facing it faces -Y
            assert forward @ np.array([0.0, -1.0, 0.0]) > 0.95, forward
    # the Blender importer's own hierarchy is ours
    assert got["parents"][got["bones"].index("LeftForeArm")] == "LeftArm"


def test_workbench_preview_shows_the_figure(blender_round_trip):
    png = render_preview(blender_round_trip["bvh"], blender_round_trip["tmp"] / "p.png",
                         frame=30, size=(240, 320))
    image = cv2.imread(str(png))
    assert image is not None and image.shape == (320, 240, 3)
    background = np.median(image.reshape(-1, 3), axis=0)
    figure = np.abs(image.astype(int) - background).sum(axis=2) > 60
    assert 0.02 < figure.mean() < 0.5
    rows = np.flatnonzero(figure.any(axis=1))
    assert rows[-1] - rows[0] > 0.6 * 320          # a standing figure fills the height


def test_blender_errors_are_blenders_message(tmp_path):
    broken = tmp_path / "broken.fbx"
    broken.write_bytes(b"this is not an fbx file")
    with pytest.raises(BlenderError) as info:
        run_blender_tasks([inspect_task(broken)])
    message = str(info.value)
    assert message.startswith("Blender: ") and "Traceback" not in message


def test_missing_bpy_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(blender.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(BlenderNotInstalled, match=r"pip install bpy==4\.5\.15"):
        export_sequence(puppet_sequence(5), tmp_path / "x.glb", ExportOptions(format="glb"))
    assert not (tmp_path / "x.glb").exists()


def test_scene_fps_settings_are_exact():
    assert scene_fps_settings(NTSC) == (30, 1.001)
    assert scene_fps_settings(24000 / 1001) == (24, 1.001)
    assert scene_fps_settings(25.0) == (25, 1.0)
    fps, base = scene_fps_settings(14.7)
    assert fps / base == pytest.approx(14.7, rel=1e-12)
