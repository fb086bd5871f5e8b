"""The spine, end to end: the bundled clip through the real detector (and the shipped
lifter and refiner) to a BVH, checked from outside."""
import subprocess
import sys

import numpy as np
import pytest

from mocap_app.capture.video import VideoFileSource
from mocap_app.core.bvh import read_bvh
from mocap_app.core.paths import sample_clip
from mocap_app.export import ExportOptions, rig_joint_positions
from mocap_app.takes import load_take


@pytest.fixture(scope="module")
def processed(tmp_path_factory):
    out = tmp_path_factory.mktemp("e2e")
    proc = subprocess.run([sys.executable, "-m", "mocap_app.cli", "process", str(sample_clip()),
                           "-o", str(out / "walk.bvh"), "--json", str(out / "walk.json"),
                           "--take-dir", str(out / "take")],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out, proc


def test_summary_line(processed):
    _, proc = processed
    lines = proc.stdout.strip().splitlines()
    assert lines[-3].startswith("sample_walk.mp4: 230 frames,") and "with a person" in lines[-3]
    # known answer (docs/SIDES.md): the detector exchanges the man's left and right on
    # frames 68-71 of this clip, and the side check puts them right
    assert lines[-2] == ("sample_walk.mp4: left and right put right on 4 frames where the "
                         "body detector had exchanged them")
    # the camera's tilt found from the take: the clip's camera stands level
    tilt = lines[-1].removeprefix("sample_walk.mp4: the camera's tilt found from the take: ")
    assert abs(float(tilt.split(" degrees")[0])) <= 5.0


def test_bvh_frames_and_frame_time_match_the_video(processed):
    import bvh as bvh_pkg
    out, _ = processed
    text = (out / "walk.bvh").read_text()
    ref = bvh_pkg.Bvh(text + ("" if text.endswith("\n") else "\n"))
    with VideoFileSource(sample_clip()) as src:
        fps, count = src.info.fps, src.info.frame_count
    assert ref.nframes == count == 230
    assert ref.frame_time == pytest.approx(1 / fps, abs=1e-8)
    assert "Frame Time: 0.03333333" in text
    names = ref.get_joints_names()
    assert names[0] == "Hips" and {"LeftArm", "RightUpLeg", "Head"} <= set(names)
    assert ref.joint_channels("Hips") == ["Xposition", "Yposition", "Zposition",
                                          "Zrotation", "Xrotation", "Yrotation"]
    assert ref.joint_channels("LeftForeArm") == ["Zrotation", "Xrotation", "Yrotation"]


def test_forward_kinematics_of_the_file_equals_the_pipeline_joints(processed):
    out, _ = processed
    seq, meta = load_take(out / "take")
    assert meta["frame_count"] == 230
    # the camera tilt it was lifted with: found from the take (a level camera)
    assert meta["parameters"]["tilt_deg"] == meta["parameters"]["tilt_found"]["tilt_deg"]
    assert abs(meta["parameters"]["tilt_deg"]) <= 5.0
    expected, names = rig_joint_positions(seq, ExportOptions())
    motion = read_bvh(out / "walk.bvh")
    assert tuple(motion.names) == tuple(names)
    got = motion.world_positions()
    frames = [f for f in (20, 60, 100, 150, 200) if seq.valid[f]]
    assert len(frames) >= 4
    err_cm = np.abs(got[frames] - expected[frames]).max()
    assert err_cm < 0.1, f"FK differs from the pipeline's joints by {err_cm:.3f} cm"
    # the man stands on the box until about frame 150 (then he backflips off it):
    # there the head is well above the hips in the file, as a Y-up BVH must have it
    hips, head = names.index("Hips"), names.index("Head")
    upright = [f for f in frames if f <= 150]
    assert np.all(got[upright, head, 1] > got[upright, hips, 1] + 30)


def test_json_has_joints_with_confidence(processed):
    import json
    out, _ = processed
    doc = json.loads((out / "walk.json").read_text())
    assert len(doc["frames"]) == 230 and len(doc["joints"]) == 25
    person = [f for f in doc["frames"] if f["person"]]
    assert len(person) > 150
    f = person[50]
    assert len(f["joints_3d_m"]) == 25 and len(f["confidence"]) == 25
    assert all(0 <= c <= 1 for c in f["confidence"])


def test_one_detector_thread_writes_the_same_file_as_every_core(processed, tmp_path):
    """``--threads 1`` (the detector on one core, as before the offline default gave it
    every core) writes the same BVH, byte for byte."""
    out, _ = processed
    proc = subprocess.run([sys.executable, "-m", "mocap_app.cli", "process", str(sample_clip()),
                           "-o", str(tmp_path / "one.bvh"), "--threads", "1"],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "one.bvh").read_bytes() == (out / "walk.bvh").read_bytes()
